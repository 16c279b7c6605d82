"""Themes and gaps through the API on a real server (SQLite and PostgreSQL), on responses scored by the real
pipeline with the tiny model: a job computes each report, a second ask answers it from the cache, and an
adopted proposal becomes a new journey map version. The clustering's known answers (planted directions found,
noise empty) are checked on exact embeddings in tests/vocengine/insights/test_themes.py."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import update

from vocengine.settings import Settings
from vocengine.store.tables import sentence_result

# The tiny model's weights are random: only the same words make the same embedding, so the planted
# complaint is one sentence sent 15 times (the clustering's own known answers are in the unit tests).
PLANTED = ["The invoice portal crashes every time."]
WORDS = ("zebra quantum maple river orbit velvet canyon pixel harbor lantern meadow cobalt saddle tundra ember "
         "falcon glacier walnut prism cactus nebula oyster quartz sierra willow dune basil comet fjord "
         "granite").split()  # fmt: skip


@pytest.fixture
def service_settings() -> Settings:
    return Settings(max_batch_items=100, worker_batch_size=32, insight_min_volume=10,
                    insight_min_theme_size=5)  # fmt: skip


@pytest.fixture
def planted(service):
    rng = random.Random(7)
    texts = PLANTED * 15
    texts += [" ".join(rng.sample(WORDS, 6)).capitalize() + "." for _ in range(25)]
    items = [{"source": "ticket" if i % 2 else "survey", "external_id": f"t{i}", "text": text,
              "submitted_at": f"2026-11-{1 + i % 20:02d}T12:00:00Z"} for i, text in enumerate(texts)]  # fmt: skip
    with service.client("ingest") as client:
        assert client.post("/v1/responses/batch", json={"items": items}).status_code == 202
    assert service.drain() == len(texts)
    return service


def unassign_planted(service) -> None:
    """The tiny analyzer assigns every sentence (its threshold is made low enough for random weights): the
    planted complaint is made one that no touchpoint of the map took."""
    with service.engine.begin() as connection:
        connection.execute(
            update(sentence_result).where(sentence_result.c.text == PLANTED[0]).values(touchpoint=None, stage=None)
        )


def _computed(service, client, path, **params):
    """Ask; the job answers 202 with its id; run it as a worker would; ask again."""
    first = client.get(path, params=params)
    again = client.get(path, params=params)
    assert first.status_code == again.status_code == 202, first.text
    assert first.json()["job_id"] == again.json()["job_id"]  # one job for the same question
    service.drain()
    answer = client.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return first.json()["job_id"], answer.json()


def test_themes_find_the_planted_complaint_and_are_cached(planted):
    with planted.client("read") as client:
        job_id, report = _computed(planted, client, "/v1/themes", polarity="all")
        cached = client.get("/v1/themes", params={"polarity": "all"})
    assert cached.status_code == 200 and cached.json() == report
    assert 30 <= report["n"] <= 40 and report["clustered"]  # the random words may read as another language
    [theme] = [t for t in report["themes"] if "invoice" in t["words"]]
    assert theme["n"] == 15 and theme["comments"] == 15
    assert {e["text"] for e in theme["examples"]} <= set(PLANTED)
    assert set(theme["words"]) == {"invoice", "portal", "crashes", "time"}
    with planted.client("admin") as admin:
        job = admin.get(f"/v1/jobs/{job_id}").json()
    assert job["kind"] == "themes" and job["status"] == "done" and job["progress"]["done"] == report["n"]


def test_themes_are_computed_again_after_new_data(planted):
    with planted.client("read") as client:
        job_id, _ = _computed(planted, client, "/v1/themes")
        with planted.client("ingest") as ingest:
            ingest.post("/v1/responses", json={"source": "survey", "external_id": "late", "text": "One more."})
        planted.drain()
        stale = client.get("/v1/themes")
    assert stale.status_code == 202 and stale.json()["job_id"] != job_id


def test_gaps_propose_the_planted_cluster_and_adopting_it_makes_a_map_version(planted):
    unassign_planted(planted)
    with planted.client("read") as client:
        _, report = _computed(planted, client, "/v1/journey/gaps")
    coverage = report["coverage"]
    assert coverage["n"] >= 30 and coverage["assigned"] == coverage["n"] - 15 and report["unassigned"] == 15
    assert sum(r["n"] for r in coverage["by_source"]) == sum(r["n"] for r in coverage["by_week"]) == coverage["n"]
    [proposal] = [p for p in report["proposals"] if "invoice" in p["words"]]
    assert proposal["n"] == 15 and proposal["examples"] and proposal["stage"]
    with planted.client("admin") as admin:
        missing = admin.post("/v1/journey/gaps/no_such_thing/adopt")
        adopted = admin.post(f"/v1/journey/gaps/{proposal['id']}/adopt")
        again = admin.post(f"/v1/journey/gaps/{proposal['id']}/adopt")  # the map it was proposed for is gone
        maps = admin.get("/v1/journey-maps").json()
    with planted.client("read") as reader:
        forbidden = reader.post(f"/v1/journey/gaps/{proposal['id']}/adopt")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert forbidden.status_code == 403
    assert adopted.status_code == 202, adopted.text
    version = adopted.json()
    assert version["active"] and version["reassign_job_id"] is not None
    stage = next(s for s in version["definition"]["stages"] if s["id"] == proposal["stage"])
    assert stage["touchpoints"][-1]["id"] == proposal["id"]
    assert stage["touchpoints"][-1]["examples"] == [e["text"] for e in proposal["examples"]]
    assert again.status_code == 404
    assert maps["active"]["id"] == version["id"]


def test_concurrent_asks_queue_one_job(planted):
    from concurrent.futures import ThreadPoolExecutor

    with planted.client("read") as client:
        with ThreadPoolExecutor(max_workers=6) as pool:
            replies = list(pool.map(lambda _: client.get("/v1/journey/gaps", params={"source": "ticket"}), range(6)))
    assert {r.status_code for r in replies} == {202}
    assert len({r.json()["job_id"] for r in replies}) == 1
    with planted.client("admin") as admin:
        assert len(admin.get("/v1/jobs", params={"kind": "gaps"}).json()) == 1
