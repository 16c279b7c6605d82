"""Kinds of job: work that runs after the commit that asks for it, in a worker, when the scoring queue is
empty (the table, the lease and the states are `vocengine.store.jobs`).

A kind is one module with a `JobKind` subclass, and one line in `vocengine.jobs.kinds` to register it.
Its `run_step` does one bounded piece of the work and commits it through `job.step(...)` together with the
job's new cursor and progress, so a job resumes after a crash from the last step that committed; it returns
True when the job is finished. It is queued from a use case, or from the store layer in the transaction
that makes it needed, with `vocengine.store.jobs.enqueue(connection, kind, params, dedupe_key=...)`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from vocengine.runtime import Runtime
from vocengine.store.jobs import JobClaim


class JobKind(ABC):
    name: ClassVar[str]
    # Never two of this kind running at once (e.g. training runs started from the app).
    one_at_a_time: ClassVar[bool] = False

    def available(self, runtime: Runtime) -> bool:
        """Whether a worker on `runtime` can run this kind; one that cannot leaves its jobs queued for others
        (a worker started without the training code, for training runs)."""
        return True

    @abstractmethod
    def run_step(self, runtime: Runtime, job: JobClaim) -> bool:
        """One step, committed with `job.step(cursor=..., advance=...)`; True when the job is finished (then
        `job.result`, if set, is kept with it). Raising records a failed attempt; `job.cancel(reason)` ends
        a job that became pointless."""
