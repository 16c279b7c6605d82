"""Themes and gaps in the journey map: answer a fresh cached report, or queue the job that computes it (one
job per question and data state, however many ask at once); adopt a proposed touchpoint as a new map version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vocengine.insights.filters import InsightFilter
from vocengine.insights.results import Ask, fresh, latest
from vocengine.insights.themes import Polarity, Proposal, with_proposal
from vocengine.jobs.themes import GAPS, THEMES
from vocengine.runtime import Runtime
from vocengine.store import jobs
from vocengine.store.db import write_transaction
from vocengine.store.tables import Job, JourneyMapVersion
from vocengine.usecases.maps import adopt_map_version


@dataclass(frozen=True)
class Answer:
    """The report when a fresh one is stored; else the job computing it."""

    report: dict[str, Any] | None
    job: Job | None


def _answer(runtime: Runtime, ask: Ask) -> Answer:
    with runtime.engine.connect() as connection:
        key, found = fresh(connection, ask)
    if found is not None:
        return Answer(found, None)
    with write_transaction(runtime.engine) as connection:
        job_id, _ = jobs.enqueue(connection, ask.kind, ask.job_params(), dedupe_key=f"{ask.kind}:{key}")
    return Answer(None, jobs.get(runtime.engine, job_id))


def themes(runtime: Runtime, f: InsightFilter, polarity: Polarity) -> Answer:
    """Themes of the sentences `f` selects (the negative ones, or all), from their stored embeddings."""
    _, map_id = runtime.active.current()
    return _answer(runtime, Ask(THEMES, map_id, {"filter": _filter(f), "polarity": polarity}))


def gaps(runtime: Runtime, f: InsightFilter) -> Answer:
    """Coverage of the active map, and the unassigned sentences clustered into proposed touchpoints."""
    _, map_id = runtime.active.current()
    return _answer(runtime, Ask(GAPS, map_id, {"filter": _filter(f)}))


def _filter(f: InsightFilter) -> dict[str, Any]:
    return f.model_dump(mode="json", exclude_defaults=True)


def adopt_proposal(runtime: Runtime, proposal_id: str) -> JourneyMapVersion:
    """A new journey map version: the active one with the proposed touchpoint added to its likely stage, adopted
    like any other (stored sentences are re-assigned by a job). The proposal is looked up in the gaps reports
    computed on the active map version; `LookupError` when none has it."""
    analyzer, map_id = runtime.active.current()
    with runtime.engine.connect() as connection:
        payloads = latest(connection, GAPS, map_id)
    for payload in payloads:
        for proposal in payload.get("proposals", []):
            if proposal.get("id") == proposal_id:
                journey = with_proposal(analyzer.journey, Proposal.model_validate(proposal))
                return adopt_map_version(runtime, journey)
    raise LookupError(
        f"no proposal {proposal_id!r} for the active journey map version {map_id}: ask GET /v1/journey/gaps again"
    )
