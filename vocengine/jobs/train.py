"""Training a new model version from the labels (`vocengine.learning.training`): one run, in one step, with
its progress and its lease kept up while it trains, and the gate's verdict kept as the job's result.

A run takes minutes and cannot be cut into resumable steps (a half-trained candidate is worth nothing), so
the worker that holds it trains to the end: a heartbeat renews the job's lease meanwhile, so that no other
worker takes it over as abandoned. A worker that stops mid-run leaves the job to be run again from the start.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from vocengine.jobs import JobKind
from vocengine.learning import training
from vocengine.runtime import Runtime
from vocengine.store.jobs import JobClaim, LeaseLost

log = logging.getLogger(__name__)


class Train(JobKind):
    name = training.KIND
    one_at_a_time = True

    def available(self, runtime: Runtime) -> bool:
        return runtime.trainer is not None

    def run_step(self, runtime: Runtime, job: JobClaim) -> bool:
        assert runtime.trainer is not None  # `available` keeps this kind from workers without one
        request = training.TrainRequest.model_validate(job.params)
        lock = threading.Lock()  # the heartbeat and the progress both commit through the job

        def progress(stage: str) -> None:
            with lock, job.step(cursor={"stage": stage}, advance=1):
                pass

        try:
            with _heartbeat(job, runtime.settings.worker_lease_seconds / 3, lock):
                outcome = runtime.trainer(runtime.engine, runtime.settings, request, progress)
        except training.NothingToLearn as exc:
            # Trying again cannot help until someone labels: failed now, with the reason, not after retries.
            job.fail(str(exc), max_attempts=1)
            return True
        job.result = training.job_result(outcome)
        return True


@contextmanager
def _heartbeat(job: JobClaim, every: float, lock: threading.Lock) -> Iterator[None]:
    """Renew the job's lease every `every` seconds while the body runs (each renewal a step that moves
    nothing); a lost lease is logged, and the run's next progress step raises `LeaseLost`."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            try:
                with lock, job.step(cursor=job.cursor):
                    pass
            except LeaseLost:
                log.warning("job %s: its lease was lost while training", job.id)
                return
            except Exception:  # noqa: BLE001 - a failed renewal is retried at the next beat
                log.exception("job %s: could not renew its lease", job.id)

    thread = threading.Thread(target=beat, name=f"vocengine-train-{job.id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
