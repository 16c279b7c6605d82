"""Inbound connectors: survey and ticket tools post their own payloads here, authenticated by their own
signature over the raw body, not by an API key (a tool cannot send one). Each endpoint is one use case,
`vocengine.usecases.connectors.receive`, which stores through the same ingest as `POST /v1/responses`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from api.deps import RuntimeDep, StateDep
from api.errors import RETRY_AFTER, ApiError, ErrorDetail, ErrorResponse, documented
from vocengine.connectors.base import BadPayload, BadSignature, NotConfigured, Signed
from vocengine.connectors.registry import CONNECTORS
from vocengine.usecases import connectors as usecase

router = APIRouter(prefix="/connectors", tags=["connectors"])


class ConnectorResult(BaseModel):
    status: Literal["accepted", "duplicate", "updated", "queued", "ignored"] = Field(
        description="accepted: stored; duplicate: stored before, nothing changed; updated: a stored response revised "
        "(Delighted); queued: a job reads the response from the tool's API; ignored: nothing to store (see reason)"
    )
    external_id: str | None = Field(None, description="the tool's id of the response, the idempotency key")
    id: int | None = Field(None, description="the stored response")
    job_id: int | None = Field(None, description="the job that reads the response (GET /v1/jobs/{id})")
    reason: str | None = Field(None, description="why nothing was stored")


async def raw_body(request: Request) -> bytes:
    # The signature covers these exact bytes: read them before anything parses them.
    return await request.body()


RawBody = Annotated[bytes, Depends(raw_body)]
NEW = {"accepted", "updated", "queued"}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": ConnectorResult, "description": "a duplicate, or an event with nothing to store"},
    401: {"model": ErrorResponse, "description": "the tool's signature is missing or wrong: nothing was stored"},
    404: {"model": ErrorResponse, "description": "the connector is not configured (code connector_not_configured)"},
    413: {"model": ErrorResponse, "description": "the body is over VOCENGINE_MAX_BODY_BYTES"},
    422: {"model": ErrorResponse, "description": "not a payload of this tool, or the response it holds is invalid"},
    429: documented("too many wrong signatures from this address; see Retry-After", RETRY_AFTER),
}


def _validation_details(exc: ValidationError) -> list[ErrorDetail]:
    return [
        ErrorDetail(field=".".join(str(p) for p in e["loc"]) or None, message=e["msg"].removeprefix("Value error, "))
        for e in exc.errors()
    ]


def endpoint(name: str) -> Callable[..., Any]:
    def receive(request: Request, body: RawBody, state: StateDep, runtime: RuntimeDep) -> Any:
        limits = state.rate_limits
        limits.check_address(request)
        signed = Signed(
            headers={k.lower(): v for k, v in request.headers.items()}, body=body, query=dict(request.query_params)
        )
        try:
            received = usecase.receive(runtime, name, signed)
        except NotConfigured as exc:
            raise ApiError(404, str(exc), code="connector_not_configured") from exc
        except BadSignature as exc:
            # Counted like a wrong API key: guessing a signature is as slow as guessing a key.
            limits.failed(request)
            raise ApiError(401, f"The {name} signature is not valid: {exc}") from exc
        except BadPayload as exc:
            raise ApiError(
                422, f"Not a {name} payload: {exc}", [ErrorDetail(field=exc.field, message=str(exc))]
            ) from exc
        except ValidationError as exc:
            details = _validation_details(exc)
            raise ApiError(
                422, f"The {name} response is invalid at {details[0].field}: {details[0].message}", details
            ) from exc
        result = ConnectorResult(
            status=received.status, external_id=received.external_id, id=received.id, job_id=received.job_id,
            reason=received.reason,
        )  # fmt: skip
        return JSONResponse(result.model_dump(mode="json"), status_code=202 if received.status in NEW else 200)

    receive.__name__ = f"receive_{name}"
    return receive


for _name, _connector in CONNECTORS.items():
    router.add_api_route(
        f"/{_name}",
        endpoint(_name),
        methods=["POST"],
        status_code=202,
        response_model=ConnectorResult,
        responses=RESPONSES,
        summary=f"Receive a {_name} webhook (signed by {_name}, no API key)",
        description=(_connector.__doc__ or "").strip(),
    )
