"""The model registry through the API: promotion switches the running service, rescoring follows."""

from __future__ import annotations

import pytest
import torch
from sqlalchemy import select

from vocengine.learning import registry, rescore
from vocengine.model.artifact import build_network, save_model
from vocengine.store.tables import CommentResult, ModelStatus, ModelVersion, sentence_result

COMMENT = CommentResult.__table__  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def second_model_dir(tiny_base, tmp_path_factory):
    """Another real model on the tiny base: other random weights, another version name."""
    from tests.conftest import tiny_config

    torch.manual_seed(7)
    network = build_network(tiny_base, n_labels=(28, 7, 3))
    out = tmp_path_factory.mktemp("tiny-model-2")
    save_model(network, tiny_config(model_version="tiny-second"), out)
    return out


def _candidate(service, path, status=ModelStatus.candidate, version_id="tiny-second"):
    active = registry.active_model(service.engine)
    return registry.register(
        service.engine,
        ModelVersion(id=version_id, parent_id=active.id, path=str(path), status=status.value, metrics={}),
    )


def _push(service, n: int) -> None:
    with service.client("ingest") as client:
        client.post(
            "/v1/responses/batch",
            json={
                "items": [
                    {
                        "source": "survey",
                        "external_id": f"m{i}",
                        "text": f"Support call {i} was slow. Billing was fine.",
                    }
                    for i in range(n)
                ]
            },
        ).raise_for_status()
    service.drain()


def test_promotion_switches_the_running_service_and_rescoring_follows(service, second_model_dir):
    _push(service, 10)
    with service.client("read") as client:
        before = client.post("/v1/analyze", json={"texts": ["Support was slow."]}).json()["results"][0]
    assert before["model_version"] == "tiny-test"
    _candidate(service, second_model_dir)
    with service.client("admin") as client:
        listed = client.get("/v1/models").json()
        assert listed["active"]["id"] == "tiny-test"
        assert {v["id"]: v["status"] for v in listed["versions"]} == {"tiny-test": "active", "tiny-second": "candidate"}
        promoted = client.post("/v1/models/tiny-second/promote")
        assert promoted.status_code == 200, promoted.text
        assert promoted.json()["status"] == "active"
        jobs = client.get("/v1/models/rescore").json()
        assert jobs[0]["model_version"] == "tiny-second" and jobs[0]["total"] == 10 and jobs[0]["done"] == 0
    with service.client("read") as client:
        after = client.post("/v1/analyze", json={"texts": ["Support was slow."]}).json()["results"][0]
    # No restart: the next request is scored by the promoted version.
    assert after["model_version"] == "tiny-second"
    assert after["sentiment"]["scores"] != before["sentiment"]["scores"]

    with service.engine.connect() as connection:
        ids_before = connection.execute(select(sentence_result.c.id).order_by(sentence_result.c.id)).scalars().all()
    service.settings.rescore_batch_size = 4
    worker = service.worker()
    assert worker.run_once() == 4  # idle queue: the worker rescores a batch
    with service.client("admin") as client:
        job = client.get("/v1/models/rescore").json()[0]
        assert (job["status"], job["done"], job["percent"]) == ("running", 4, 40.0)
    while worker.run_once():
        pass
    with service.client("admin") as client:
        job = client.get("/v1/models/rescore").json()[0]
    assert (job["status"], job["done"]) == ("done", 10)
    with service.engine.connect() as connection:
        versions = connection.execute(select(COMMENT.c.model_version)).scalars().all()
        ids_after = connection.execute(select(sentence_result.c.id).order_by(sentence_result.c.id)).scalars().all()
    assert versions == ["tiny-second"] * 10
    assert ids_after == ids_before  # rows updated in place, not deleted and inserted
    with service.client("read") as client:
        detail = client.get("/v1/responses/1").json()
    assert detail["analysis"]["model_version"] == "tiny-second"

    with service.client("admin") as client:
        back = client.post("/v1/models/rollback")
        assert back.status_code == 200 and back.json()["id"] == "tiny-test"
    with service.client("read") as client:
        again = client.post("/v1/analyze", json={"texts": ["Support was slow."]}).json()["results"][0]
    assert again["model_version"] == "tiny-test" and again["sentiment"] == before["sentiment"]


def test_a_rejected_version_needs_force_and_unknown_is_404(service, second_model_dir):
    _candidate(service, second_model_dir, status=ModelStatus.rejected)
    with service.client("admin") as client:
        refused = client.post("/v1/models/tiny-second/promote")
        assert refused.status_code == 409 and "gate" in refused.json()["error"]["message"]
        assert client.post("/v1/models/nope/promote").status_code == 404
        assert client.get("/v1/models/nope").status_code == 404
        assert client.post("/v1/models/rollback").status_code == 409  # nothing was active before
        forced = client.post("/v1/models/tiny-second/promote?force=true")
        assert forced.status_code == 200 and forced.json()["status"] == "active"
    with service.client("read") as client:
        assert client.get("/v1/models").status_code == 403
        assert client.post("/v1/models/tiny-test/promote").status_code == 403


def test_a_crashed_rescore_resumes_where_it_stopped(service, second_model_dir):
    _push(service, 9)
    _candidate(service, second_model_dir)
    registry.promote(service.engine, "tiny-second")
    first = service.worker("first")
    job = rescore.claim_job(service.engine, "first", "tiny-second", lease_seconds=0.0)
    assert rescore.run_batch(service.engine, job, "first", first.rescore_rows, 4, lease=0.0) == 4
    # "first" dies here. Its lease (0 s) has run out: another worker takes the job over from the cursor.
    second = service.worker("second")
    taken = rescore.claim_job(service.engine, "second", "tiny-second", lease_seconds=60)
    assert taken is not None and taken.last_response_id == 4 and taken.done == 4
    # The dead worker's late batch is refused: the job is no longer its own, nothing counts twice.
    assert rescore.run_batch(service.engine, job, "first", first.rescore_rows, 4, lease=0.0) == 0
    assert rescore.get_job(service.engine, job.id).done == 4
    finished = rescore.run_job(service.engine, taken, "second", second.rescore_rows, 4, lease=60)
    assert (finished.status, finished.done, finished.total) == ("done", 9, 9)
    with service.engine.connect() as connection:
        assert set(connection.execute(select(COMMENT.c.model_version)).scalars()) == {"tiny-second"}
