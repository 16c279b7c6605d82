"""Taking in what a survey or ticket tool posts: the tool's signature checked, its payload mapped
(`vocengine.connectors`), and what it maps to stored through the one ingest use case
(`vocengine.usecases.responses`), or, for a notification that carries only ids, a job queued to read the
response from the tool's API (`vocengine.jobs.connector_fetch`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select

from vocengine.connectors.base import FETCH_KIND, Connector, Fetch, Ignored, Inbound, NotConfigured, Signed, Store
from vocengine.connectors.registry import CONNECTORS
from vocengine.runtime import Runtime
from vocengine.store import jobs
from vocengine.store.db import write_transaction
from vocengine.store.queue import RESPONSE
from vocengine.usecases.responses import check_queue, store_or_revise, store_responses

log = logging.getLogger(__name__)
Outcome = Literal["accepted", "duplicate", "updated", "queued", "ignored"]


@dataclass(frozen=True)
class Received:
    status: Outcome
    external_id: str | None = None
    id: int | None = None  # the stored response
    job_id: int | None = None  # the job that reads it from the tool's API
    reason: str | None = None  # why it was ignored


def receive(runtime: Runtime, name: str, request: Signed) -> Received:
    """What connector `name` makes of `request`. Raises `NotConfigured` when its settings are unset,
    `BadSignature` (nothing stored) when the tool's signature is missing or wrong, `BadPayload` or a pydantic
    `ValidationError` when the payload cannot be mapped, and what ingest raises (`QueueFull`)."""
    connector = CONNECTORS[name]
    settings = runtime.settings
    if not connector.configured(settings):
        names = ", ".join(f"VOCENGINE_{setting.upper()}" for setting in connector.required)
        raise NotConfigured(f"The {name} connector is not configured: set {names}")
    connector.verify(settings, request)
    return take(runtime, connector, connector.parse(settings, request.body))


def take(runtime: Runtime, connector: Connector, inbound: Inbound, *, respect_queue_limit: bool = True) -> Received:
    """Store, revise or queue what a payload mapped to."""
    if isinstance(inbound, Ignored):
        log.info("%s event ignored: %s", connector.name, inbound.reason)
        return Received("ignored", inbound.external_id, reason=inbound.reason)
    if isinstance(inbound, Store):
        item = inbound.item
        if inbound.revise:
            response_id, new, revised = store_or_revise(runtime, item)
            return Received("accepted" if new else "updated" if revised else "duplicate", item.external_id, response_id)
        [accepted] = store_responses(runtime, [item], respect_queue_limit=respect_queue_limit)
        return Received("duplicate" if accepted.duplicate else "accepted", item.external_id, accepted.id)
    return _queue_fetch(runtime, connector, inbound)


def _queue_fetch(runtime: Runtime, connector: Connector, fetch: Fetch) -> Received:
    # Stored already (a redelivered notification): nothing to read again. Else the notification waits in the
    # job table; an open job for the same response answers instead of a second one.
    with runtime.engine.connect() as connection:
        stored = connection.execute(
            select(RESPONSE.c.id).where(
                RESPONSE.c.source == connector.source.value, RESPONSE.c.external_id == fetch.external_id
            )
        ).scalar()
    if stored is not None:
        return Received("duplicate", fetch.external_id, int(stored))
    check_queue(runtime)
    params = {"connector": connector.name, **fetch.params}
    with write_transaction(runtime.engine) as connection:
        job_id, _ = jobs.enqueue(
            connection, FETCH_KIND, params, dedupe_key=f"{connector.name}:{fetch.external_id}"[:200], total=1
        )
    return Received("queued", fetch.external_id, job_id=job_id)
