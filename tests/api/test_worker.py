"""The durable queue: committed before scoring, claimed in micro-batches, nothing lost, nothing twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from vocengine.store import queue
from vocengine.store.analysis_rows import comment_row
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


def expire(service, worker):
    """Time passes: the claims of `worker` run out."""
    with service.engine.begin() as connection:
        connection.execute(
            update(RESPONSE).values(claim_expires_at=utcnow() - timedelta(seconds=1)).where(RESPONSE.c.claimed_by == worker)
        )


def rows(service):
    with service.engine.connect() as connection:
        return {r.id: r for r in connection.execute(select(RESPONSE))}


def test_a_worker_killed_mid_batch_loses_nothing_and_counts_nothing_twice(service):
    push(service, [f"The renewal quote number {i} was clear." for i in range(5)])
    crashed = service.worker("crashed")
    claimed = queue.claim(service.engine, crashed.name, 3, lease_seconds=60, max_lease_expiries=5)
    assert len(claimed) == 3  # ... and then the process dies without finishing
    survivor = service.worker("survivor")
    assert survivor.run_once() == 2  # the other rows; the claimed ones are still leased
    expire(service, "crashed")
    assert survivor.drain() == 3
    assert statuses(service)["done"] == 5
    # The crashed worker comes back and tries to write its stale batch: refused, nothing doubles.
    analyzer, map_id = service.runtime.active.current()
    stale = [comment_row(c.id, analyzer.analyze([c.text])[0], map_id) for c in claimed]
    assert queue.complete(service.engine, "crashed", stale, [], {}) == set()
    assert results(service) == (5, 5)


def test_a_killed_workers_claim_spends_no_attempt(service):
    """Only a failure the worker records is an attempt; a claim that ran out counts as a lease expiry."""
    ids = push(service, ["Billing was fine.", "Support was slow."])
    assert len(queue.claim(service.engine, "killed", 10, 60, 5)) == 2
    expire(service, "killed")
    assert service.drain() == 2
    after = rows(service)
    assert [(after[i].status, after[i].attempts, after[i].lease_expiries) for i in ids] == [("done", 0, 1)] * 2


def test_rows_back_from_a_dead_worker_go_alone_so_a_poison_row_fails_alone(service):
    """A row that kills every worker that takes it: its batch mates are claimed one by one after the first
    death and finish; the poison row itself ends failed after `worker_max_lease_expiries`, not looping."""
    texts = ["Fine.", "Good.", "POISON kills the worker.", "Okay.", "Great."]
    ids = push(service, texts)
    limit = service.settings.worker_max_lease_expiries
    deaths = 0
    assert len(queue.claim(service.engine, "w0", 10, 60, limit)) == 5  # the whole batch, then a death
    expire(service, "w0")
    deaths += 1
    worker = service.worker("survivor")
    for round_ in range(1, 40):
        claimed = queue.claim(service.engine, f"w{round_}", 10, 60, limit)
        if not claimed:
            break
        assert len(claimed) == 1  # back from a dead worker: alone
        if "POISON" in claimed[0].text:
            expire(service, f"w{round_}")  # it kills this worker too
            deaths += 1
        else:
            analyzer, map_id = service.runtime.active.current()
            from vocengine.jobs.scoring import score

            scored = score(analyzer, map_id, claimed)
            queue.complete(service.engine, f"w{round_}", scored.comments, scored.sentences, scored.languages)
    assert worker.run_once() == 0
    after = rows(service)
    poison = ids[2]
    assert after[poison].status == "failed" and after[poison].lease_expiries == limit == deaths
    assert "gave up" in after[poison].last_error and after[poison].attempts == 0
    assert all(after[i].status == "done" and after[i].lease_expiries == 1 for i in ids if i != poison)


def test_failed_responses_are_put_back_by_the_admin_endpoint_with_attempts_reset(service, monkeypatch):
    ids = push(service, ["Fine product.", "FLAKY makes the model fail today."])
    worker = service.worker()
    analyzer, _ = service.runtime.active.current()
    original = analyzer.analyze_with_embeddings

    def fragile(texts, ids=None):
        if any("FLAKY" in t for t in texts):
            raise RuntimeError("the model could not score this text")
        return original(texts, ids)

    monkeypatch.setattr(analyzer, "analyze_with_embeddings", fragile)
    worker.drain()
    assert rows(service)[ids[1]].status == "failed"
    with service.client("ingest") as client:
        assert client.post("/v1/responses/requeue", json={}).status_code == 403
    with service.client("admin") as client:
        assert client.post("/v1/responses/requeue", json={"source": "ticket"}).json() == {"requeued": 0}
        assert client.post("/v1/responses/requeue", json={"source": "survey"}).json() == {"requeued": 1}
    row = rows(service)[ids[1]]
    assert (row.status, row.attempts, row.lease_expiries, row.last_error) == ("pending", 0, 0, None)
    monkeypatch.undo()  # the fault is fixed
    assert worker.drain() == 1
    assert rows(service)[ids[1]].status == "done"


def test_a_failing_response_is_retried_then_marked_failed_with_the_reason(service, monkeypatch):
    ids = push(service, ["Fine product.", "POISON makes the model fail.", "Delivery was late."])
    worker = service.worker()
    analyzer, _ = service.runtime.active.current()
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
    limit = service.settings.worker_max_lease_expiries
    for death in range(limit):
        assert len(queue.claim(service.engine, f"w{death}", 10, 60, limit)) == 1
        expire(service, f"w{death}")
    assert queue.claim(service.engine, "last", 10, 60, limit) == []
    row = rows(service)[rid]
    assert row.status == "failed" and "gave up" in row.last_error
    assert (row.attempts, row.lease_expiries) == (0, limit)


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
