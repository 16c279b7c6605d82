"""Alerts and their delivery outbox.

`fire` writes an alert once per rule, subject and period (a unique key: a second firing of the same finds it
and writes nothing), and in the same transaction one message per webhook endpoint that takes it: so an
alert committed is an alert that will be sent, and nothing is sent for one that was rolled back.

Messages are a leased queue (`vocengine.store.leases`): a worker claims the due ones, sends them outside any
transaction, and records each result only while the message is still its own. A worker that dies after
sending and before recording leaves its claim to run out: the message is sent again, with the same
webhook-id, which is how a receiver knows it has it (at-least-once).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from vocengine.store.db import write_transaction
from vocengine.store.leases import Leases
from vocengine.store.tables import Alert, DeliveryStatus, WebhookDelivery, WebhookEndpoint, as_utc, utcnow

ALERT = Alert.__table__  # type: ignore[attr-defined]
ENDPOINT = WebhookEndpoint.__table__  # type: ignore[attr-defined]
DELIVERY = WebhookDelivery.__table__  # type: ignore[attr-defined]
LEASES = Leases(
    DELIVERY, free=DeliveryStatus.pending.value, held=DeliveryStatus.sending.value,
    failed=DeliveryStatus.failed.value, error_column="last_error",
)  # fmt: skip
EVENT_TYPE = "alert.fired"


@dataclass(frozen=True)
class Firing:
    """An alert a rule wants to fire, before it is stored."""

    rule_id: int
    rule_version: int
    kind: str
    subject: str
    period: str
    title: str
    evidence: dict[str, Any]
    owner: str | None = None

    @property
    def dedupe_key(self) -> str:
        return f"{self.rule_id}|{self.subject}|{self.period}"


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ and 24 random bytes in base64."""
    import base64

    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def message_id(alert_id: int, endpoint_id: int) -> str:
    return f"msg_alert{alert_id}_ep{endpoint_id}"


def alert_document(alert: dict[str, Any]) -> dict[str, Any]:
    created = as_utc(alert["created_at"])
    return {
        "id": alert["id"], "rule_id": alert["rule_id"], "rule_version": alert["rule_version"],
        "kind": alert["kind"], "subject": alert["subject"], "period": alert["period"], "owner": alert["owner"],
        "title": alert["title"], "evidence": alert["evidence"], "created_at": created.isoformat() if created else None,
    }  # fmt: skip


def body(alert: dict[str, Any], fmt: str) -> str:
    """The message for an endpoint: the Standard Webhooks shape ({type, timestamp, data}), or Slack's
    ({text}) for an incoming-webhook URL."""
    document = alert_document(alert)
    if fmt == "slack":
        figures = ", ".join(f"{k}: {v}" for k, v in document["evidence"].get("figures", {}).items())
        examples = "\n".join(f"> {s}" for s in document["evidence"].get("examples", [])[:3])
        owner = f" (owner: {document['owner']})" if document["owner"] else ""
        text = f"*{document['title']}*{owner}\n{figures}" + (f"\n{examples}" if examples else "")
        return json.dumps({"text": text}, ensure_ascii=False)
    return json.dumps(
        {"type": EVENT_TYPE, "timestamp": document["created_at"], "data": document}, ensure_ascii=False,
        separators=(",", ":"),
    )  # fmt: skip


def _insert_ignoring_conflicts(connection: Connection, table: Any) -> Any:
    return (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(table)


def fire(connection: Connection, firings: Sequence[Firing], retry_hours: float) -> list[int]:
    """Store the new ones of `firings` (a rule, subject and period already fired is skipped) and queue their
    messages, in the caller's transaction. The ids of the alerts written."""
    written = []
    now = utcnow()
    endpoints: Sequence[Any] | None = None  # read once, at the first new alert
    for firing in firings:
        values = {
            "rule_id": firing.rule_id, "rule_version": firing.rule_version, "kind": firing.kind,
            "subject": firing.subject[:300], "period": firing.period, "dedupe_key": firing.dedupe_key[:400],
            "owner": firing.owner, "title": firing.title, "evidence": firing.evidence, "created_at": now,
        }  # fmt: skip
        alert_id = connection.execute(
            _insert_ignoring_conflicts(connection, ALERT).values(values).on_conflict_do_nothing().returning(ALERT.c.id)
        ).scalar()
        if alert_id is None:
            continue
        written.append(int(alert_id))
        if endpoints is None:
            endpoints = connection.execute(
                select(ENDPOINT.c.id, ENDPOINT.c.format, ENDPOINT.c.owner).where(ENDPOINT.c.enabled.is_(True))
            ).all()
        document = {**values, "id": alert_id}
        rows = [
            {
                "endpoint_id": e.id,
                "alert_id": alert_id,
                "message_id": message_id(alert_id, e.id),
                "body": body(document, e.format),
                "status": DeliveryStatus.pending.value,
                "attempts": 0,
                "lease_expiries": 0,
                "next_attempt_at": now,
                "give_up_at": now + timedelta(hours=retry_hours),
                "created_at": now,
            }  # fmt: skip
            for e in endpoints
            if e.owner is None or e.owner == firing.owner
        ]
        if rows:
            connection.execute(insert(DELIVERY), rows)
    return written


@dataclass(frozen=True)
class Message:
    """A claimed message with what sending it needs."""

    id: int
    endpoint_id: int
    message_id: str
    body: str
    url: str
    secret: str
    attempts: int
    give_up_at: datetime


def has_due(engine: Engine, now: datetime | None = None) -> bool:
    now = now or utcnow()
    with engine.connect() as connection:
        due = select(DELIVERY.c.id).where(
            or_(
                and_(DELIVERY.c.status == DeliveryStatus.pending.value, DELIVERY.c.next_attempt_at <= now),
                LEASES.expired(now),
            )
        )
        return connection.execute(due.limit(1)).first() is not None


def claim(engine: Engine, worker: str, limit: int, lease_seconds: float, max_lease_expiries: int) -> list[Message]:
    """Up to `limit` due messages of enabled endpoints, the longest due first."""
    now = utcnow()
    with write_transaction(engine) as connection:
        LEASES.requeue_expired(connection, now, max_lease_expiries, "the worker stopped while sending, too often")
        enabled = select(ENDPOINT.c.id).where(ENDPOINT.c.enabled.is_(True))
        candidates = (
            select(DELIVERY.c.id)
            .where(
                DELIVERY.c.status == DeliveryStatus.pending.value,
                DELIVERY.c.next_attempt_at <= now,
                DELIVERY.c.endpoint_id.in_(enabled),
            )
            .order_by(DELIVERY.c.next_attempt_at, DELIVERY.c.id)
            .limit(limit)
        )
        ids = list(connection.execute(LEASES.lock_free(connection, candidates)).scalars())
        if not ids:
            return []
        LEASES.claim(connection, ids, worker, now, lease_seconds)
        rows = connection.execute(
            select(DELIVERY, ENDPOINT.c.url, ENDPOINT.c.secret)
            .join(ENDPOINT, ENDPOINT.c.id == DELIVERY.c.endpoint_id)
            .where(DELIVERY.c.id.in_(ids))
            .order_by(DELIVERY.c.id)
        ).all()
    return [
        Message(
            id=r.id,
            endpoint_id=r.endpoint_id,
            message_id=r.message_id,
            body=r.body,
            url=r.url,
            secret=r.secret,
            attempts=r.attempts,
            give_up_at=as_utc(r.give_up_at) or r.give_up_at,
        )  # fmt: skip
        for r in rows
    ]


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: delivered, or why not and when to try again (None: never)."""

    message: Message
    delivered: bool
    status_code: int | None = None
    error: str | None = None
    retry_at: datetime | None = None


def record(engine: Engine, worker: str, outcomes: Sequence[Outcome]) -> int:
    """Write the outcomes of messages still this worker's; those it lost meanwhile are someone else's now.
    The number recorded."""
    if not outcomes:
        return 0
    now = utcnow()
    with write_transaction(engine) as connection:
        ours = LEASES.still_mine(connection, worker, [o.message.id for o in outcomes])
        for outcome in outcomes:
            if outcome.message.id not in ours:
                continue
            values: dict[str, Any] = {"attempts": DELIVERY.c.attempts + 1, "last_status_code": outcome.status_code}
            if outcome.delivered:
                values.update(status=DeliveryStatus.delivered.value, delivered_at=now, last_error=None)
            elif outcome.retry_at is None or outcome.retry_at > outcome.message.give_up_at:
                values.update(status=DeliveryStatus.failed.value, last_error=(outcome.error or "")[:2000])
            else:
                values.update(
                    status=DeliveryStatus.pending.value, next_attempt_at=outcome.retry_at,
                    last_error=(outcome.error or "")[:2000],
                )  # fmt: skip
            connection.execute(
                update(DELIVERY).where(DELIVERY.c.id == outcome.message.id).values(LEASES.released(**values))
            )
    return len(ours)
