"""`vocengine bench-alerts`: alert evaluation, webhook delivery, and the time from a pushed response to its
alert arriving at a receiver, on a fresh database with the real models.

1. evaluation: 1,000 responses are scored by the worker with the real models (no rules yet); then the
   response-match and contact-at-risk rules are evaluated over them, batch by batch as the worker does after
   each scored batch, writing the alerts and their outbox messages: responses and rule checks per second,
   ms per worker batch;
2. delivery: messages per second from the outbox to a receiver on loopback (signed, over keep-alive HTTP);
3. latency: responses pushed one at a time, at random moments, through the real API, with the worker running
   as `vocengine serve` runs it (default poll interval), to the moment their alert reaches the receiver:
   p50/p95. An idle worker looks at the queue every `worker_poll_seconds` (0.5 s), which is most of it; its
   deliverer is woken as soon as a batch's alerts commit.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from standardwebhooks import Webhook

from vocengine.alerts.delivery import Deliverer
from vocengine.alerts.evaluate import evaluate_batch
from vocengine.alerts.rules import RuleSpec
from vocengine.bench import generate_corpus
from vocengine.ingest import ResponseCreate
from vocengine.runtime import Runtime
from vocengine.settings import Settings
from vocengine.store import outbox
from vocengine.store.db import write_transaction
from vocengine.store.outbox import Firing
from vocengine.usecases import alerts
from vocengine.usecases.responses import store_responses

# The API on a runtime, with its embedded worker, as `vocengine serve` runs it: its URL and how to stop it.
# Given by the command line, the one layer that may start the API.
Serve = Callable[[Runtime], tuple[str, Callable[[], None]]]
PERSONAS = ["admin", "end_user", "executive", "developer", "buyer"]
RULES: list[dict[str, Any]] = [
    {"kind": "response_match", "sentiment": "negative", "emotions": ["anger", "disgust", "annoyance"]},
    {"kind": "response_match", "score_type": "nps", "score_max": 3},
    {"kind": "response_match", "personas": ["executive"], "sentiment": "negative"},
    {"kind": "response_match", "stages": ["renewal"], "sentiment": "negative"},
    {"kind": "contact_at_risk", "window_days": 30},
]


class Receiver:
    """A webhook receiver on loopback: verifies each message, answers 204, notes when each alert arrived."""

    def __init__(self) -> None:
        self.secret = ""
        self.arrived: dict[str, float] = {}  # webhook-id -> time.perf_counter() at arrival
        self.subjects: dict[str, float] = {}  # alert subject -> first arrival
        self.verified = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                now = time.perf_counter()
                payload = Webhook(receiver.secret).verify(body, dict(self.headers.items()))
                receiver.verified += 1
                receiver.arrived.setdefault(self.headers["webhook-id"], now)
                receiver.subjects.setdefault(payload["data"]["subject"], now)
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _items(n: int, offset: int, rng: random.Random) -> list[ResponseCreate]:
    return [
        ResponseCreate.model_validate(
            {
                "source": "survey",
                "external_id": f"bench-{offset + i}",
                "text": text,
                "persona": rng.choice(PERSONAS),
                "account_id": f"account-{(offset + i) % 50}",
                "contact_id": f"contact-{(offset + i) % 50}-{(offset + i) % 4}",
                "score": rng.randint(0, 10),
                "score_type": "nps",
            }  # fmt: skip
        )
        for i, text in enumerate(generate_corpus(n, seed=offset + 1))
    ]


def bench_evaluation(runtime: Runtime, responses: int) -> dict[str, Any]:
    from vocengine.worker import ScoringWorker

    accepted = store_responses(runtime, _items(responses, 0, random.Random(5)), respect_queue_limit=False)
    print(f"scoring {responses} responses with the real models ...", file=sys.stderr)
    started = time.perf_counter()
    ScoringWorker(runtime, "bench-scoring").drain()
    scoring_seconds = time.perf_counter() - started
    for n, condition in enumerate(RULES):
        alerts.create_rule(runtime, RuleSpec.model_validate({"name": f"rule {n}", "condition": condition}))
    ids = sorted(a.id for a in accepted)
    journey = runtime.analyzer.journey
    size = runtime.settings.worker_batch_size
    per_batch, fired = [], 0
    started = time.perf_counter()
    for start in range(0, len(ids), size):
        began = time.perf_counter()
        with write_transaction(runtime.engine) as connection:
            firings = evaluate_batch(connection, ids[start : start + size], journey)
            fired += len(outbox.fire(connection, firings, runtime.settings.webhook_retry_hours))
        per_batch.append(time.perf_counter() - began)
    seconds = time.perf_counter() - started
    return {
        "responses": len(ids), "rules": len(RULES), "alerts_fired": fired, "seconds": round(seconds, 3),
        "responses_per_s": round(len(ids) / seconds, 1), "rule_checks_per_s": round(len(ids) * len(RULES) / seconds, 1),
        "batch_size": size, "batch_p50_ms": round(1000 * statistics.median(per_batch), 2),
        "batch_p95_ms": round(1000 * _p95(per_batch), 2),
        "scoring_seconds": round(scoring_seconds, 1), "scoring_responses_per_s": round(responses / scoring_seconds, 1),
    }  # fmt: skip


def bench_delivery(runtime: Runtime, receiver: Receiver, messages: int) -> dict[str, Any]:
    with write_transaction(runtime.engine) as connection:
        firings = [
            Firing(rule_id=10_000, rule_version=1, kind="response_match", subject=f"bench:{i}", period="",
                   title=f"bench alert {i}", evidence={"figures": {"i": i}, "examples": ["An example sentence."]})
            for i in range(messages)
        ]  # fmt: skip
        outbox.fire(connection, firings, runtime.settings.webhook_retry_hours)
    deliverer = Deliverer(runtime.engine, runtime.settings, "bench-delivery")
    before = receiver.verified
    started = time.perf_counter()
    deliverer.drain()
    seconds = time.perf_counter() - started
    deliverer.close()
    delivered = receiver.verified - before
    return {
        "messages": delivered, "seconds": round(seconds, 2), "delivered_per_s": round(delivered / seconds, 1),
        "concurrency": runtime.settings.webhook_concurrency, "batch": runtime.settings.webhook_batch_size,
    }  # fmt: skip


def bench_latency(runtime: Runtime, receiver: Receiver, samples: int, serve: Serve) -> dict[str, Any]:
    import httpx

    from vocengine.usecases.keys import create_key

    alerts.create_rule(
        runtime,
        RuleSpec.model_validate({"name": "latency", "condition": {"kind": "response_match", "personas": ["latency"]}}),
    )
    base_url, stop = serve(runtime)
    key, _ = create_key(runtime, ["ingest"], name="bench-latency")
    times = []
    try:
        with httpx.Client(base_url=base_url, headers={"X-API-Key": key}, timeout=60) as client:
            rng = random.Random(7)
            for i in range(samples):
                # Pushes at random moments of the worker's poll cycle, not in step with it.
                time.sleep(rng.uniform(0, runtime.settings.worker_poll_seconds))
                item = {"source": "chat", "external_id": f"latency-{i}", "text": "The renewal call was a mess.",
                        "persona": "latency"}  # fmt: skip
                sent = time.perf_counter()
                reply = client.post("/v1/responses", json=item)
                reply.raise_for_status()
                subject = f"response:{reply.json()['items'][0]['id']}"
                deadline = sent + 60
                while subject not in receiver.subjects and time.perf_counter() < deadline:
                    time.sleep(0.005)
                if subject not in receiver.subjects:
                    raise RuntimeError(f"the alert of {subject} did not arrive within 60 s")
                times.append(receiver.subjects[subject] - sent)
    finally:
        stop()
    return {
        "samples": len(times), "p50_ms": round(1000 * statistics.median(times), 1),
        "p95_ms": round(1000 * _p95(times), 1), "max_ms": round(1000 * max(times), 1),
        "worker_poll_seconds": runtime.settings.worker_poll_seconds,
    }  # fmt: skip


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def run_alerts_benchmark(
    serve: Serve, database_url: str | None = None, responses: int = 1000, messages: int = 2000, samples: int = 50,
    out: Path | None = None,
) -> dict[str, Any]:  # fmt: skip
    workdir = tempfile.mkdtemp(prefix="vocengine-bench-alerts-")
    url = database_url or f"sqlite:///{workdir}/bench.db"
    runtime = Runtime(Settings(database_url=url, embedded_worker=False, webhook_allow_loopback=True, max_pending=0))
    receiver = Receiver()
    endpoint = alerts.create_endpoint(runtime, receiver.url)
    receiver.secret = endpoint.secret
    figures: dict[str, Any] = {"database": runtime.engine.dialect.name}
    try:
        figures["evaluation"] = bench_evaluation(runtime, responses)
        # The evaluation's own alerts are delivered first, so that step 2 counts only its messages.
        Deliverer(runtime.engine, runtime.settings, "bench-flush").drain()
        print("delivery ...", file=sys.stderr)
        figures["delivery"] = bench_delivery(runtime, receiver, messages)
        print("latency ...", file=sys.stderr)
        figures["latency"] = bench_latency(runtime, receiver, samples, serve)
    finally:
        receiver.stop()
        runtime.close()
    text = json.dumps(figures, indent=2)
    print(text)
    if out:
        out.write_text(text + "\n")
    return figures
