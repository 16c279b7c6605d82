"""Chaos: several `vocengine worker` processes on PostgreSQL, killed with SIGKILL at random while a few
thousand responses are pushed through the real API; then nothing may be lost, nothing counted twice, every
sentence row must be what scoring makes, and the API's in-memory columns must answer as SQL does.

Bounded: it fails rather than wait past DEADLINE from start to drained. Most of its time is the nine worker
starts (importing torch and transformers costs a worker about 10 s of CPU) and the scoring; on a 2-core machine
shared with other work it drained in 122 s at load 9 and 194 s at load 13. Run it alone, with its figures:
`.venv/bin/python -m pytest tests/chaos -s`.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.databases import postgres_schema
from tests.support.service import serve
from tests.vocengine.insights.test_frame import same
from vocengine.bench import generate_corpus
from vocengine.insights.emotions import emotions_by_sql
from vocengine.insights.filters import InsightFilter
from vocengine.insights.journey import journey_curve_sql
from vocengine.insights.trends import trends_sql
from vocengine.runtime import Runtime
from vocengine.settings import Settings
from vocengine.store import queue
from vocengine.store.changes import SENTENCES_DELETED
from vocengine.store.tables import CommentResult, Response, data_change, sentence_result

PROJECT = Path(__file__).resolve().parents[2]
RESPONSE = Response.__table__  # type: ignore[attr-defined]
COMMENT = CommentResult.__table__  # type: ignore[attr-defined]
RESPONSES = 2000
BATCH = 100
WORKERS = 3
KILLS = 6
LEASE_SECONDS = 3.0
DEADLINE = 300.0  # seconds, start to drained: a guard against a hang, above what a loaded machine takes
CHECKED = 400  # responses whose sentence rows are compared with scoring their text again
PERSONAS = ["admin", "end_user", "buyer"]


class Workers:
    """`vocengine worker` processes, as an operator runs them, killed with SIGKILL and replaced."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.live: list[subprocess.Popen[bytes]] = []
        self.started = self.killed = 0

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.live.append(
                subprocess.Popen([sys.executable, "-m", "vocengine", "worker"], env=self.env, cwd=PROJECT,
                                 stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
            )
        self.started += 1

    def kill_one(self, rng: random.Random, engine) -> None:
        """SIGKILL a worker that holds a claim when one does (waiting a little for one): on an idle machine the
        workers score faster than responses are pushed, and a random victim was often between batches, so the
        kill tested nothing."""
        deadline = time.monotonic() + 5
        while not (holders := self._holding_a_claim(engine)) and time.monotonic() < deadline:
            time.sleep(0.05)
        victim = self.live.pop(rng.choice(holders) if holders else rng.randrange(len(self.live)))
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        self.killed += 1
        self.start()

    def _holding_a_claim(self, engine) -> list[int]:
        """Indexes in `live` of the workers with responses claimed (a worker's name is host:pid:thread)."""
        with engine.connect() as connection:
            names = connection.execute(
                select(RESPONSE.c.claimed_by).where(RESPONSE.c.status == "processing").distinct()
            ).scalars()
            pids = {int(name.split(":")[1]) for name in names if name}
        return [i for i, process in enumerate(self.live) if process.pid in pids]

    def stop(self) -> None:
        for process in self.live:
            process.terminate()
        for process in self.live:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return queue.counts(connection)


@pytest.mark.slow
def test_killed_workers_lose_nothing_and_count_nothing_twice(tmp_path, tiny_model_dir, tiny_base):
    began = time.monotonic()
    rng = random.Random(20261123)
    with postgres_schema("chaos") as url:
        values = {
            "database_url": url, "data_dir": str(tmp_path), "model_dir": str(tiny_model_dir),
            "base_model_path": str(tiny_base), "touchpoint_threshold": "-1", "embedded_worker": "false",
            "worker_lease_seconds": str(LEASE_SECONDS), "worker_batch_size": "16", "worker_poll_seconds": "0.2",
            "torch_threads": "1",
        }  # fmt: skip
        env = {**os.environ, **{f"VOCENGINE_{k.upper()}": v for k, v in values.items()}}
        runtime = Runtime(Settings(**values))  # type: ignore[arg-type]
        service, stop_api = serve(runtime)
        workers = Workers(env, tmp_path / "workers.log")
        try:
            key = service.key("admin")
            for _ in range(WORKERS):
                workers.start()
            texts = generate_corpus(RESPONSES, seed=5)
            accepted, queries = 0, 0
            batches = [range(i, min(i + BATCH, RESPONSES)) for i in range(0, RESPONSES, BATCH)]
            with httpx.Client(base_url=service.url, headers={"X-API-Key": key}, timeout=60) as client:
                # Kills come at random moments once the workers are scoring, spread over the pushing.
                kill_at = sorted(rng.sample(range(3, len(batches) + 6), KILLS))
                step = 0
                while step < len(batches) + 6 or workers.killed < KILLS:
                    if step < len(batches):
                        items = [
                            {"source": "survey", "external_id": f"c{i}", "text": texts[i],
                             "persona": PERSONAS[i % 3]}
                            for i in batches[step]
                        ]  # fmt: skip
                        reply = client.post("/v1/responses/batch", json={"items": items})
                        assert reply.status_code == 202, reply.text
                        accepted += reply.json()["accepted"]
                    if step == 2:  # wait until the workers score, so that kills land mid-batch
                        while counts(runtime.engine)["done"] == 0:
                            assert time.monotonic() - began < DEADLINE, "no worker scored anything"
                            time.sleep(0.2)
                    while workers.killed < KILLS and kill_at[workers.killed] <= step:
                        workers.kill_one(rng, runtime.engine)
                    # The API's in-memory columns follow the workers' writes while they go on.
                    client.get("/v1/emotions", params={"group_by": "stage"}).raise_for_status()
                    queries += 1
                    time.sleep(rng.uniform(0.1, 0.5))
                    step += 1
                while (now := counts(runtime.engine))["pending"] + now["processing"]:
                    assert time.monotonic() - began < DEADLINE, f"not drained in time: {now}"
                    client.get("/v1/journey").raise_for_status()
                    queries += 1
                    time.sleep(0.5)
                drained = time.monotonic() - began
                api = {
                    "emotions": client.get("/v1/emotions", params={"group_by": "stage,persona"}).json(),
                    "journey": client.get("/v1/journey").json(),
                    "trends": client.get("/v1/trends", params={"interval": "day"}).json(),
                }
        finally:
            workers.stop()
            stop_api()

        engine = runtime.engine
        with engine.connect() as connection:
            rows = connection.execute(select(RESPONSE)).all()
            comments = connection.execute(select(func.count()).select_from(COMMENT)).scalar_one()
            sentences: dict[int, list[tuple[str, float | None]]] = {}
            for r in connection.execute(select(sentence_result).order_by(sentence_result.c.idx)):
                sentences.setdefault(r.response_id, []).append((r.text, r.p_negative))
            deleted = connection.execute(
                select(data_change.c.counter).where(data_change.c.name == SENTENCES_DELETED)
            ).scalar()
        figures = {
            "pushed": RESPONSES, "accepted": accepted, "workers_started": workers.started, "kills": workers.killed,
            "done": sum(r.status == "done" for r in rows), "failed": sum(r.status == "failed" for r in rows),
            "comment_rows": comments, "sentence_rows": sum(map(len, sentences.values())),
            "responses_reclaimed_after_a_kill": sum(r.lease_expiries > 0 for r in rows),
            "lease_expiries": sum(r.lease_expiries for r in rows), "attempts_spent": sum(r.attempts for r in rows),
            "analyses_written_twice": int(deleted or 0), "api_queries_during_run": queries,
            "seconds_to_drained": round(drained, 1), "seconds": round(time.monotonic() - began, 1),
        }  # fmt: skip
        print("\nchaos:", json.dumps(figures))
        # Nothing lost: every response accepted once and scored, no failure charged to a killed worker.
        assert accepted == len(rows) == RESPONSES == figures["done"] == comments
        assert workers.killed == KILLS and figures["attempts_spent"] == 0
        assert figures["lease_expiries"] > 0  # the kills did land mid-batch
        # Nothing counted twice: no analysis was ever replaced, and the sentence rows are exactly what scoring
        # the stored text makes, one set per response.
        assert figures["analyses_written_twice"] == 0
        assert sorted(sentences) == sorted(r.id for r in rows)  # every response has its sentence rows
        analyzer, _ = runtime.active.current()
        sample = rng.sample(rows, CHECKED)
        expected = analyzer.analyze([r.text for r in sample], [str(r.id) for r in sample])
        for row, result in zip(sample, expected, strict=True):
            made = [(s.text, s.sentiment.scores["negative"] if s.sentiment else None) for s in result.sentences]
            assert sentences[row.id] == made, row.id
        # The in-memory columns the API answered from equal the SQL aggregation.
        f = InsightFilter()
        same(api["emotions"], emotions_by_sql(engine, ["stage", "persona"], f).model_dump(mode="json"))
        same(api["journey"], journey_curve_sql(engine, analyzer.journey, f).model_dump(mode="json", exclude_unset=True))
        same(api["trends"], trends_sql(engine, "day", f).model_dump(mode="json"))
        runtime.close()
