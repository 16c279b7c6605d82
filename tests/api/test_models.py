"""The model registry through the API: promotion switches the running service, rescoring follows."""

from __future__ import annotations

from datetime import timedelta

import pytest
import torch
from sqlalchemy import select, update

from vocengine.jobs import runner
from vocengine.learning import registry
from vocengine.model.artifact import build_network, save_model
from vocengine.store import jobs
from vocengine.store.tables import CommentResult, Job, ModelStatus, ModelVersion, sentence_result, utcnow

COMMENT = CommentResult.__table__  # type: ignore[attr-defined]
JOB = Job.__table__  # type: ignore[attr-defined]


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
    service.settings.rescore_batch_size = 4
    first = runner.claim(service.runtime, "first")
    assert first is not None and first.kind == "rescore"
    assert runner.run_step(service.runtime, first) is False and first.done == 4
    # "first" dies here. Its lease runs out: another worker takes the job over from the cursor.
    with service.engine.begin() as connection:
        connection.execute(update(JOB).values(claim_expires_at=utcnow() - timedelta(seconds=1)))
    second = runner.claim(service.runtime, "second")
    assert second is not None and second.id == first.id
    assert (second.cursor, second.done) == ({"last_response_id": 4}, 4)
    # The dead worker's late batch is refused, nothing counts twice.
    assert runner.run_step(service.runtime, first) is True
    assert jobs.get(service.engine, first.id).progress_done == 4
    while not runner.run_step(service.runtime, second):
        pass
    finished = jobs.get(service.engine, first.id)
    assert (finished.status, finished.progress_done, finished.progress_total) == ("done", 9, 9)
    # The dead worker's claim was not a failed attempt of the job.
    assert (finished.attempts, finished.lease_expiries) == (0, 1)
    with service.engine.connect() as connection:
        assert set(connection.execute(select(COMMENT.c.model_version)).scalars()) == {"tiny-second"}


def test_asking_to_rescore_again_while_it_runs_is_the_same_job(service, second_model_dir):
    _push(service, 3)
    _candidate(service, second_model_dir)
    registry.promote(service.engine, "tiny-second")
    with service.client("admin") as client:
        first = client.post("/v1/models/rescore", json={}).json()
        again = client.post("/v1/models/rescore", json={}).json()
        assert first["id"] == again["id"] and first["status"] == "queued"
        listed = client.get("/v1/jobs", params={"kind": "rescore"}).json()
    assert [j["id"] for j in listed] == [first["id"]]
