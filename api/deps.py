"""Typed dependencies: the runtime, a database session, the engine's analyzer, and API-key scopes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session

from api.errors import ApiError
from api.state import ServiceState
from vocengine.active import ActiveAnalyzer
from vocengine.runtime import Runtime
from vocengine.settings import Settings
from vocengine.store.keys import has_scope, verify_key
from vocengine.store.tables import ApiKey

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="a key from `vocengine keys create`")
bearer = HTTPBearer(auto_error=False, description="the same key as `Authorization: Bearer <key>`")


def get_state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


StateDep = Annotated[ServiceState, Depends(get_state)]


def get_runtime(state: StateDep) -> Runtime:
    return state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_engine(runtime: RuntimeDep) -> Engine:
    return runtime.engine


EngineDep = Annotated[Engine, Depends(get_engine)]


def get_session(engine: EngineDep) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_analyzer(runtime: RuntimeDep) -> ActiveAnalyzer:
    return runtime.active


AnalyzerDep = Annotated[ActiveAnalyzer, Depends(get_analyzer)]


def require(*scopes: str) -> Callable[..., ApiKey]:
    """A dependency that lets a request through with a valid key holding any of `scopes` (admin: all), within
    the key's rate; a missing or invalid key counts against the client address's failures."""

    def check(
        request: Request,
        state: StateDep,
        session: SessionDep,
        header_key: Annotated[str | None, Security(api_key_header)] = None,
        bearer_key: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None,
    ) -> ApiKey:
        limits = state.rate_limits
        limits.check_address(request)
        key = header_key or (bearer_key.credentials if bearer_key else None)
        if not key:
            limits.failed(request)
            raise ApiError(401, "An API key is required: send it as X-API-Key or Authorization: Bearer")
        record = verify_key(session, key)
        # Give the connection back: a request that then waits (for a model, a thread) must not hold one of the
        # pool's few connections meanwhile. The session opens another if the endpoint uses it.
        session.close()
        if record is None:
            limits.failed(request)
            raise ApiError(401, "The API key is not valid or was revoked")
        assert record.id is not None
        limits.hit_key(record.id)
        if not any(has_scope(record, scope) for scope in scopes):
            raise ApiError(403, f"This key has scopes {record.scopes}; this endpoint needs {' or '.join(scopes)}")
        return record

    return check


IngestKey = Annotated[ApiKey, Depends(require("ingest"))]
ReadKey = Annotated[ApiKey, Depends(require("read"))]
AnalyzeKey = Annotated[ApiKey, Depends(require("ingest", "read"))]
LabelKey = Annotated[ApiKey, Depends(require("label"))]
AdminKey = Annotated[ApiKey, Depends(require("admin"))]


def who(key: ApiKey) -> str:
    """How a key is recorded as the author of a change."""
    return f"{key.name} (key {key.prefix})"
