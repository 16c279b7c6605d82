"""The service under test: a real uvicorn server on a loopback port, a real database, a real HTTP client."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine
from sqlmodel import Session

from api.main import create_app
from vocengine.bench_service import free_port
from vocengine.settings import Settings
from vocengine.store.keys import create_key
from vocengine.worker import ActiveAnalyzer, ScoringWorker


@dataclass
class Service:
    url: str
    engine: Engine
    settings: Settings
    analyzer: Any

    def key(self, *scopes: str) -> str:
        with Session(self.engine) as session:
            key, _ = create_key(session, scopes or ("admin",))
        return key

    def client(self, *scopes: str) -> httpx.Client:
        headers = {"X-API-Key": self.key(*scopes)} if scopes else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def worker(self, name: str = "test-worker") -> ScoringWorker:
        return ScoringWorker(self.engine, ActiveAnalyzer(self.engine, self.analyzer), self.settings, name=name)

    def drain(self) -> int:
        """Score everything pending, as the worker would; the number of responses it handled."""
        worker, handled = self.worker(), 0
        while batch := worker.run_once():
            handled += batch
        return handled


def start_server(app: Any) -> tuple[uvicorn.Server, threading.Thread, str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture
def service_settings() -> Settings:
    return Settings(touchpoint_threshold=-1.0, max_batch_items=50, max_body_bytes=256 * 1024, worker_batch_size=8)


@pytest.fixture
def service(db_engine: Engine, tiny_analyzer: Any, service_settings: Settings):
    """The API without its background worker: tests score with `service.drain()`, deterministically."""
    app = create_app(settings=service_settings, analyzer=tiny_analyzer, engine=db_engine, run_worker=False)
    server, thread, url = start_server(app)
    yield Service(url=url, engine=db_engine, settings=service_settings, analyzer=tiny_analyzer)
    server.should_exit = True
    thread.join(timeout=10)
