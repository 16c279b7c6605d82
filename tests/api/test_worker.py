"""The durable queue: committed before scoring, claimed in micro-batches, nothing lost, nothing twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from vocengine.store import queue
from vocengine.store.tables import CommentResult, Response, sentence_result, utcnow

RESPONSE = Response.__table__
COMMENT = CommentResult.__table__


def push(service, texts, source="survey"):
    items = [{"source": source, "external_id": f"{source}-{i}", "text": t} for i, t in enumerate(texts)]
    with service.client("ingest") as client:
        reply = client.post("/v1/responses/batch", json={"items": items})
    assert reply.status_code == 202
    return [i["id"] for i in reply.json()["items"]]


def statuses(service):
    with service.engine.connect() as connection:
        return queue.counts(connection)


def results(service):
    with service.engine.connect() as connection:
        comments = connection.execute(select(func.count()).select_from(COMMENT)).scalar_one()
        sentences = connection.execute(select(func.count()).select_from(sentence_result)).scalar_one()
    return comments, sentences


def test_the_worker_scores_pending_responses_and_stores_sentences(service):
    push(service, ["Sales were great. Onboarding was a nightmare.", "Support fixed it.", "Das ist gut."])
    assert statuses(service)["pending"] == 3
    assert service.drain() == 3
    assert statuses(service)["done"] == 3
    comments, sentences = results(service)
    assert comments == 3 and sentences == 4
    with service.engine.connect() as connection:
        rows = connection.execute(select(sentence_result).order_by(sentence_result.c.id)).all()
    first = rows[0]
    assert first.text == "Sales were great." and first.source == "survey"
    assert first.e_joy is not None and first.k_joy is not None and len(first.embedding) == 32 * 2
    german = [r for r in rows if r.text == "Das ist gut."][0]
    assert german.sentiment is None  # not English: kept, not scored
    with service.client("read") as client:
        detail = client.get(f"/v1/responses/{first.response_id}").json()
    assert detail["analysis"]["id"] == str(first.response_id) and detail["status"] == "done"
    assert detail["received_at"].endswith(("Z", "+00:00"))


def test_a_worker_killed_mid_batch_loses_nothing_and_counts_nothing_twice(service):
    push(service, [f"The renewal quote number {i} was clear." for i in range(5)])
    crashed = service.worker("crashed")
    claimed = queue.claim(service.engine, crashed.name, 3, lease_seconds=60, max_attempts=3)
    assert len(claimed) == 3  # ... and then the process dies without finishing
    survivor = service.worker("survivor")
    assert survivor.run_once() == 2  # the other rows; the claimed ones are still leased
    with service.engine.begin() as connection:  # time passes: the lease runs out
        connection.execute(update(RESPONSE).values(claim_expires_at=utcnow() - timedelta(seconds=1)).where(
            RESPONSE.c.claimed_by == "crashed"))  # fmt: skip
    assert survivor.run_once() == 3
    assert statuses(service)["done"] == 5
    # The crashed worker comes back and tries to write its stale batch: refused, nothing doubles.
    analyzer, map_id = crashed.analyzer.current()
    from vocengine.worker import comment_row

    stale = [comment_row(c.id, analyzer.analyze([c.text])[0], map_id) for c in claimed]
    assert queue.complete(service.engine, "crashed", stale, [], {}) == set()
    assert results(service) == (5, 5)


def test_a_failing_response_is_retried_then_marked_failed_with_the_reason(service, monkeypatch):
    ids = push(service, ["Fine product.", "POISON makes the model fail.", "Delivery was late."])
    worker = service.worker()
    analyzer, _ = worker.analyzer.current()
    original = analyzer.analyze_with_embeddings

    def fragile(texts, ids=None):
        if any("POISON" in t for t in texts):
            raise RuntimeError("the model could not score this text")
        return original(texts, ids)

    monkeypatch.setattr(analyzer, "analyze_with_embeddings", fragile)
    for _ in range(service.settings.worker_max_attempts + 1):
        worker.run_once()
    counts = statuses(service)
    assert counts["done"] == 2 and counts["failed"] == 1
    with service.client("read") as client:
        failed = client.get(f"/v1/responses/{ids[1]}").json()
        listed = client.get("/v1/responses", params={"status": "failed"}).json()["items"]
    assert failed["status"] == "failed" and failed["attempts"] == service.settings.worker_max_attempts
    assert "could not score" in failed["last_error"]
    assert [r["id"] for r in listed] == [ids[1]]


def test_a_response_whose_worker_always_dies_is_given_up_on(service):
    [rid] = push(service, ["Anything."])
    for attempt in range(service.settings.worker_max_attempts):
        assert len(queue.claim(service.engine, f"w{attempt}", 10, 60, service.settings.worker_max_attempts)) == 1
        with service.engine.begin() as connection:
            connection.execute(update(RESPONSE).values(claim_expires_at=utcnow() - timedelta(seconds=1)))
    assert queue.claim(service.engine, "last", 10, 60, service.settings.worker_max_attempts) == []
    with service.engine.connect() as connection:
        row = connection.execute(select(RESPONSE).where(RESPONSE.c.id == rid)).one()
    assert row.status == "failed" and "gave up" in row.last_error


def test_two_workers_never_claim_the_same_response(service):
    push(service, [f"Comment {i} about the dashboard." for i in range(30)])
    first = queue.claim(service.engine, "a", 20, 60, 3)
    second = queue.claim(service.engine, "b", 20, 60, 3)
    assert len(first) == 20 and len(second) == 10
    assert not {c.id for c in first} & {c.id for c in second}


def test_concurrent_workers_share_the_queue_without_overlap(service):
    """Three workers at once (threads, each with its own connections): with SKIP LOCKED on PostgreSQL and
    the write lock on SQLite, every response is claimed exactly once."""
    import threading

    push(service, [f"Comment number {i}." for i in range(45)])
    claims: dict[str, list[int]] = {}

    def work(name: str) -> None:
        mine = claims.setdefault(name, [])
        while batch := queue.claim(service.engine, name, 4, 60, 3):
            mine += [c.id for c in batch]

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    every = [rid for ids in claims.values() for rid in ids]
    assert len(every) == 45 and len(set(every)) == 45


def test_scoring_a_response_again_replaces_its_analysis(service):
    [rid] = push(service, ["The invoice was wrong. Support fixed it."])
    service.drain()
    with service.engine.begin() as connection:  # as a rescoring would: back in the queue
        connection.execute(update(RESPONSE).values(status="pending").where(RESPONSE.c.id == rid))
    assert service.drain() == 1
    assert results(service) == (1, 2)
