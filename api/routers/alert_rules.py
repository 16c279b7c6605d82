"""Alert rules (admin): spikes at a touchpoint or stage, contacts at risk, responses that match a condition."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, Field, field_validator

from api.deps import AdminKey, RuntimeDep
from api.errors import ErrorResponse
from api.examples import example
from vocengine.alerts.rules import RuleSpec
from vocengine.store.tables import AlertRule, as_utc
from vocengine.usecases import alerts

router = APIRouter(prefix="/alert-rules", tags=["alerts"])
RuleId = Annotated[int, Path(ge=1, le=2**31 - 1, description="an alert rule's id")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse, "description": "no rule has this id"}}

EXAMPLE_RULE = {
    "name": "Angry detractors",
    "condition": {"kind": "response_match", "sentiment": "negative", "emotions": ["anger", "disgust"], "score_max": 3},
}


class AlertRulePublic(BaseModel):
    id: int
    name: str
    kind: str = Field(description="spike, contact_at_risk or response_match")
    condition: dict[str, Any]
    enabled: bool
    version: int = Field(description="1 when made, one more at every change")
    created_at: datetime
    updated_at: datetime

    @field_validator("created_at", "updated_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return as_utc(value) or value


def public(rule: AlertRule) -> AlertRulePublic:
    return AlertRulePublic.model_validate(rule.model_dump())


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AlertRulePublic,
    summary="Make an alert rule (admin)",
    openapi_extra={"requestBody": {"content": {"application/json": {"example": EXAMPLE_RULE}}}},
)
def create_rule(spec: RuleSpec, runtime: RuntimeDep, _key: AdminKey) -> AlertRulePublic:
    """Response-match and contact-at-risk rules are evaluated with every scored batch; spike rules every
    `VOCENGINE_ALERT_SPIKE_INTERVAL_SECONDS` by an idle worker. An invalid condition is refused with 422."""
    return public(alerts.create_rule(runtime, spec))


@router.get(
    "", response_model=list[AlertRulePublic], responses=example("alert_rules"), summary="Every alert rule (admin)"
)
def list_rules(runtime: RuntimeDep, _key: AdminKey) -> list[AlertRulePublic]:
    return [public(r) for r in alerts.list_rules(runtime)]


@router.get(
    "/{rule_id}",
    response_model=AlertRulePublic,
    responses={**NOT_FOUND, **example("alert_rule")},
    summary="One alert rule (admin)",
)
def get_rule(rule_id: RuleId, runtime: RuntimeDep, _key: AdminKey) -> AlertRulePublic:
    return public(alerts.get_rule(runtime, rule_id))


@router.put("/{rule_id}", response_model=AlertRulePublic, responses=NOT_FOUND, summary="Replace an alert rule (admin)")
def replace_rule(rule_id: RuleId, spec: RuleSpec, runtime: RuntimeDep, _key: AdminKey) -> AlertRulePublic:
    """A change makes a new version; alerts record the version that fired them."""
    return public(alerts.replace_rule(runtime, rule_id, spec))


@router.delete(
    "/{rule_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND, summary="Delete an alert rule (admin)"
)
def delete_rule(rule_id: RuleId, runtime: RuntimeDep, _key: AdminKey) -> None:
    """The rule fires no more; the alerts it fired stay."""
    alerts.delete_rule(runtime, rule_id)
