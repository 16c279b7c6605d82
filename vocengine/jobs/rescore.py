"""Rescoring stored responses with the active model version after a promotion or a rollback, batch by batch
(`vocengine.learning.rescore` says what is stale and how the new analysis replaces the old)."""

from __future__ import annotations

import logging
from datetime import datetime

from vocengine.jobs import JobKind
from vocengine.jobs.scoring import score
from vocengine.learning import rescore
from vocengine.runtime import Runtime
from vocengine.store.jobs import JobClaim

log = logging.getLogger(__name__)


class Rescore(JobKind):
    name = rescore.KIND

    def run_step(self, runtime: Runtime, job: JobClaim) -> bool:
        analyzer, map_id = runtime.active.current()
        model_version = job.params["model_version"]
        if analyzer.model_version != model_version:
            job.cancel(f"model version {model_version} is no longer the active one ({analyzer.model_version} is)")
            return True
        since = datetime.fromisoformat(job.params["since"]) if job.params.get("since") else None
        after = int((job.cursor or {}).get("last_response_id", 0))
        batch = rescore.next_batch(runtime.engine, model_version, since, after, runtime.settings.rescore_batch_size)
        if not batch:
            job.result = {"rescored": job.done}
            return True
        scored = score(analyzer, map_id, batch)
        if scored.errors:
            log.warning("%d responses could not be rescored and keep their analysis: %s", len(scored.errors),
                        next(iter(scored.errors.values())))  # fmt: skip
        with job.step(cursor={"last_response_id": max(item.id for item in batch)}, advance=len(batch)) as step:
            if scored.comments:  # none when every response of the batch failed: they keep their analysis
                rescore.replace_analysis(step.connection, scored.comments, scored.sentences)
        return False
