"""One JSON shape for every error: {"error": {"code", "message", "details": [{"field", "index", "message"}]}}."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security.base import SecurityBase
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from vocengine.errors import QueueFull, VocengineError
from vocengine.validation import servable


class ErrorDetail(BaseModel):
    field: str | None = Field(None, description="where in the request, e.g. items.3.text")
    index: int | None = Field(None, description="the item's index in a batch")
    message: str


class ErrorBody(BaseModel):
    code: str = Field(description="stable code: validation_error, unauthorized, forbidden, not_found, ...")
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    error: ErrorBody


CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict",
         413: "payload_too_large", 422: "validation_error", 429: "rate_limited", 503: "unavailable",
         504: "timeout"}  # fmt: skip


def error_response(
    status: int, message: str, details: list[ErrorDetail] | None = None, code: str | None = None
) -> JSONResponse:
    body = ErrorResponse(
        error=ErrorBody(code=code or CODES.get(status, "error"), message=message, details=details or [])
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=status)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        details: list[ErrorDetail] | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.details, self.code = status, message, details or [], code
        self.headers = headers or {}


def _detail(error: dict[str, Any]) -> ErrorDetail:
    # A refused dict key is part of the location: one that is a lone surrogate could not be encoded in the answer.
    loc = [servable(str(part)) for part in error.get("loc", ())]
    if loc and loc[0] in ("body", "query", "path", "header"):
        loc = loc[1:]
    index = None
    # A list item's location is ("items", 3, "text") or ("texts", 3): report its index on its own as well.
    if len(loc) >= 2 and loc[0] in ("items", "texts") and loc[1].isdigit():
        index = int(loc[1])
    message = servable(str(error.get("msg", "invalid")).removeprefix("Value error, "))
    return ErrorDetail(field=".".join(loc) or None, index=index, message=message)


def documented(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description, **({"headers": headers} if headers else {})}


RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before sending again", "schema": {"type": "integer"}}}
# Any operation can meet these (api.limits): the server at its time limit, or at its connection limit.
EVERY_OPERATION: dict[int | str, dict[str, Any]] = {
    503: documented(
        "ingest: the scoring queue is full (code queue_full), nothing was stored; see Retry-After. Any "
        "endpoint: the server is at its connection limit",
        RETRY_AFTER,
    ),
    504: documented("the request ran past its time limit; abandoned"),
}


NOT_FOUND = documented("not found: the message names what")
CONFLICT = documented("refused in the registry's present state: the message says why")


def document_statuses(router: APIRouter) -> None:
    """Document the statuses that follow from how an operation is built, in one place, on every operation:
    401/403 where a key is needed, 422 where something is read from the request, 400 (a body that is not
    UTF-8 JSON) and 413 where a body is. Statuses of one resource (404, 409) are declared by its router.
    Call on each router before it is included (an app's routes are built from its routers' lazily)."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        parts = list(_dependants(route.dependant))
        body = any(d.body_params for d in parts)
        found: dict[int | str, dict[str, Any]] = {}
        if body:
            found[400] = documented("the body could not be read: it is not UTF-8 JSON")
            found[413] = documented("the body is over VOCENGINE_MAX_BODY_BYTES")
        if any(isinstance(d.call, SecurityBase) for d in parts):
            found[401] = documented("no API key, or an invalid one")
            found[403] = documented("the key lacks the scope")
            found[429] = documented(
                "over the key's rate, or too many failed keys from this address; see Retry-After", RETRY_AFTER
            )
        if body or any(d.path_params or d.query_params or d.header_params for d in parts):
            found[422] = documented("the request is invalid; details name the field")
        route.responses = {**found, **route.responses}


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [_detail(dict(e)) for e in exc.errors()]
        first = details[0] if details else ErrorDetail(message="invalid request")
        where = f" at {first.field}" if first.field else ""
        return error_response(422, f"Invalid request{where}: {first.message}", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = error_response(exc.status_code, str(exc.detail))
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(ApiError)
    async def _api(_request: Request, exc: ApiError) -> JSONResponse:
        response = error_response(exc.status, exc.message, exc.details, exc.code)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(QueueFull)
    async def _queue_full(_request: Request, exc: QueueFull) -> JSONResponse:
        response = error_response(503, str(exc), code="queue_full")
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(LookupError)
    async def _missing(_request: Request, exc: LookupError) -> JSONResponse:
        return error_response(404, str(exc).strip("'\""))

    @app.exception_handler(VocengineError)
    async def _engine(_request: Request, exc: VocengineError) -> JSONResponse:
        field = exc.fields.get("field")
        details = [ErrorDetail(field=servable(str(field)), message=str(exc))] if field else []
        return error_response(422, servable(str(exc)), details, code=exc.code)


class BodySizeLimit:
    """Refuse bodies over the limit with 413 before they are read into memory, whether or not the
    client sent a Content-Length."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await self._refuse(scope, receive, send)
            return
        if length is not None:
            await self.app(scope, receive, send)
            return
        # No length given (chunked): read at most `limit` bytes, then hand the body on as it came.
        messages: list[Any] = []
        seen = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > self.limit:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replay = iter(messages)

        async def replayed() -> Any:
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, f"Request body is larger than the limit of {self.limit} bytes")
        await response(scope, receive, send)
