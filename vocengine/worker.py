"""The scoring worker: claim a micro-batch of pending responses, score it with the engine, write it back;
when the queue is empty, a step of a background job (`vocengine.jobs`).

`vocengine serve` runs one in a thread next to the API (embedded SQLite); at scale any number of
`vocengine worker` processes share a PostgreSQL database.
"""

from __future__ import annotations

import logging
import os
import socket
import threading

from vocengine.jobs.runner import run_one_step
from vocengine.jobs.scoring import score
from vocengine.runtime import Runtime
from vocengine.store import queue

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100_000}"


class ScoringWorker:
    def __init__(self, runtime: Runtime, name: str | None = None) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.name = name or worker_name()
        self.stop_event = threading.Event()

    def run_once(self) -> int:
        """Claim and score one micro-batch, or else make one step of a job: the responses (or units of a
        job) handled, 0 when there was nothing to do."""
        settings, engine = self.settings, self.runtime.engine
        claimed = queue.claim(
            engine, self.name, settings.worker_batch_size, settings.worker_lease_seconds,
            settings.worker_max_lease_expiries,
        )  # fmt: skip
        if not claimed:
            return run_one_step(self.runtime, self.name)
        analyzer, map_id = self.runtime.active.current()
        scored = score(analyzer, map_id, claimed)
        if scored.comments:
            queue.complete(engine, self.name, scored.comments, scored.sentences, scored.languages)
        if scored.errors:
            log.warning("%d responses failed to score: %s", len(scored.errors), next(iter(scored.errors.values())))
            queue.fail(engine, self.name, scored.errors, settings.worker_max_attempts)
        return len(claimed)

    def warm_up(self) -> None:
        """Load the models before the first claim, so that no lease runs while they load."""
        self.runtime.active.current()

    def run_forever(self) -> None:
        log.info("worker %s started", self.name)
        while not self.stop_event.is_set():
            try:
                if self.run_once() == 0:
                    self.stop_event.wait(self.settings.worker_poll_seconds)
            except Exception:  # noqa: BLE001 - the database may be briefly away; keep the worker alive
                log.exception("worker %s: scoring round failed; retrying", self.name)
                self.stop_event.wait(min(5.0, self.settings.worker_poll_seconds * 4))
        log.info("worker %s stopped", self.name)

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name=f"vocengine-worker-{self.name}", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stop_event.set()

    def drain(self) -> int:
        """Run until there is nothing left to do (`vocengine worker --once`); the units handled."""
        handled = 0
        while not self.stop_event.is_set() and (n := self.run_once()):
            handled += n
        return handled
