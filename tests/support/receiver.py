"""A webhook receiver for tests: a real HTTP server on a loopback port that verifies each message with the
Standard Webhooks reference code (`Webhook.verify`) and keeps what it got. It can be down (not listening),
slow, or failing, and be brought up again on the same port."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

from tests.support.service import free_port


@dataclass
class Received:
    id: str
    body: bytes
    payload: Any
    headers: dict[str, str]


@dataclass
class Receiver:
    secret: str | None = None
    port: int = field(default_factory=free_port)
    delay: float = 0.0  # seconds before answering (a slow receiver)
    slow_times: int = 0  # how many requests are slow; then fast
    status: int = 204
    received: list[Received] = field(default_factory=list)  # every verified request, repeats included
    rejected: list[str] = field(default_factory=list)  # why a request failed verification
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    @property
    def unique(self) -> dict[str, Received]:
        """Messages by webhook-id: what a receiver that drops repeats handles, once each."""
        out: dict[str, Received] = {}
        for r in self.received:
            out.setdefault(r.id, r)
        return out

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver._lock:
                    slow = receiver.slow_times > 0
                    receiver.slow_times -= 1 if slow else 0
                if slow:
                    time.sleep(receiver.delay)
                headers = {k: v for k, v in self.headers.items()}
                try:
                    assert receiver.secret is not None
                    payload = Webhook(receiver.secret).verify(body, headers)
                except (WebhookVerificationError, AssertionError) as exc:
                    receiver.rejected.append(str(exc))
                    self.send_response(400)
                    self.end_headers()
                    return
                with receiver._lock:
                    receiver.received.append(Received(headers["webhook-id"], body, payload, headers))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def payloads(self) -> list[Any]:
        return [json.loads(r.body) for r in self.unique.values()]
