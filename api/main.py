"""The application on one `Runtime`: routers combined in one place, models loaded once in `lifespan`, the
embedded worker.

vocengine serve      (or uvicorn --factory api.main:create_app, without api.server's read deadlines)
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import errors
from api.limits import RequestTimeLimit
from api.routers import (
    accounts,
    alert_rules,
    alerts,
    analyze,
    connectors,
    health,
    insights,
    jobs,
    journey_maps,
    keys,
    labels,
    models,
    responses,
    themes,
    webapp,
    webhooks,
)
from api.state import ServiceState
from vocengine.runtime import Runtime
from vocengine.store.journeys import ensure_active
from vocengine.worker import ScoringWorker

log = logging.getLogger(__name__)

DESCRIPTION = """
vocengine turns free-text customer feedback into a customer journey map.

* Survey tools and ticket systems **push responses** (`ingest` scope); each is stored before it is scored.
* CX leads **query** how customers feel at each stage and touchpoint, per persona, over time (`read` scope).
* Every endpoint but `/health` needs an API key (`vocengine keys create --scope read`), sent as `X-API-Key`;
  but `/v1/connectors/*`, which tools (Typeform, Zendesk, ...) call with their own signature instead.
* Limits (README, "Limits"): a rate per key (429 with Retry-After), a time limit per request (504), a full
  scoring queue refuses ingest (503 with Retry-After; nothing is dropped), bodies over the size limit (413).
* Every error has one shape: `{"error": {"code", "message", "details": [{"field", "index", "message"}]}}`.
"""


def create_app(runtime: Runtime | None = None, *, run_worker: bool | None = None) -> FastAPI:
    """The service on `runtime` (tests pass one with a small analyzer and an engine of their own; `vocengine
    serve` passes the one it made the first key with; nothing: one from the VOCENGINE_* settings)."""
    runtime = runtime or Runtime()
    settings = runtime.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = runtime.engine
        active = runtime.active  # the models load here, once, before the first request
        ensure_active(engine, active.base.journey)
        state = ServiceState(runtime=runtime)
        if settings.embedded_worker if run_worker is None else run_worker:
            state.worker = ScoringWorker(runtime)
            state.worker.start_thread()
        app.state.service = state
        # Load the insight queries' in-memory columns now, beside the server, not on the first query.
        threading.Thread(
            target=runtime.frame_cache.get, args=(engine,), name="vocengine-insights-warmup", daemon=True
        ).start()
        # The models, torch, spaCy and the rest loaded by now are ~470,000 objects that live as long as the
        # process. Every full collection walked them all: ~300 ms on a 2-core machine, the pauses that made a
        # query's p95 several times its p50 (a daily trend makes enough objects to set one off). Frozen,
        # they are left out of every collection.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            if state.worker:
                state.worker.stop()

    app = FastAPI(
        title="vocengine",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        responses=errors.EVERY_OPERATION,
    )
    errors.install(app)
    app.add_middleware(errors.BodySizeLimit, limit=settings.max_body_bytes)
    app.add_middleware(RequestTimeLimit, seconds=settings.request_timeout_seconds)
    app.include_router(health.router)
    app.include_router(webapp.router)
    routers = (
        responses,
        analyze,
        insights,
        themes,
        accounts,
        journey_maps,
        labels,
        models,
        jobs,
        alert_rules,
        alerts,
        webhooks,
        connectors,
        keys,
    )
    for router in (module.router for module in routers):
        errors.document_statuses(router)
        app.include_router(router, prefix="/v1")
    return app
