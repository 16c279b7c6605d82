"""Evaluating the spike rules: a job of one step, queued by an idle worker every `alert_spike_interval_seconds`
(`schedule`); the alerts it fires commit with its step, and a week already fired for a rule and subject
fires no more (`vocengine.store.outbox`)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, func, select

from vocengine.alerts.evaluate import evaluate_spikes
from vocengine.alerts.rules import SPIKE
from vocengine.jobs import JobKind
from vocengine.runtime import Runtime
from vocengine.store import jobs, outbox
from vocengine.store.db import write_transaction
from vocengine.store.jobs import JobClaim
from vocengine.store.tables import AlertRule, Job, as_utc, utcnow

KIND = "alert_spikes"
JOB = Job.__table__  # type: ignore[attr-defined]
RULE = AlertRule.__table__  # type: ignore[attr-defined]


class SpikeAlerts(JobKind):
    name = KIND

    def run_step(self, runtime: Runtime, job: JobClaim) -> bool:
        analyzer, _ = runtime.active.current()
        with job.step(advance=1) as step:
            fired = outbox.fire(
                step.connection,
                evaluate_spikes(step.connection, analyzer.journey),
                runtime.settings.webhook_retry_hours,
            )
        job.result = {"alerts": len(fired)}
        return True


def schedule(engine: Engine, interval_seconds: float) -> bool:
    """Queue a spike evaluation when a spike rule is enabled and none was queued in the last interval; whether
    one was queued. Several workers may ask at once: the open job's dedupe key lets one through."""
    with engine.connect() as connection:
        has_rules = connection.execute(
            select(RULE.c.id).where(RULE.c.kind == SPIKE, RULE.c.enabled.is_(True)).limit(1)
        ).first()
        if has_rules is None:
            return False
        last = connection.execute(select(func.max(JOB.c.created_at)).where(JOB.c.kind == KIND)).scalar()
    if last is not None and as_utc(last) > utcnow() - timedelta(seconds=interval_seconds):  # type: ignore[operator]
        return False
    with write_transaction(engine) as connection:
        _, new = jobs.enqueue(connection, KIND, {}, dedupe_key=KIND)
    return new
