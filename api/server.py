"""The HTTP server `vocengine serve` runs, configured from the settings: uvicorn with its h11 protocol, plus the
two read deadlines uvicorn lacks.

uvicorn (0.54) times out only an idle keep-alive connection, and only after a first response: a connection
that sends nothing, or sends its headers or its body a byte at a time, is held for as long as the client
likes, and a few hundred of them hold the process's sockets. `DeadlineH11Protocol` adds, per request:

* a header deadline, from the connection's start (or the first byte of the next request on a kept-alive
  connection) to the end of the request's headers;
* a body deadline, from the end of the headers to the end of the body.

Past either the connection is closed: before the headers there is no request to answer; during the body the
application sees the client disconnect. These are whole-phase deadlines, not idle timeouts between reads, so
a client cannot stretch them by sending one byte at a time.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from vocengine.settings import Settings

log = logging.getLogger(__name__)


class ServerConfig(uvicorn.Config):
    """uvicorn's Config with the two deadlines, which the protocol reads from it."""

    def __init__(self, app: Any, *, header_timeout: float, body_timeout: float, **kwargs: Any) -> None:
        super().__init__(app, http=DeadlineH11Protocol, **kwargs)
        self.header_timeout, self.body_timeout = header_timeout, body_timeout


class DeadlineH11Protocol(H11Protocol):
    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.header_timeout: float | None = getattr(config, "header_timeout", None)
        self.body_timeout: float | None = getattr(config, "body_timeout", None)
        self._deadline: asyncio.TimerHandle | None = None
        self._phase: str | None = None  # "headers" or "body": what the armed deadline is for

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm("headers", self.header_timeout)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # may go on to a pipelined request
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _follow(self) -> None:
        """Move the deadline to the phase the client is in, by h11's view of its side of the connection."""
        state = self.conn.their_state
        if state is h11.IDLE and self.timeout_keep_alive_task is None:
            # Headers under way (a kept-alive connection waiting for its next request has the keep-alive
            # timeout instead; uvicorn cancels that at the first byte, and this takes over).
            if self._phase != "headers":
                self._arm("headers", self.header_timeout)
        elif state is h11.SEND_BODY:
            if self._phase != "body":
                self._arm("body", self.body_timeout)
        else:
            self._disarm()

    def _arm(self, phase: str, seconds: float | None) -> None:
        self._disarm()
        if seconds is not None and not self.transport.is_closing():
            self._phase = phase
            self._deadline = self.loop.call_later(seconds, self._expired, phase, seconds)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline, self._phase = None, None

    def _expired(self, phase: str, seconds: float) -> None:
        self._deadline, self._phase = None, None
        if not self.transport.is_closing():
            client = "{}:{}".format(*self.client) if self.client else "a client"
            log.info("closing the connection of %s: its request's %s took over %g s", client, phase, seconds)
            self.transport.close()


def build_server(
    app: Any, settings: Settings, host: str = "127.0.0.1", port: int = 8000, **kwargs: Any
) -> uvicorn.Server:
    """uvicorn's Server for `app` with the limits of `settings` (README, "Limits")."""
    config = ServerConfig(
        app,
        host=host,
        port=port,
        header_timeout=settings.header_timeout_seconds,
        body_timeout=settings.body_timeout_seconds,
        timeout_keep_alive=settings.keep_alive_seconds,
        limit_concurrency=settings.max_concurrency,
        **kwargs,
    )
    return uvicorn.Server(config)
