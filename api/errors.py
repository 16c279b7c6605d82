"""One JSON shape for every error: {"error": {"code", "message", "details": [{"field", "index", "message"}]}}."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from vocengine.errors import VocengineError
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
         413: "payload_too_large", 422: "validation_error", 503: "unavailable"}  # fmt: skip


def error_response(
    status: int, message: str, details: list[ErrorDetail] | None = None, code: str | None = None
) -> JSONResponse:
    body = ErrorResponse(
        error=ErrorBody(code=code or CODES.get(status, "error"), message=message, details=details or [])
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=status)


class ApiError(Exception):
    def __init__(
        self, status: int, message: str, details: list[ErrorDetail] | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.details, self.code = status, message, details or [], code


def _detail(error: dict[str, Any]) -> ErrorDetail:
    # A refused dict key is part of the location: one that is a lone surrogate could not be encoded in the answer.
    loc = [servable(str(part)) for part in error.get("loc", ())]
    if loc and loc[0] in ("body", "query", "path", "header"):
        loc = loc[1:]
    index = None
    # A batch item's location is ("items", 3, "text"): report its index on its own as well.
    if len(loc) >= 2 and loc[0] == "items" and loc[1].isdigit():
        index = int(loc[1])
    message = servable(str(error.get("msg", "invalid")).removeprefix("Value error, "))
    return ErrorDetail(field=".".join(loc) or None, index=index, message=message)


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
        return error_response(exc.status, exc.message, exc.details, exc.code)

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
