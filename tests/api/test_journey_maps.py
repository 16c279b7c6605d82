"""Journey map versions: putting a new map re-assigns stored sentences from their embeddings, no re-scoring."""

from __future__ import annotations

from sqlalchemy import select

from vocengine.store.tables import sentence_result

NEW_MAP = {
    "name": "Hotel stay",
    "stages": [
        {"id": "booking", "name": "Booking", "touchpoints": [
            {"id": "website", "name": "Booking website", "description": "Finding and booking a room online.",
             "examples": ["The booking site kept crashing"]}]},
        {"id": "stay", "name": "Stay", "touchpoints": [
            {"id": "room", "name": "Room", "description": "The room, the bed, cleanliness.",
             "examples": ["The bed was comfortable"]}]},
    ],
}  # fmt: skip


def test_put_map_reassigns_stored_sentences_without_rescoring(service):
    with service.client("ingest") as client:
        client.post("/v1/responses/batch", json={"items": [
            {"source": "review", "external_id": str(i), "text": t}
            for i, t in enumerate(["The booking site crashed twice.", "The bed was great. Sales were pushy."])]})  # fmt: skip
    service.drain()
    with service.engine.connect() as connection:
        before = connection.execute(select(sentence_result).order_by(sentence_result.c.id)).all()
    assert {r.stage for r in before} <= {
        "awareness",
        "evaluation",
        "purchase",
        "onboarding",
        "usage",
        "support",
        "renewal",
    }

    with service.client("admin") as client:
        reply = client.put("/v1/journey-maps", json=NEW_MAP)
        assert reply.status_code == 202
        version = reply.json()
        assert version["active"] and version["reassign_status"] == "queued"
        job = client.get(f"/v1/jobs/{version['reassign_job_id']}").json()
        assert (job["kind"], job["status"], job["progress"]["total"]) == ("reassign_map", "queued", 3)
        assert service.drain() > 0  # idle: the worker carries out the re-assignment, a job
        maps = client.get("/v1/journey-maps").json()
    assert maps["active"]["id"] == version["id"] and maps["active"]["reassign_status"] == "done"
    assert maps["active"]["reassigned_sentences"] == len(before) == 3
    assert len(maps["versions"]) == 2
    with service.engine.connect() as connection:
        after = connection.execute(select(sentence_result).order_by(sentence_result.c.id)).all()
    assert {r.stage for r in after} <= {"booking", "stay"}
    assert all(r.journey_map_id == version["id"] for r in after)
    # The classifiers' outputs are untouched: the same probabilities, to the last digit.
    assert [(r.p_positive, r.e_joy, r.k_anger) for r in after] == [(r.p_positive, r.e_joy, r.k_anger) for r in before]
    with service.client("read") as client:
        detail = client.get("/v1/responses/1").json()
    assert detail["analysis"]["sentences"][0]["stage"] in {"booking", "stay"}


def test_putting_the_active_map_again_changes_nothing(service):
    with service.client("admin") as client:
        first = client.put("/v1/journey-maps", json=NEW_MAP).json()
        second = client.put("/v1/journey-maps", json=NEW_MAP).json()
    assert first["id"] == second["id"]


def test_an_invalid_map_is_refused_naming_the_field(service):
    bad = {
        "name": "x",
        "stages": [{"id": "Bad Id", "name": "n", "touchpoints": [{"id": "a", "name": "a", "description": "d"}]}],
    }
    with service.client("admin") as client:
        reply = client.put("/v1/journey-maps", json=bad)
    assert reply.status_code == 422
    assert "stages.0.id" in reply.json()["error"]["message"]
