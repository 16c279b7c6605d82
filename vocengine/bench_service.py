"""`vocengine bench service`: the service's figures on a fresh database, through a real HTTP server.

1. ingest: responses/s accepted through POST /v1/responses/batch (1,000 per request);
2. scoring: responses/s scored end to end by the worker with the real models;
3. report jobs: the wall time and peak memory increase of the themes and gaps jobs (run as the worker runs
   them, in this process) on the filled database;
4. queries: p50/p95 of each query endpoint once the database holds `--comments` scored comments, themes and
   gaps included (answered from the reports their jobs cached).

Scoring 100,000 comments with the real models would take the bench a quarter of an hour, so step 3
scores a sample with the real worker and then copies its stored analysis, with new ids, dates, personas,
accounts and contacts, until the database holds the asked number of comments. The query planner sees
the same row counts and value spreads as with as many distinct comments. A copied sentence's embedding is
its source's moved by a small random offset (cosine about 0.95 to it, stored as float16 like the real ones), so
the themes jobs cluster near-paraphrases rather than hundreds of exact duplicates.
"""

from __future__ import annotations

import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, insert, select

from vocengine.bench import generate_corpus
from vocengine.runtime import Runtime
from vocengine.settings import Settings
from vocengine.store.tables import CommentResult, Response, sentence_result, utcnow

RESPONSE = Response.__table__  # type: ignore[attr-defined]
COMMENT = CommentResult.__table__  # type: ignore[attr-defined]
PERSONAS = ["admin", "end_user", "executive", "developer", "buyer"]
SOURCES = ["survey", "ticket", "review", "chat"]
CHANNELS = ["email", "in_app", "web", "phone"]

QUERIES = [
    "/v1/emotions?group_by=stage",
    "/v1/emotions?group_by=stage,persona",
    "/v1/emotions?group_by=touchpoint&persona=admin",
    "/v1/journey",
    "/v1/journey?source=ticket",
    "/v1/moments",
    "/v1/trends?interval=week",
    "/v1/trends?interval=day&stage=support",
    "/v1/trends?interval=day",
    # A segment condition is resolved to response ids in SQL before the in-memory columns answer.
    "/v1/emotions?group_by=stage&segment=region:EMEA",
    "/v1/accounts/account-7",
    "/v1/accounts?status=quiet_risk",
    "/v1/drivers?outcome=nps",
    "/v1/journey/links",
    "/v1/accounts/account-7/contacts/contact-7-1/review-eligibility",
    "/v1/responses?limit=50",
    "/v1/responses?persona=admin&stage=onboarding&limit=50",
]
JITTER = 0.3  # the norm of the random offset added to a copied sentence's unit embedding (cosine about 0.95)


def start_server(database_url: str) -> tuple[subprocess.Popen[bytes], str]:
    """The API in its own process, as `vocengine serve` runs it, without the embedded worker (the service
    benchmark, `api.examples` and the learning demonstration measure through it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    # It measures throughput: no rate limit, and no queue limit (nothing scores while ingest is measured).
    env = {**os.environ, "VOCENGINE_DATABASE_URL": database_url, "VOCENGINE_EMBEDDED_WORKER": "false",
           "VOCENGINE_RATE_LIMIT_PER_MINUTE": "0", "VOCENGINE_MAX_PENDING": "0"}  # fmt: skip
    command = [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--port", str(port),
               "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(command, env=env)
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise RuntimeError("the API server exited before it answered")
        time.sleep(0.5)
    process.kill()
    raise RuntimeError("the API server did not answer within 3 minutes")


def _items(n: int, offset: int, rng: random.Random) -> list[dict[str, Any]]:
    texts = generate_corpus(n, seed=offset + 1)
    return [
        {
            "source": rng.choice(SOURCES),
            "external_id": f"bench-{offset + i}",
            "text": text,
            "persona": rng.choice(PERSONAS),
            "channel": rng.choice(CHANNELS),
            "account_id": f"account-{(offset + i) % 50}",
            "contact_id": f"contact-{(offset + i) % 50}-{(offset + i) % 4}",
            "segments": {"region": rng.choice(["EMEA", "AMER", "APAC"])},
        }
        for i, text in enumerate(texts)
    ]


def bench_ingest(url: str, key: str, responses: int) -> dict[str, float]:
    import httpx

    rng = random.Random(3)
    batches = [_items(1000, offset, rng) for offset in range(0, responses, 1000)]
    with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=120) as client:
        started = time.perf_counter()
        accepted = 0
        for batch in batches:
            reply = client.post("/v1/responses/batch", json={"items": batch})
            reply.raise_for_status()
            accepted += reply.json()["accepted"]
        seconds = time.perf_counter() - started
    return {"responses": accepted, "seconds": round(seconds, 2), "accepted_per_s": round(accepted / seconds, 1)}


def bench_scoring(runtime: Runtime, limit: int) -> dict[str, float]:
    from vocengine.worker import ScoringWorker

    worker = ScoringWorker(runtime, "bench")
    worker.run_once()  # warm-up: first calls pay for lazy initialisation
    started = time.perf_counter()
    scored = 0
    while scored < limit and (handled := worker.run_once()):
        scored += handled
    seconds = time.perf_counter() - started
    return {"responses": scored, "seconds": round(seconds, 2), "scored_per_s": round(scored / seconds, 1)}


def fill_to(engine: Engine, comments: int, chunk: int = 2000) -> int:
    """Copy the scored sample's responses and analysis until `comments` scored comments are stored."""
    with engine.connect() as connection:
        done_ids = connection.execute(select(COMMENT.c.response_id)).scalars().all()
        have = len(done_ids)
        responses = {r.id: r._asdict() for r in connection.execute(select(RESPONSE).where(RESPONSE.c.id.in_(done_ids)))}
        results = {r.response_id: r._asdict() for r in connection.execute(select(COMMENT))}
        sentences: dict[int, list[dict[str, Any]]] = {}
        for row in connection.execute(select(sentence_result)):
            sentences.setdefault(row.response_id, []).append(row._asdict())
    rng = random.Random(5)
    nprng = np.random.default_rng(5)
    now = utcnow()
    made = 0
    while have + made < comments:
        n = min(chunk, comments - have - made)
        with engine.begin() as connection:
            start_id = (connection.execute(select(func.max(RESPONSE.c.id))).scalar_one() or 0) + 1
            new_responses, new_comments, new_sentences = [], [], []
            for k in range(n):
                source_id = rng.choice(done_ids)
                rid = start_id + k
                occurred = now - timedelta(days=rng.randint(0, 364), minutes=rng.randint(0, 1440))
                account = rng.randint(0, 499)
                attrs = {"persona": rng.choice(PERSONAS), "source": rng.choice(SOURCES),
                         "channel": rng.choice(CHANNELS), "account_id": f"account-{account}",
                         "contact_id": f"contact-{account}-{rng.randint(0, 5)}"}  # fmt: skip
                # Every other copy carries an NPS, for the key drivers query to have an outcome to explain.
                score = (
                    {"score": rng.randint(0, 10), "score_type": "nps"} if k % 2 else {"score": None, "score_type": None}
                )
                response = {**responses[source_id], **attrs, **score, "id": rid, "external_id": f"copy-{rid}",
                            "submitted_at": occurred, "segments": {"region": rng.choice(["EMEA", "AMER", "APAC"])}}  # fmt: skip
                new_responses.append(response)
                new_comments.append({**results[source_id], "response_id": rid})
                for sentence in sentences.get(source_id, []):
                    new_sentences.append({**sentence, **attrs, "id": None, "response_id": rid, "occurred_at": occurred})
            connection.execute(insert(RESPONSE), new_responses)
            connection.execute(insert(COMMENT), new_comments)
            for s in new_sentences:
                s.pop("id")
            _jitter(new_sentences, nprng)
            connection.execute(insert(sentence_result), new_sentences)
        made += n
        print(f"  stored {have + made:,} of {comments:,} comments", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    # Fresh statistics, as autovacuum (PostgreSQL) or a periodic ANALYZE would leave them; committed, since
    # PostgreSQL keeps statistics transactionally.
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    return have + made


def _jitter(sentences: list[dict[str, Any]], rng: np.random.Generator) -> None:
    """Each copied embedding moved by a random offset of norm `JITTER` off its unit vector, renormalised to its
    norm, float16 as stored (one vectorised pass per chunk)."""
    rows = [i for i, s in enumerate(sentences) if s.get("embedding")]
    if not rows:
        return
    x = np.stack([np.frombuffer(sentences[i]["embedding"], dtype=np.float16) for i in rows]).astype(np.float32)
    norms = np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    noise = rng.standard_normal(x.shape).astype(np.float32)
    noise *= JITTER / np.maximum(np.linalg.norm(noise, axis=1, keepdims=True), 1e-12)
    moved = x / norms + noise
    moved *= norms / np.maximum(np.linalg.norm(moved, axis=1, keepdims=True), 1e-12)
    for i, vector in zip(rows, moved.astype(np.float16), strict=True):
        sentences[i]["embedding"] = vector.tobytes()


class PeakRSS:
    """The process's peak resident memory above its level at entry, sampled every 10 ms by a thread (psutil):
    `getrusage`'s ru_maxrss is the peak of the whole process's life, which the models loaded earlier may hold."""

    def __enter__(self) -> PeakRSS:
        import psutil

        self._process = psutil.Process()
        self.start = self.peak = int(self._process.memory_info().rss)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, int(self._process.memory_info().rss))

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, int(self._process.memory_info().rss))

    @property
    def increase_mb(self) -> float:
        return round((self.peak - self.start) / 2**20, 1)


def report_paths(engine: Engine) -> list[str]:
    """The themes of the busiest touchpoint and of the busiest stage (negative sentences), and the gaps."""
    sr = sentence_result.c
    with engine.connect() as connection:

        def busiest(column: Any) -> str:
            query = select(column).where(column.is_not(None), sr.sentiment == "negative").group_by(column)
            return str(connection.execute(query.order_by(func.count().desc()).limit(1)).scalar_one())

        touchpoint, stage = busiest(sr.touchpoint), busiest(sr.stage)
    return [
        f"/v1/themes?touchpoint={touchpoint}&polarity=negative",
        f"/v1/themes?stage={stage}&polarity=negative",
        "/v1/journey/gaps",
    ]


def bench_report_jobs(runtime: Runtime, url: str, key: str, paths: list[str]) -> dict[str, dict[str, Any]]:
    """Ask each report once (202 and a job), run its job as a worker would (one step of the oldest queued job
    at a time, in this process) and time it: wall seconds and peak RSS increase; then check it answers 200."""
    import httpx

    from vocengine.jobs.runner import run_one_step
    from vocengine.store import jobs
    from vocengine.store.tables import OPEN_JOB_STATUSES

    figures: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=60) as client:
        for path in paths:
            reply = client.get(path)
            reply.raise_for_status()
            if reply.status_code != 202:
                raise RuntimeError(f"{path} answered {reply.status_code} before its job ran")
            job_id = int(reply.json()["job_id"])
            with PeakRSS() as memory:
                started = time.perf_counter()
                while jobs.get(runtime.engine, job_id).status in OPEN_JOB_STATUSES:
                    if not run_one_step(runtime, "bench"):
                        time.sleep(0.05)
                seconds = time.perf_counter() - started
            job = jobs.get(runtime.engine, job_id)
            if job.status != "done":
                raise RuntimeError(f"the job of {path} ended {job.status}: {job.error}")
            answer = client.get(path)
            if answer.status_code != 200:
                raise RuntimeError(f"{path} answered {answer.status_code} after its job ran")
            body = answer.json()
            sentences = body["n"] if body["kind"] == "themes" else body["unassigned"]
            groups = len(body["themes"]) if body["kind"] == "themes" else len(body["proposals"])
            figures[path] = {"job_s": round(seconds, 2), "peak_rss_increase_mb": memory.increase_mb,
                             "sentences": sentences, "groups": groups, "payload_kb": round(len(answer.content) / 1024, 1)}  # fmt: skip
    return figures


def bench_queries(url: str, key: str, repeats: int, paths: list[str] = QUERIES) -> dict[str, dict[str, float]]:
    import httpx

    figures = {}
    with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=60) as client:
        for path in paths:
            client.get(path).raise_for_status()  # warm-up, and a check that it answers
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                reply = client.get(path)
                reply.raise_for_status()
                if reply.status_code != 200:  # a 202: a report computing, not answered from its cache
                    raise RuntimeError(f"{path} answered {reply.status_code}")
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            figures[path] = {"p50_ms": round(statistics.median(times), 1),
                             "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1)}  # fmt: skip
    return figures


def run_service_benchmark(
    database_url: str | None = None,
    ingest_responses: int = 20_000,
    scored_sample: int = 2_000,
    comments: int = 100_000,
    repeats: int = 20,
    out: Path | None = None,
) -> dict[str, Any]:
    from vocengine.usecases.keys import create_key

    workdir = tempfile.mkdtemp(prefix="vocengine-bench-")
    url = database_url or f"sqlite:///{workdir}/bench.db"
    runtime = Runtime(Settings(database_url=url, embedded_worker=False))
    engine = runtime.engine
    key, _ = create_key(runtime, ["admin"], name="bench")
    server, api = start_server(url)
    try:
        print("ingest ...", file=sys.stderr)
        figures: dict[str, Any] = {"database": engine.dialect.name}
        figures["ingest"] = bench_ingest(api, key, ingest_responses)
        print("scoring ...", file=sys.stderr)
        figures["scoring"] = bench_scoring(runtime, scored_sample)
        print("filling the database ...", file=sys.stderr)
        figures["stored_comments"] = fill_to(engine, comments)
        with engine.connect() as connection:
            figures["stored_sentences"] = connection.execute(
                select(func.count()).select_from(sentence_result)
            ).scalar_one()
        print("themes and gaps jobs ...", file=sys.stderr)
        reports = report_paths(engine)
        figures["report_jobs"] = bench_report_jobs(runtime, api, key, reports)
        print("queries ...", file=sys.stderr)
        figures["queries"] = bench_queries(api, key, repeats, QUERIES + reports)
        figures["queries_worst_p95_ms"] = max(q["p95_ms"] for q in figures["queries"].values())
    finally:
        server.terminate()
        server.wait(timeout=30)
        runtime.close()
    text = json.dumps(figures, indent=2)
    print(text)
    print(table(figures), file=sys.stderr)
    if out:
        out.write_text(text + "\n")
    return figures


def table(figures: dict[str, Any]) -> str:
    """The query and report job figures as a Markdown table."""
    lines = ["| endpoint | p50 ms | p95 ms |", "|---|---:|---:|"]
    lines += [f"| `{path}` | {q['p50_ms']} | {q['p95_ms']} |" for path, q in figures.get("queries", {}).items()]
    lines += ["", "| report job | sentences | groups | job s | peak RSS increase MB |", "|---|---:|---:|---:|---:|"]
    lines += [
        f"| `{path}` | {j['sentences']} | {j['groups']} | {j['job_s']} | {j['peak_rss_increase_mb']} |"
        for path, j in figures.get("report_jobs", {}).items()
    ]
    return "\n".join(lines)
