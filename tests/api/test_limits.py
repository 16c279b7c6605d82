"""Limits: what one client, one request or one slow connection may take from the service. A real server
(`api.server`, as `vocengine serve` runs it) on a loopback port, raw sockets where the client misbehaves.

No test asserts how long something took: timeouts are short (0.5 s) and the guards long (15 s), so a loaded
machine makes a test slower, never wrong."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select

from api.main import create_app
from tests.support.service import start_server
from vocengine.analyzer import Analyzer
from vocengine.errors import QueueFull
from vocengine.ingest import ResponseCreate
from vocengine.runtime import Runtime
from vocengine.settings import Settings
from vocengine.store.queue import DepthGauge
from vocengine.store.tables import Response
from vocengine.usecases.keys import create_key
from vocengine.usecases.responses import store_responses
from vocengine.worker import ScoringWorker

GUARD = 15.0
RESPONSE = Response.__table__


class GatedAnalyzer(Analyzer):
    """The real analyzer on the tiny model, which waits at a gate before each call: a long model call that the
    test ends when it chooses."""

    def __init__(self, base: Analyzer) -> None:
        super().__init__(
            base.predictor, base.journey, base.settings, base.redactor, base.splitter, base.language_detector,
            base.learned,
        )  # fmt: skip
        self.gate = threading.Event()
        self.entered = threading.Semaphore(0)
        self.calls = 0
        self.returned = threading.Event()

    def analyze(self, texts: Any, ids: Any = None) -> Any:
        self.calls += 1
        self.entered.release()
        assert self.gate.wait(GUARD * 4), "the test never opened the gate"
        try:
            return super().analyze(texts, ids)
        finally:
            self.returned.set()


class Limited:
    def __init__(self, url: str, runtime: Runtime, server: Any) -> None:
        self.url, self.runtime, self.server = url, runtime, server

    def client(self, *scopes: str, **kwargs: Any) -> httpx.Client:
        headers = {"X-API-Key": create_key(self.runtime, scopes)[0]} if scopes else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=GUARD, **kwargs)

    def connect(self) -> socket.socket:
        host, port = self.url.removeprefix("http://").split(":")
        sock = socket.create_connection((host, int(port)), timeout=GUARD)
        return sock

    def in_flight(self) -> int:
        return len(self.server.server_state.tasks)


@pytest.fixture
def limited(tmp_path, tiny_analyzer) -> Iterator[Callable[..., Limited]]:
    """A factory: the service with these settings (and this analyzer, or the tiny one), on this engine or a
    fresh SQLite file."""
    from vocengine.store.db import make_engine, migrate

    stops: list[Callable[[], None]] = []

    def make(engine: Engine | None = None, analyzer: Analyzer | None = None, **overrides: Any) -> Limited:
        if engine is None:
            engine = make_engine(f"sqlite:///{tmp_path / 'limits.db'}")
            migrate(engine)
            stops.append(engine.dispose)
        settings = Settings(touchpoint_threshold=-1.0, **overrides)
        runtime = Runtime(settings, engine=engine, analyzer=analyzer or tiny_analyzer)
        server, thread, url = start_server(create_app(runtime, run_worker=False), settings)

        def stop() -> None:
            server.should_exit = True
            thread.join(timeout=GUARD)

        stops.insert(0, stop)
        return Limited(url, runtime, server)

    yield make
    for stop in stops:
        stop()


def closed_by_server(sock: socket.socket, dribble: bytes = b"", every: float = 0.1) -> bool:
    """Send `dribble` a byte at a time until the server closes the connection (True) or the guard runs out."""
    deadline = time.monotonic() + GUARD
    sock.settimeout(every)
    position = 0
    while time.monotonic() < deadline:
        try:
            if position < len(dribble):
                sock.sendall(dribble[position : position + 1])
                position += 1
            if sock.recv(4096) == b"":
                return True
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False


# -- POST /v1/analyze: sizes, threads of its own, the time limit --------------------------------------------


def test_analyze_refuses_a_text_over_the_limit_naming_its_index(limited):
    service = limited(max_analyze_chars=50, max_analyze_texts=3)
    with service.client("read") as client:
        too_long = client.post("/v1/analyze", json={"texts": ["Fine.", "x" * 51, "Also fine."]})
        too_many = client.post("/v1/analyze", json={"texts": ["One.", "Two.", "Three.", "Four."]})
        at_the_limits = client.post("/v1/analyze", json={"texts": ["x" * 50, "Two.", "Three."]})
    assert too_long.status_code == 422
    error = too_long.json()["error"]
    assert error["code"] == "validation_error" and "texts.1" in error["message"]
    assert [(d["field"], d["index"]) for d in error["details"]] == [("texts.1", 1)]
    assert too_many.status_code == 422 and too_many.json()["error"]["details"][0]["field"] == "texts"
    assert at_the_limits.status_code == 200 and len(at_the_limits.json()["results"]) == 3


def test_health_answers_while_analyze_requests_outnumber_the_server_threads(limited, tiny_analyzer):
    """More long analyze requests than FastAPI has threads (40) for sync endpoints: /health still answers,
    before any of them finishes."""
    gated = GatedAnalyzer(tiny_analyzer)
    service = limited(analyzer=gated, heavy_concurrency=2)
    requests = 45
    key = create_key(service.runtime, ["read"])[0]

    def analyze(_: int) -> int:
        with httpx.Client(base_url=service.url, headers={"X-API-Key": key}, timeout=GUARD * 4) as client:
            return client.post("/v1/analyze", json={"texts": ["The import failed again."]}).status_code

    with ThreadPoolExecutor(requests) as pool:
        try:
            replies = [pool.submit(analyze, i) for i in range(requests)]
            assert gated.entered.acquire(timeout=GUARD)
            deadline = time.monotonic() + GUARD
            while service.in_flight() < requests and time.monotonic() < deadline:
                time.sleep(0.05)
            assert service.in_flight() >= requests
            with service.client() as client:
                health = client.get("/health")
            assert health.status_code == 200
            assert not any(reply.done() for reply in replies)
        finally:
            gated.gate.set()
        assert [reply.result() for reply in replies] == [200] * requests


def test_a_request_past_its_time_limit_answers_504_and_its_work_stops(limited, tiny_analyzer):
    gated = GatedAnalyzer(tiny_analyzer)
    service = limited(analyzer=gated, request_timeout_seconds=0.5)
    texts = [f"Comment {i}: the export was slow." for i in range(40)]  # three chunks of work
    try:
        with service.client("read") as client:
            reply = client.post("/v1/analyze", json={"texts": texts})
            assert reply.status_code == 504
            assert reply.json()["error"]["code"] == "timeout"
            assert client.get("/v1/responses").status_code == 200  # the connection and the server go on
    finally:
        gated.gate.set()
    assert gated.returned.wait(GUARD)
    time.sleep(0.5)  # a next chunk would start at once: give it every chance to
    assert gated.calls == 1


# -- the server: read deadlines for slow clients ----------------------------------------------------------


def test_a_connection_that_sends_nothing_is_closed(limited):
    service = limited(header_timeout_seconds=0.5)
    with service.connect() as sock:
        assert closed_by_server(sock)


def test_a_client_that_dribbles_its_headers_is_disconnected(limited):
    service = limited(header_timeout_seconds=0.5)
    headers = b"GET /health HTTP/1.1\r\nHost: localhost\r\n" + b"X-Slow: " + b"a" * 1000
    with service.connect() as sock:
        assert closed_by_server(sock, headers)


def test_a_client_that_dribbles_its_body_is_cut_off(limited):
    service = limited(body_timeout_seconds=0.5)
    body = b'{"texts": ["' + b"a" * 2000 + b'"]}'
    head = "POST /v1/analyze HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n"
    with service.connect() as sock:
        sock.sendall(head.encode())
        assert closed_by_server(sock, body)


def test_a_kept_alive_connection_gets_a_fresh_header_deadline_per_request(limited):
    service = limited(header_timeout_seconds=1.0)
    with service.client() as client:
        for _ in range(3):
            assert client.get("/health").status_code == 200


def test_many_half_open_connections_do_not_hold_up_a_request_and_are_closed(limited):
    service = limited(header_timeout_seconds=0.5, max_concurrency=1000)
    half_open = [service.connect() for _ in range(200)]
    try:
        for sock in half_open:
            sock.sendall(b"POST /v1/responses HTTP/1.1\r\nHost: localhost\r\n")
        with service.client() as client:
            assert client.get("/health").status_code == 200
        assert all(closed_by_server(sock) for sock in half_open)
    finally:
        for sock in half_open:
            sock.close()


# -- rate limits ------------------------------------------------------------------------------------------


def test_a_key_over_its_rate_gets_429_with_retry_after_and_other_keys_do_not(limited):
    service = limited(rate_limit_per_minute=3)
    with service.client("read") as client, service.client("read") as other:
        replies = [client.get("/v1/responses") for _ in range(4)]
        assert other.get("/v1/responses").status_code == 200
    assert [r.status_code for r in replies] == [200, 200, 200, 429]
    assert replies[-1].json()["error"]["code"] == "rate_limited"
    assert 1 <= int(replies[-1].headers["Retry-After"]) <= 60


def test_guessing_keys_from_one_address_is_throttled(limited):
    service = limited(auth_failures_per_minute=3)
    with service.client() as client:
        guesses = [client.get("/v1/responses", headers={"X-API-Key": f"vk_guess{i}"}) for i in range(3)]
        missing = client.get("/v1/responses")
        real = client.get("/v1/responses", headers={"X-API-Key": create_key(service.runtime, ["read"])[0]})
    assert [r.status_code for r in guesses] == [401, 401, 401]
    # Throttled before the key is looked up: a right guess from here would not tell itself apart either.
    assert missing.status_code == 429 and real.status_code == 429
    assert int(missing.headers["Retry-After"]) >= 1


# -- backpressure: a full queue refuses ingest, loses nothing ---------------------------------------------


def item(i: int) -> dict[str, Any]:
    return {"source": "survey", "external_id": f"bp-{i}", "text": f"Support answered ticket {i} quickly."}


def stored(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(RESPONSE)).scalar_one())


def test_a_full_queue_refuses_ingest_with_503_and_keeps_what_it_accepted(limited, db_engine):
    service = limited(engine=db_engine, max_pending=3, queue_depth_cache_seconds=0, queue_retry_after_seconds=7)
    with service.client("ingest") as client:
        assert client.post("/v1/responses/batch", json={"items": [item(i) for i in range(3)]}).status_code == 202
        one = client.post("/v1/responses", json=item(3))
        batch = client.post("/v1/responses/batch", json={"items": [item(4), item(5)]})
        assert stored(db_engine) == 3
        for refused in (one, batch):
            assert refused.status_code == 503 and refused.headers["Retry-After"] == "7"
            assert refused.json()["error"]["code"] == "queue_full" and "[E501]" in refused.json()["error"]["message"]
        with pytest.raises(QueueFull):
            store_responses(service.runtime, [ResponseCreate(**item(6))])
        # An operator's bulk import is exempt (vocengine import).
        store_responses(service.runtime, [ResponseCreate(**item(7))], respect_queue_limit=False)
        ScoringWorker(service.runtime, name="test-worker").drain()
        assert client.post("/v1/responses", json=item(3)).status_code == 202
    with db_engine.connect() as connection:
        statuses = dict(connection.execute(select(RESPONSE.c.external_id, RESPONSE.c.status)).all())
    assert statuses == {f"bp-{i}": "done" for i in (0, 1, 2, 7)} | {"bp-3": "pending"}


def test_the_queue_depth_is_counted_at_most_once_per_max_age(db_engine):
    cached, fresh = DepthGauge(db_engine, max_age=3600), DepthGauge(db_engine, max_age=0)
    assert cached() == 0 and fresh() == 0
    runtime = Runtime(Settings(), engine=db_engine)
    store_responses(runtime, [ResponseCreate(**item(i)) for i in range(2)], respect_queue_limit=False)
    assert cached() == 0 and fresh() == 2


# -- documented ------------------------------------------------------------------------------------------


def test_openapi_documents_the_limit_statuses(limited):
    service = limited()
    with service.client() as client:
        spec = client.get("/openapi.json").json()
    ingest = spec["paths"]["/v1/responses"]["post"]["responses"]
    assert {"413", "422", "429", "503", "504"} <= set(ingest)
    assert "Retry-After" in ingest["429"]["headers"] and "Retry-After" in ingest["503"]["headers"]
    assert {"422", "429", "504"} <= set(spec["paths"]["/v1/analyze"]["post"]["responses"])
