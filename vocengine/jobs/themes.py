"""Themes and gaps: a report clustered from the stored sentence embeddings (`vocengine.insights.themes`),
computed by a worker so that a large touchpoint never holds a request, and kept in `insight_result` for the
data it saw (`vocengine.insights.results`). One step: read and cluster, then store the report."""

from __future__ import annotations

from typing import Any, ClassVar

from vocengine.insights.filters import InsightFilter
from vocengine.insights.results import Ask, fresh, store
from vocengine.insights.themes import gaps_report, themes_report
from vocengine.jobs import JobKind
from vocengine.runtime import Runtime
from vocengine.store.jobs import JobClaim

THEMES = "themes"
GAPS = "gaps"


class _Report(JobKind):
    name: ClassVar[str]

    def run_step(self, runtime: Runtime, job: JobClaim) -> bool:
        ask = Ask.of_job(job.params)
        analyzer, map_id = runtime.active.current()
        if map_id != ask.map_version_id:
            job.cancel(f"journey map version {ask.map_version_id} is no longer the active one")
            return True
        settings = runtime.settings
        limits = {"min_volume": settings.insight_min_volume, "min_theme_size": settings.insight_min_theme_size}
        # Computed on a read connection: the step's write transaction (SQLite's one write lock) is held only to
        # store the report, not for the seconds the clustering of a large touchpoint takes.
        with runtime.engine.connect() as connection:
            key, found = fresh(connection, ask)
            report: Any = None
            if found is None:
                f = InsightFilter.model_validate(ask.params["filter"])
                if ask.kind == THEMES:
                    report = themes_report(connection, f, ask.params["polarity"], map_id, **limits)
                else:
                    report = gaps_report(connection, f, analyzer.journey, analyzer.assigner, map_id, **limits)
        done = 0 if report is None else report.n if ask.kind == THEMES else report.unassigned
        with job.step(advance=done) as step:
            if report is not None:
                store(step.connection, ask, key, report.model_dump(mode="json"))
        job.result = {"key": key, "sentences": job.done}
        return True


class Themes(_Report):
    name = THEMES


class Gaps(_Report):
    name = GAPS
