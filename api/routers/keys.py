"""API keys: what the calling key may do (any key), and for admins the keys themselves: list them (never their
secrets), make one (its secret answered once, only its hash stored), revoke one. `vocengine keys` does the same
through the same use cases."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, status
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.deps import AdminKey, RuntimeDep, require
from api.errors import ApiError, ErrorDetail, ErrorResponse
from api.examples import example
from vocengine.store.tables import ApiKey, as_utc
from vocengine.usecases import keys as usecase

router = APIRouter(prefix="/keys", tags=["keys"])
AnyKey = Annotated[ApiKey, Depends(require("ingest", "read", "label", "admin"))]
SCOPES = ("ingest", "read", "label", "admin")
Prefix = Annotated[str, Path(pattern="^[0-9a-f]{8}$", description="the key's public part")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse, "description": "no key has this prefix"}}


class KeyIdentity(BaseModel):
    name: str = Field(examples=["cx-team"])
    prefix: str = Field(description="the key's public part, as `vocengine keys list` shows it")
    scopes: list[str] = Field(description="as granted: ingest, read, label, admin")
    can: list[str] = Field(description="what the key may do, admin expanded to every scope")


class KeyPublic(BaseModel):
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None

    @field_validator("created_at", "revoked_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value)

    @classmethod
    def of(cls, key: ApiKey) -> KeyPublic:
        return cls(name=key.name, prefix=key.prefix, scopes=key.scopes.split(","), created_at=key.created_at,
                   revoked_at=key.revoked_at)  # fmt: skip


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "cx-team", "scopes": ["read"]}]})
    name: str = Field("", max_length=200)
    scopes: list[str] = Field(min_length=1, max_length=4, description="some of ingest, read, label, admin")


class KeyCreated(KeyPublic):
    key: str = Field(description="the secret: shown this once, only its hash is stored")


@router.get("/me", response_model=KeyIdentity, responses=example("key_me"), summary="The calling key and its scopes")
def me(key: AnyKey) -> KeyIdentity:
    granted = [s for s in key.scopes.split(",") if s]
    can = list(SCOPES) if "admin" in granted else [s for s in SCOPES if s in granted]
    return KeyIdentity(name=key.name, prefix=key.prefix, scopes=granted, can=can)


@router.get("", response_model=list[KeyPublic], responses=example("keys"), summary="Every key, without secrets (admin)")
def list_keys(runtime: RuntimeDep, _key: AdminKey) -> list[KeyPublic]:
    return [KeyPublic.of(k) for k in usecase.list_keys(runtime)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=KeyCreated, summary="Make a key (admin)")
def create_key(body: KeyCreate, runtime: RuntimeDep, _key: AdminKey) -> KeyCreated:
    """The answer holds the secret, the only time it is seen: give it to the tool or person it is for."""
    try:
        secret, record = usecase.create_key(runtime, body.scopes, name=body.name)
    except ValueError as exc:
        raise ApiError(422, str(exc), [ErrorDetail(field="scopes", message=str(exc))]) from exc
    return KeyCreated(**KeyPublic.of(record).model_dump(), key=secret)


@router.delete(
    "/{prefix}",
    response_model=KeyPublic,
    responses={**NOT_FOUND, 409: {"model": ErrorResponse, "description": "the last active admin key"}},
    summary="Revoke a key (admin)",
)
def revoke_key(prefix: Prefix, runtime: RuntimeDep, _key: AdminKey) -> KeyPublic:
    """From now on the key is refused (401). The last active admin key is refused here (409): make another
    admin key first; `vocengine keys revoke` at the terminal may still revoke it."""
    try:
        return KeyPublic.of(usecase.revoke_key(runtime, prefix, keep_an_admin=True))
    except usecase.LastAdminKey as exc:
        raise ApiError(409, str(exc)) from exc
