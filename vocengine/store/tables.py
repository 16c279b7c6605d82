"""What the service stores: responses (the durable queue too), their analysis, journey map versions, API keys.

Entities that are read and written one at a time are SQLModel tables. The sentence analysis is a plain
SQLAlchemy table: it has a column per emotion (28 + 7, generated from the label lists) so that the CX
queries aggregate in SQL with no JSON parsing, and it is written in bulk by the worker.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy import UniqueConstraint as Unique
from sqlmodel import Field, SQLModel

from vocengine.model.labels import EKMAN_LABELS, EMOTION_LABELS


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """A timestamp with its zone: SQLite hands back the stored UTC wall time without one."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp column that takes and gives aware datetimes in UTC on every database. SQLite keeps no
    offset: it stored the wall time it was given (so 09:30+05:00 read back as 09:30 UTC) and gave back naive
    values, which broke the API's promise of a zone on every datetime. PostgreSQL needs neither step."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None or dialect.name != "sqlite":
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return as_utc(value)

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        if dialect.name != "sqlite":  # psycopg gives aware values already: no Python call per row
            return self.impl_instance.result_processor(dialect, coltype)
        return super().result_processor(dialect, coltype)


def emotion_column(label: str) -> str:
    return f"e_{label}"


def ekman_column(label: str) -> str:
    return f"k_{label}"


class Source(enum.StrEnum):
    survey = "survey"
    ticket = "ticket"
    review = "review"
    chat = "chat"
    other = "other"


class ScoreType(enum.StrEnum):
    nps = "nps"  # 0-10
    csat = "csat"  # 1-5


class Status(enum.StrEnum):
    pending = "pending"
    processing = "processing"
    done = "done"
    failed = "failed"


class Response(SQLModel, table=True):
    """One piece of feedback as pushed, redacted. Its status makes the table the scoring queue too:
    a response is committed as `pending` before anything scores it, so nothing accepted is lost."""

    __tablename__ = "response"
    __table_args__ = (
        Unique("source", "external_id", name="uq_response_source_external_id"),
        Index("ix_response_queue", "status", "claim_expires_at"),
        Index("ix_response_account", "account_id", "contact_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=16)
    external_id: str = Field(max_length=200)
    text: str = Field(sa_column=Column(Text, nullable=False))
    submitted_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    received_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    channel: str | None = Field(default=None, max_length=100)
    persona: str | None = Field(default=None, max_length=100)
    account_id: str | None = Field(default=None, max_length=200)
    contact_id: str | None = Field(default=None, max_length=200)
    segments: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    score: float | None = None
    score_type: str | None = Field(default=None, max_length=8)
    language: str | None = Field(default=None, max_length=8)
    status: str = Field(default=Status.pending, max_length=16)
    # Failures recorded by a worker; a claim that ran out (the worker died) counts in `lease_expiries` instead.
    attempts: int = 0
    lease_expiries: int = 0
    claimed_by: str | None = Field(default=None, max_length=100)
    claim_expires_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    processed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


class JourneyMapVersion(SQLModel, table=True):
    __tablename__ = "journey_map_version"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    fingerprint: str = Field(max_length=32, index=True)
    definition: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    active: bool = False


class ApiKey(SQLModel, table=True):
    """Only a hash of the secret is stored: the key is shown once, when it is made."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    prefix: str = Field(max_length=16, index=True, unique=True)
    key_hash: str = Field(max_length=64)
    scopes: str = Field(max_length=200, description="comma-separated: ingest, read, label, admin")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


class CommentResult(SQLModel, table=True):
    """The comment-level analysis. `analysis` is the engine's JSON for the comment without its sentences and
    touchpoints, which the sentence rows hold (`vocengine.store.analysis_rows` puts them back together)."""

    __tablename__ = "comment_result"

    response_id: int = Field(sa_column=Column(Integer, ForeignKey("response.id", ondelete="CASCADE"), primary_key=True))
    model_version: str = Field(max_length=100)
    journey_map_id: int | None = Field(default=None, foreign_key="journey_map_version.id")
    scored: bool
    language: str = Field(max_length=8)
    sentiment: str | None = Field(default=None, max_length=16)
    p_negative: float | None = None
    p_neutral: float | None = None
    p_positive: float | None = None
    analysis: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


# Sentence-level analysis. The response's filter fields are copied onto each sentence (they never
# change after ingest) so that every CX query is one scan of one table with no join.
sentence_result = Table(
    "sentence_result",
    SQLModel.metadata,
    Column("id", Integer, primary_key=True),
    Column("response_id", Integer, ForeignKey("response.id", ondelete="CASCADE"), nullable=False),
    Column("idx", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("sentiment", String(16)),
    Column("p_negative", Float),
    Column("p_neutral", Float),
    Column("p_positive", Float),
    *[Column(emotion_column(label), Float) for label in EMOTION_LABELS],
    *[Column(ekman_column(label), Float) for label in EKMAN_LABELS],
    # Bit i set when EMOTION_LABELS[i] is among the sentence's top emotions (over its tuned threshold).
    Column("emotion_mask", Integer, nullable=False, default=0),
    Column("stage", String(64)),
    Column("touchpoint", String(64)),
    Column("touchpoint_score", Float),
    Column("journey_map_id", Integer, ForeignKey("journey_map_version.id")),
    # float16 sentence embedding: a new journey map re-assigns touchpoints without re-running the encoder.
    Column("embedding", LargeBinary),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("source", String(16), nullable=False),
    Column("channel", String(100)),
    Column("persona", String(100)),
    Column("account_id", String(200)),
    Column("contact_id", String(200)),
    # Set by a database trigger on every UPDATE to the new value of the `data_change` counter
    # "sentence_result.updated" (migration 0002), so a reader fetches just the rows changed since it last looked.
    Column("changed", BigInteger),
    Unique("response_id", "idx", name="uq_sentence_result_response_idx"),
    Index("ix_sentence_result_occurred_at", "occurred_at"),
    Index("ix_sentence_result_stage_touchpoint", "stage", "touchpoint"),
    Index("ix_sentence_result_account", "account_id", "contact_id"),
    Index("ix_sentence_result_changed", "changed"),
)

# Counters of changes, moved by database triggers in the writing transaction (migration 0002 says which);
# `vocengine.store.changes` names them. Never written by the application.
data_change = Table(
    "data_change",
    SQLModel.metadata,
    Column("name", String(64), primary_key=True),
    Column("counter", BigInteger, nullable=False),
)


# -- learning from labels (retraining issue) -------------------------------------------------------


class Label(SQLModel, table=True):
    """One correction by a CX lead, never updated: a later label of the same target is a new row, and a
    target's label for each task is the latest row that set it (`vocengine.learning.labels.effective`)."""

    __tablename__ = "label"
    __table_args__ = (Index("ix_label_target", "target", "id"), Index("ix_label_response", "response_id"))

    id: int | None = Field(default=None, primary_key=True)
    # "r<response id>/s<sentence index>", "r<response id>" (the whole comment) or "t<text hash>" (a text
    # given with its labels and not stored as a response, e.g. to seed a new journey map).
    target: str = Field(max_length=80)
    response_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("response.id", ondelete="SET NULL"))
    )
    sentence_index: int | None = None
    text: str = Field(sa_column=Column(Text, nullable=False), description="redacted text the label is about")
    sentiment: str | None = Field(default=None, max_length=16)
    emotions: list[str] | None = Field(default=None, sa_column=Column(JSON))
    touchpoint: str | None = Field(default=None, max_length=64, description='a touchpoint id, or "none"')
    journey_map_id: int | None = Field(default=None, foreign_key="journey_map_version.id")
    # Fixed at the first label of a text by a hash of the text: the gate's held-out labels never train.
    split: str = Field(max_length=8)
    labelled_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class ModelStatus(enum.StrEnum):
    candidate = "candidate"  # trained, gate not passed yet or promotion not asked for
    active = "active"  # the one version that scores everything now
    retired = "retired"  # was active once; rollback can bring it back
    rejected = "rejected"  # failed the evaluation gate


class ModelVersion(SQLModel, table=True):
    """The model registry: every version that scored or could score, with how it was made and measured."""

    __tablename__ = "model_version"

    id: str = Field(primary_key=True, max_length=100)
    parent_id: str | None = Field(default=None, max_length=100)
    path: str | None = Field(default=None, sa_column=Column(Text), description="folder with config + weights")
    status: str = Field(max_length=16)
    data_hash: str | None = Field(default=None, max_length=64, description="sha256 of the labels it trained on")
    labels_used: int = 0
    metrics: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    report: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    promoted_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


class JobStatus(enum.StrEnum):
    queued = "queued"
    running = "running"  # held by a worker for a lease
    done = "done"
    failed = "failed"  # used its attempts, or kept killing its workers
    cancelled = "cancelled"  # made pointless by a later change (a newer promotion or map)


OPEN_JOB_STATUSES = (JobStatus.queued.value, JobStatus.running.value)


class Job(SQLModel, table=True):
    """Work done after the commit that asked for it, by a worker when the scoring queue is empty: rescoring,
    journey map re-assignment, and what later features add (`vocengine.jobs`). A job runs in steps; each
    step commits its writes with the job's `cursor` and progress, so a job taken over after its worker died
    goes on from the last step that committed."""

    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_queue", "status", "claim_expires_at"),
        Index("ix_job_kind", "kind", "id"),
        # The same job is not queued twice: one open job per dedupe key (finished ones do not count).
        Index(
            "uq_job_open_dedupe_key",
            "dedupe_key",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=JobStatus.queued.value, max_length=16)
    dedupe_key: str | None = Field(default=None, max_length=200)
    cursor: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    progress_done: int = 0
    progress_total: int | None = None
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    error: str | None = Field(default=None, sa_column=Column(Text))
    attempts: int = 0
    lease_expiries: int = 0
    claimed_by: str | None = Field(default=None, max_length=100)
    claim_expires_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


# -- alerts and webhooks (issue 12) -----------------------------------------------------------------


class AlertRule(SQLModel, table=True):
    """A condition that fires alerts (`vocengine.alerts.rules` validates `condition` by its `kind`). Every
    change makes a new `version`; an alert records the version that fired it."""

    __tablename__ = "alert_rule"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=32, description="spike, contact_at_risk or response_match")
    condition: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    enabled: bool = True
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class Alert(SQLModel, table=True):
    """One firing of a rule with its evidence (figures and example sentences, redacted as stored). The same
    rule fires once per subject and period: `dedupe_key` is unique."""

    __tablename__ = "alert"
    __table_args__ = (
        Index("ix_alert_rule", "rule_id", "id"),
        Index("ix_alert_dedupe_key", "dedupe_key", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    # No foreign key: an alert outlives its rule (deleting a rule keeps what it fired).
    rule_id: int
    rule_version: int
    kind: str = Field(max_length=32)
    subject: str = Field(max_length=300, description="what it is about: touchpoint:x, account:y, response:42")
    period: str = Field(max_length=32, description="the ISO week of a spike, the day of an account's change")
    dedupe_key: str = Field(max_length=400)
    owner: str | None = Field(default=None, max_length=100, description="the team that owns the subject")
    title: str = Field(sa_column=Column(Text, nullable=False))
    evidence: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class WebhookEndpoint(SQLModel, table=True):
    """A receiver of alerts. Its secret signs every message (Standard Webhooks) and so is kept as it is."""

    __tablename__ = "webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    secret: str = Field(max_length=100)
    owner: str | None = Field(default=None, max_length=100, description="only alerts of this team; null: all")
    format: str = Field(default="standard", max_length=16, description="standard or slack")
    enabled: bool = True
    description: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class DeliveryStatus(enum.StrEnum):
    pending = "pending"  # waiting for its next attempt (`next_attempt_at`)
    sending = "sending"  # held by a worker for a lease
    delivered = "delivered"
    failed = "failed"  # retried until `give_up_at`, or kept killing its workers


class WebhookDelivery(SQLModel, table=True):
    """The outbox: one message of one alert to one endpoint, written in the transaction that fires the alert,
    sent after it by a worker (leased like the queue, `vocengine.store.leases`). `body` is fixed when the row
    is written, and `message_id` is the webhook-id of every attempt, so a receiver drops repeats."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Unique("endpoint_id", "alert_id", name="uq_webhook_delivery_endpoint_alert"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_endpoint", "endpoint_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(
        sa_column=Column(Integer, ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), nullable=False)
    )
    alert_id: int = Field(sa_column=Column(Integer, ForeignKey("alert.id", ondelete="CASCADE"), nullable=False))
    message_id: str = Field(max_length=100)
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=DeliveryStatus.pending.value, max_length=16)
    attempts: int = 0
    lease_expiries: int = 0
    claimed_by: str | None = Field(default=None, max_length=100)
    claim_expires_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    next_attempt_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    give_up_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


# -- insight results computed by jobs (themes, gaps: issue 11) ---------------------------------------------


class InsightResult(SQLModel, table=True):
    """A report computed by a job, kept for the request that asked for it. `scope` names what was asked (the
    kind, the map version, the filters); `key` adds the data it was computed on (`vocengine.store.insight_cache`),
    so a result is fresh exactly while no scored sentence was added, updated or deleted since."""

    __tablename__ = "insight_result"
    __table_args__ = (
        Index("ix_insight_result_key", "key", unique=True),
        Index("ix_insight_result_scope", "scope"),
        Index("ix_insight_result_kind_map", "kind", "map_version_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    scope: str = Field(max_length=64)
    key: str = Field(max_length=64)
    map_version_id: int | None = None
    params: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
