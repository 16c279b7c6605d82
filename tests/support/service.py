"""The service under test: a real uvicorn server on a loopback port, a real database, a real HTTP client, all
on one `Runtime` that the test builds with its parts swapped in (a tiny analyzer, a test engine)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from sqlalchemy import Engine

from api.main import create_app
from api.server import build_server
from vocengine.runtime import Runtime
from vocengine.settings import Settings
from vocengine.usecases.keys import create_key
from vocengine.worker import ScoringWorker


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(app: Any, settings: Settings | None = None) -> tuple[uvicorn.Server, threading.Thread, str]:
    """`app` served as `vocengine serve` serves it (`api.server`, with the limits of `settings`), in a thread of
    this process, on a free loopback port."""
    port = free_port()
    server = build_server(app, settings or Settings(), port=port, log_level="warning", lifespan="on")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


@dataclass
class Service:
    url: str
    runtime: Runtime

    @property
    def engine(self) -> Engine:
        return self.runtime.engine

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def analyzer(self) -> Any:
        return self.runtime.analyzer

    def key(self, *scopes: str) -> str:
        key, _ = create_key(self.runtime, scopes or ("admin",))
        return key

    def client(self, *scopes: str) -> httpx.Client:
        headers = {"X-API-Key": self.key(*scopes)} if scopes else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def worker(self, name: str = "test-worker") -> ScoringWorker:
        return ScoringWorker(self.runtime, name=name)

    def drain(self) -> int:
        """Score everything pending and run every job, as the worker would; the units it handled."""
        return self.worker().drain()


def serve(runtime: Runtime, run_worker: bool = False) -> tuple[Service, Any]:
    """The API on `runtime` (without its background worker unless asked: tests score with `drain()`,
    deterministically), and a function that stops it."""
    server, thread, url = start_server(create_app(runtime, run_worker=run_worker), runtime.settings)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return Service(url=url, runtime=runtime), stop
