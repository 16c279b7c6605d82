"""Webhook endpoints (admin) that alerts are delivered to, and their delivery logs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field, field_validator
from standardwebhooks import Webhook

from api.deps import AdminKey, RuntimeDep
from api.errors import ApiError, ErrorDetail, ErrorResponse
from api.examples import example
from vocengine.alerts.urls import UnsafeUrl
from vocengine.store.tables import DeliveryStatus, WebhookDelivery, WebhookEndpoint, as_utc
from vocengine.usecases import alerts

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
EndpointId = Annotated[int, Path(ge=1, le=2**31 - 1, description="a webhook endpoint's id")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse, "description": "no endpoint has this id"}}


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000, description="http(s); not a private, loopback or link-local host")
    owner: str | None = Field(
        None, min_length=1, max_length=100, description="only alerts about what this team owns; null: every alert"
    )
    format: Literal["standard", "slack"] = Field(
        "standard", description="the Standard Webhooks event body, or a Slack incoming-webhook body ({text})"
    )
    description: str | None = Field(None, max_length=500)
    secret: str | None = Field(
        None, min_length=30, max_length=100, description="whsec_<base64>; default: one made for this endpoint"
    )

    @field_validator("secret")
    @classmethod
    def _usable(cls, secret: str | None) -> str | None:
        if secret is not None:
            try:
                Webhook(secret)
            except Exception as exc:  # noqa: BLE001 - any way it fails, it cannot sign
                raise ValueError("not a Standard Webhooks secret (whsec_ followed by base64)") from exc
        return secret


class WebhookPublic(BaseModel):
    id: int
    url: str
    owner: str | None
    format: str
    enabled: bool
    description: str | None
    created_at: datetime

    @field_validator("created_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return as_utc(value) or value


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="verifies our signatures; shown only now")


class DeliveryPublic(BaseModel):
    id: int
    alert_id: int
    message_id: str = Field(description="the webhook-id header of every attempt")
    status: str = Field(description="pending, sending, delivered or failed")
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None = Field(description="when it is tried again, while pending")
    give_up_at: datetime
    created_at: datetime
    delivered_at: datetime | None

    @field_validator("next_attempt_at", "give_up_at", "created_at", "delivered_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value)


def public(endpoint: WebhookEndpoint) -> WebhookPublic:
    return WebhookPublic.model_validate(endpoint.model_dump(exclude={"secret"}))


def delivery(row: WebhookDelivery) -> DeliveryPublic:
    values = row.model_dump(exclude={"body", "claimed_by", "claim_expires_at", "lease_expiries", "endpoint_id"})
    if row.status != DeliveryStatus.pending.value:
        values["next_attempt_at"] = None
    return DeliveryPublic.model_validate(values)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookCreated,
    summary="Register a webhook endpoint (admin)",
    openapi_extra={
        "requestBody": {"content": {"application/json": {"example": {"url": "https://cx.example.com/hooks"}}}}
    },
)
def create_endpoint(body: WebhookCreate, runtime: RuntimeDep, _key: AdminKey) -> WebhookCreated:
    """Every alert from now on (of its `owner`'s touchpoints, when one is given) is sent to it, signed with its
    secret per Standard Webhooks. The secret is in this answer only."""
    try:
        endpoint = alerts.create_endpoint(
            runtime, body.url, owner=body.owner, fmt=body.format, description=body.description, secret=body.secret
        )
    except UnsafeUrl as exc:
        message = f"Refused webhook URL: {exc}"
        raise ApiError(422, message, [ErrorDetail(field="url", message=str(exc))], code="unsafe_url") from exc
    return WebhookCreated(**public(endpoint).model_dump(), secret=endpoint.secret)


@router.get(
    "", response_model=list[WebhookPublic], responses=example("webhooks"), summary="Every webhook endpoint (admin)"
)
def list_endpoints(runtime: RuntimeDep, _key: AdminKey) -> list[WebhookPublic]:
    return [public(e) for e in alerts.list_endpoints(runtime)]


@router.get(
    "/{endpoint_id}",
    response_model=WebhookPublic,
    responses={**NOT_FOUND, **example("webhook")},
    summary="One webhook endpoint",
)
def get_endpoint(endpoint_id: EndpointId, runtime: RuntimeDep, _key: AdminKey) -> WebhookPublic:
    return public(alerts.get_endpoint(runtime, endpoint_id))


@router.delete(
    "/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND, summary="Remove an endpoint"
)
def delete_endpoint(endpoint_id: EndpointId, runtime: RuntimeDep, _key: AdminKey) -> None:
    """With its delivery log; messages not sent to it yet are dropped."""
    alerts.delete_endpoint(runtime, endpoint_id)


@router.get(
    "/{endpoint_id}/deliveries",
    response_model=list[DeliveryPublic],
    responses={**NOT_FOUND, **example("deliveries")},
    summary="An endpoint's delivery log, newest first (admin)",
)
def list_deliveries(
    endpoint_id: EndpointId,
    runtime: RuntimeDep,
    _key: AdminKey,
    status: DeliveryStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> list[DeliveryPublic]:
    found = alerts.deliveries(runtime, endpoint_id, status=status.value if status else None, limit=limit, before=before)
    return [delivery(d) for d in found]
