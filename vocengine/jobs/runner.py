"""Running jobs: one step at a time in a worker's idle rounds, or one job to its end in the foreground
(`vocengine rescore`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from vocengine.jobs import JobKind
from vocengine.jobs.kinds import KINDS
from vocengine.runtime import Runtime
from vocengine.store import jobs
from vocengine.store.jobs import JobClaim, LeaseLost

log = logging.getLogger(__name__)


def runnable(runtime: Runtime, kinds: Mapping[str, JobKind] = KINDS) -> dict[str, JobKind]:
    """The kinds a worker on `runtime` can run."""
    return {name: kind for name, kind in kinds.items() if kind.available(runtime)}


def claim(
    runtime: Runtime, worker: str, *, job_id: int | None = None, kinds: Mapping[str, JobKind] = KINDS
) -> JobClaim | None:
    settings = runtime.settings
    kinds = runnable(runtime, kinds)
    return jobs.claim(
        runtime.engine,
        worker,
        list(kinds),
        settings.worker_lease_seconds,
        settings.worker_max_lease_expiries,
        one_at_a_time=[name for name, kind in kinds.items() if kind.one_at_a_time],
        job_id=job_id,
    )


def run_step(runtime: Runtime, job: JobClaim, kinds: Mapping[str, JobKind] = KINDS) -> bool:
    """One step of a claimed job; True when this worker holds it no more (it ended, was taken over, or failed
    a step and went back in line)."""
    before = job.done
    try:
        finished = kinds[job.kind].run_step(runtime, job)
    except LeaseLost as exc:
        log.info("%s; its step is dropped", exc)
        return True
    except Exception as exc:  # noqa: BLE001 - a failing job must not stop the worker: an attempt is spent
        log.exception("job %s (%s) failed a step", job.id, job.kind)
        job.fail(f"{type(exc).__name__}: {exc}", runtime.settings.job_max_attempts)
        return True
    if finished:
        job.finish()
        log.info("job %s (%s) finished after %d", job.id, job.kind, job.done)
    elif job.done == before:
        log.debug("job %s (%s) made a step without progress", job.id, job.kind)
    return finished


def run_one_step(runtime: Runtime, worker: str, kinds: Mapping[str, JobKind] = KINDS) -> int:
    """In an idle round of a worker: one step of the job it holds or of the oldest queued one. The units of
    progress made (at least 1 when a step ran, so the worker does not sleep between steps); 0 when there
    was no job."""
    if not jobs.has_work(runtime.engine, list(runnable(runtime, kinds))):
        return 0
    job = claim(runtime, worker, kinds=kinds)
    if job is None:
        return 0
    before = job.done
    run_step(runtime, job, kinds)
    return max(1, job.done - before)


def run_job(
    runtime: Runtime,
    job_id: int,
    worker: str,
    progress: Callable[[int], None] | None = None,
    stop: Callable[[], bool] | None = None,
    kinds: Mapping[str, JobKind] = KINDS,
) -> bool:
    """Run job `job_id` to its end here (or until `stop()`); False when another worker holds it now."""
    job = claim(runtime, worker, job_id=job_id, kinds=kinds)
    if job is None:
        return False
    while not (stop and stop()):
        before = job.done
        ended = run_step(runtime, job, kinds)
        if progress and job.done > before:
            progress(job.done - before)
        if ended:
            break
    return True
