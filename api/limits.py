"""What one client or one request may take from the service: a rate per API key (and per address for bad keys),
a time limit per request, and a few threads of their own for the model calls.

The rate limits count in this process's memory (the `limits` library's `MemoryStorage`, a sliding window
counter): right for the embedded default, one `vocengine serve`. Several API processes each allow the full
rate; a shared count would need the library's Redis storage, which this project does not ship.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError, error_response
from vocengine.settings import Settings

T = TypeVar("T")


class RateLimits:
    """Requests per minute per API key, and requests with a missing or invalid key per client address (so
    that guessing keys is as slow as the limit). A limit of 0 is no limit."""

    def __init__(self, per_key: int, auth_failures: int) -> None:
        # Sliding window counter: no burst of twice the rate across a window's edge (fixed window), and two
        # counters per client instead of a timestamp per request (moving window).
        self.limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        self.per_key = RateLimitItemPerMinute(per_key) if per_key else None
        self.auth_failures = RateLimitItemPerMinute(auth_failures) if auth_failures else None

    @classmethod
    def of(cls, settings: Settings) -> RateLimits:
        return cls(settings.rate_limit_per_minute, settings.auth_failures_per_minute)

    def check_address(self, request: Request) -> None:
        """429 for an address that used up its failures, before its key is even looked up."""
        if self.auth_failures and not self.limiter.test(self.auth_failures, "address", _address(request)):
            raise self._refusal(self.auth_failures, "address", _address(request))

    def failed(self, request: Request) -> None:
        if self.auth_failures:
            self.limiter.hit(self.auth_failures, "address", _address(request))

    def hit_key(self, key_id: int) -> None:
        if self.per_key and not self.limiter.hit(self.per_key, "key", str(key_id)):
            raise self._refusal(self.per_key, "key", str(key_id))

    def _refusal(self, item: RateLimitItem, *identifiers: str) -> ApiError:
        reset_at, _ = self.limiter.get_window_stats(item, *identifiers)
        retry_after = max(1, math.ceil(reset_at - time.time()))
        what = "this API key" if identifiers[0] == "key" else "requests without a valid API key from this address"
        return ApiError(
            429, f"Too many requests: {what} may make {item.amount} a minute", headers={"Retry-After": str(retry_after)}
        )


def _address(request: Request) -> str:
    # Behind a proxy this is the client's address only when uvicorn trusts the proxy (--forwarded-allow-ips).
    return request.client.host if request.client else "unknown"


class HeavyWork:
    """The model calls run on a few threads of their own, so that however many arrive they never take the
    threads that FastAPI runs every other (sync) endpoint on, `/health` among them; the rest wait, costing
    nothing but a coroutine."""

    def __init__(self, concurrency: int) -> None:
        self.limiter = anyio.CapacityLimiter(concurrency)

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        # abandon_on_cancel: a request given up (time limit, client gone) stops waiting for the thread at once;
        # the work itself stops at its next check of `abandoned(request)`.
        return await anyio.to_thread.run_sync(func, *args, limiter=self.limiter, abandon_on_cancel=True)


def abandoned(request: Request) -> threading.Event:
    """Set when the request's time limit passed and its 504 is on its way: long work checks it and stops."""
    event: threading.Event = request.scope.setdefault("state", {}).setdefault("abandoned", threading.Event())
    return event


class RequestTimeLimit:
    """A request that has not begun its response after `seconds` answers 504 in the one error shape and is
    abandoned: its task is cancelled, and `abandoned(request)` is set for work on a thread, which Python cannot
    stop from outside (FastAPI's sync endpoints run to their end; what they send after the 504 goes nowhere).
    A response already under way is left to finish."""

    def __init__(self, app: ASGIApp, seconds: float | None) -> None:
        self.app, self.seconds = app, seconds
        self._abandoned: set[asyncio.Task[None]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.seconds is None:
            await self.app(scope, receive, send)
            return
        flag = scope.setdefault("state", {}).setdefault("abandoned", threading.Event())
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if flag.is_set():
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        # A task raced against the clock rather than a cancel scope around the app: a cancel scope waits for a
        # sync endpoint's thread to finish before the 504 could go out, which is the wait this limit is for.
        task = asyncio.ensure_future(self.app(scope, receive, guarded_send))
        try:
            done, _ = await asyncio.wait({task}, timeout=self.seconds)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if done or started:
            # A response under way (a long export streaming out) is making progress: it runs to its end.
            await task
            return
        flag.set()
        task.cancel()
        self._abandoned.add(task)
        task.add_done_callback(_forget(self._abandoned))
        message = f"The request ran past its time limit of {self.seconds:g} s and was abandoned"
        await error_response(504, message)(scope, receive, send)


def _forget(tasks: set[asyncio.Task[None]]) -> Callable[[asyncio.Task[None]], None]:
    def done(task: asyncio.Task[None]) -> None:
        tasks.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: whatever it raised after its 504 is of no interest to anyone

    return done
