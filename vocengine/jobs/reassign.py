"""Re-assigning stored sentences to the touchpoints of a new journey map version, from their stored
embeddings (no classifier runs), a batch per step. Leased like every job: with several workers on
PostgreSQL, one holds it and the others leave its batches alone."""

from __future__ import annotations

from vocengine.jobs import JobKind
from vocengine.runtime import Runtime
from vocengine.store.jobs import JobClaim
from vocengine.store.journeys import REASSIGN, is_active, reassign_batch

BATCH = 2000


class ReassignMap(JobKind):
    name = REASSIGN

    def run_step(self, runtime: Runtime, job: JobClaim) -> bool:
        version_id = int(job.params["map_version_id"])
        analyzer, map_id = runtime.active.current()
        after = int((job.cursor or {}).get("last_sentence_id", 0))
        superseded = map_id != version_id
        done = 0
        if not superseded:
            with job.step(cursor=job.cursor) as step:
                # Checked again under the write lock: a map put since must not be overwritten by this one.
                superseded = not is_active(step.connection, version_id)
                if not superseded:
                    done, last = reassign_batch(step.connection, version_id, analyzer.assigner, after, BATCH)
                    step.cursor, step.advance = {"last_sentence_id": last}, done
        if superseded:
            job.cancel(f"journey map version {version_id} is no longer the active one")
            return True
        if done == 0:
            job.result = {"reassigned_sentences": job.done}
            return True
        return False
