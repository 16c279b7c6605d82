"""API keys: what the calling key may do. The web app asks this after sign-in to show only what the key's
scopes allow; keys are made and revoked with `vocengine keys` (the secret is shown once, on a terminal)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.deps import require
from api.examples import example
from vocengine.store.tables import ApiKey

router = APIRouter(prefix="/keys", tags=["keys"])
AnyKey = Annotated[ApiKey, Depends(require("ingest", "read", "label", "admin"))]
SCOPES = ("ingest", "read", "label", "admin")


class KeyIdentity(BaseModel):
    name: str = Field(examples=["cx-team"])
    prefix: str = Field(description="the key's public part, as `vocengine keys list` shows it")
    scopes: list[str] = Field(description="as granted: ingest, read, label, admin")
    can: list[str] = Field(description="what the key may do, admin expanded to every scope")


@router.get("/me", response_model=KeyIdentity, responses=example("key_me"), summary="The calling key and its scopes")
def me(key: AnyKey) -> KeyIdentity:
    granted = [s for s in key.scopes.split(",") if s]
    can = list(SCOPES) if "admin" in granted else [s for s in SCOPES if s in granted]
    return KeyIdentity(name=key.name, prefix=key.prefix, scopes=granted, can=can)
