"""Alerts the rules fired, with their evidence (admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, field_validator

from api.deps import AdminKey, RuntimeDep
from api.examples import example
from vocengine.store.tables import Alert, as_utc
from vocengine.usecases import alerts

router = APIRouter(prefix="/alerts", tags=["alerts"])


class AlertPublic(BaseModel):
    id: int
    rule_id: int
    rule_version: int
    kind: str
    subject: str = Field(description="touchpoint:<id>, stage:<id>, account:<id> or response:<id>")
    period: str = Field(description="the ISO week of a spike, the day of an account's change; empty otherwise")
    owner: str | None = Field(description="the team that owns the subject in the journey map")
    title: str
    evidence: dict[str, Any] = Field(description="figures and example sentences (redacted as stored)")
    created_at: datetime

    @field_validator("created_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return as_utc(value) or value


def public(alert: Alert) -> AlertPublic:
    return AlertPublic.model_validate(alert.model_dump(exclude={"dedupe_key"}))


@router.get("", response_model=list[AlertPublic], responses=example("alerts"), summary="Alerts, newest first (admin)")
def list_alerts(
    runtime: RuntimeDep,
    _key: AdminKey,
    rule_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="only alerts with a smaller id")] = None,
) -> list[AlertPublic]:
    return [public(a) for a in alerts.list_alerts(runtime, rule_id=rule_id, limit=limit, before=before)]
