"""The scoring worker: claim a micro-batch of pending responses, score it with the engine, write it back;
when the queue is empty, a step of a background job (`vocengine.jobs`). The alerts a batch fires are written
with its analysis; their webhook messages are sent by the worker's deliverer, in a thread of its own so that a
slow receiver never holds up scoring.

`vocengine serve` runs one in a thread next to the API (embedded SQLite); at scale any number of
`vocengine worker` processes share a PostgreSQL database.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from sqlalchemy import Connection

from vocengine.alerts.delivery import Deliverer
from vocengine.alerts.evaluate import evaluate_batch
from vocengine.jobs import spikes
from vocengine.jobs.runner import run_one_step
from vocengine.jobs.scoring import score
from vocengine.journey.maps import JourneyMap
from vocengine.runtime import Runtime
from vocengine.store import outbox, queue

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100_000}"


class ScoringWorker:
    def __init__(self, runtime: Runtime, name: str | None = None) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.name = name or worker_name()
        self.stop_event = threading.Event()
        self._deliverer: Deliverer | None = None
        self._next_spike_check = 0.0

    @property
    def deliverer(self) -> Deliverer:
        if self._deliverer is None:
            self._deliverer = Deliverer(self.runtime.engine, self.settings, f"{self.name}/webhooks")
        return self._deliverer

    def run_once(self) -> int:
        """Claim and score one micro-batch, or else make one step of a job: the responses (or units of a
        job) handled, 0 when there was nothing to do."""
        settings, engine = self.settings, self.runtime.engine
        claimed = queue.claim(
            engine, self.name, settings.worker_batch_size, settings.worker_lease_seconds,
            settings.worker_max_lease_expiries,
        )  # fmt: skip
        if not claimed:
            self._schedule_spikes()
            return run_one_step(self.runtime, self.name)
        analyzer, map_id = self.runtime.active.current()
        scored = score(analyzer, map_id, claimed)
        if scored.comments:
            fired: list[int] = []
            queue.complete(
                engine, self.name, scored.comments, scored.sentences, scored.languages,
                after=lambda connection, ids: fired.append(self._fire_alerts(connection, ids, analyzer.journey)),
            )  # fmt: skip
            if any(fired) and self._deliverer is not None:
                self._deliverer.wake()  # committed: their messages go now, not at the deliverer's next poll
        if scored.errors:
            log.warning("%d responses failed to score: %s", len(scored.errors), next(iter(scored.errors.values())))
            queue.fail(engine, self.name, scored.errors, settings.worker_max_attempts)
        return len(claimed)

    def _fire_alerts(self, connection: Connection, ids: set[int], journey: JourneyMap) -> int:
        firings = evaluate_batch(connection, sorted(ids), journey)
        return len(outbox.fire(connection, firings, self.settings.webhook_retry_hours))

    def _schedule_spikes(self) -> None:
        # A look at the job table at most every few seconds, not on every idle round.
        now = time.monotonic()
        if now >= self._next_spike_check:
            self._next_spike_check = now + min(self.settings.alert_spike_interval_seconds, 5.0)
            spikes.schedule(self.runtime.engine, self.settings.alert_spike_interval_seconds)

    def warm_up(self) -> None:
        """Load the models before the first claim, so that no lease runs while they load."""
        self.runtime.active.current()

    def run_forever(self) -> None:
        log.info("worker %s started", self.name)
        threading.Thread(
            target=self.deliverer.run_forever, args=(self.settings.worker_poll_seconds,),
            name=f"vocengine-webhooks-{self.name}", daemon=True,
        ).start()  # fmt: skip
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
        if self._deliverer is not None:
            self._deliverer.close()

    def drain(self) -> int:
        """Run until there is nothing left to do (`vocengine worker --once`): scoring, jobs, then the webhook
        messages due now; the units handled."""
        handled = 0
        while not self.stop_event.is_set() and (n := self.run_once()):
            handled += n
        if not self.stop_event.is_set() and outbox.has_due(self.runtime.engine):
            handled += self.deliverer.drain()
        return handled
