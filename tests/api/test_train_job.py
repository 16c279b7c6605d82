"""Training from the app: POST /v1/models/train queues a `train` job, a worker with the training code runs
it on the tiny model, and the job ends done with the gate's verdict; one run at a time."""

from __future__ import annotations

import pytest

from training.learn import JobTrainer
from vocengine.learning import registry
from vocengine.learning.labels import LabelValues, add_label
from vocengine.runtime import Runtime
from vocengine.worker import ScoringWorker

FAST = {"epochs": 1, "public_examples": 30, "public_limit": 30, "promote": False}


@pytest.fixture
def trainer_service(db_engine, tiny_analyzer, service_settings, tiny_base, tiny_model_dir, tmp_path, datasets_dir):
    """The API on the tiny model, and a worker runtime that has the training code (as `vocengine serve` has)."""
    from tests.support.service import serve

    settings = service_settings.model_copy(
        update={"base_model_path": tiny_base, "data_dir": tmp_path, "model_dir": tiny_model_dir}
    )
    service, stop = serve(Runtime(settings, engine=db_engine, analyzer=tiny_analyzer))
    worker = Runtime(settings, engine=db_engine, analyzer=tiny_analyzer, trainer=JobTrainer(datasets_dir))
    yield service, worker
    stop()


def label(engine, n: int = 40) -> None:
    words = {"negative": "awful broken slow", "neutral": "a plain ordinary", "positive": "great lovely fast"}
    touchpoints = ("kickoff", "support_tickets", "renewal_pricing")
    for i in range(n):
        sentiment = ("negative", "neutral", "positive")[i % 3]
        add_label(
            engine, LabelValues(sentiment=sentiment, touchpoint=touchpoints[i % 3]),
            text=f"The {words[sentiment]} thing number {i}.", labelled_by="test", journey_map_id=None,
            holdout_percent=20,
        )  # fmt: skip


def test_a_training_job_ends_done_with_the_gates_verdict_and_one_runs_at_a_time(trainer_service):
    service, worker_runtime = trainer_service
    registry.ensure_registered_dir(service.engine, service.analyzer.predictor.model_dir)
    with service.client("admin") as client:
        refused = client.post("/v1/models/train", json=FAST)
        assert refused.status_code == 409 and "training labels" in refused.json()["error"]["message"]
        label(service.engine)
        started = client.post("/v1/models/train", json=FAST)
        assert started.status_code == 202, started.text
        job = started.json()
        assert job["kind"] == "train" and job["status"] == "queued" and job["progress"]["total"] == 4
        assert job["params"]["epochs"] == 1 and job["params"]["promote"] is False

        again = client.post("/v1/models/train", json={})
        assert again.status_code == 409
        assert f"Training job {job['id']} is queued" in again.json()["error"]["message"]

        # A worker without the training code leaves the run for one that has it.
        service.drain()
        assert client.get(f"/v1/jobs/{job['id']}").json()["status"] == "queued"

        ScoringWorker(worker_runtime, "trainer").drain()
        done = client.get(f"/v1/jobs/{job['id']}").json()
        assert done["status"] == "done", done
        assert done["progress"] == {"done": 4, "total": 4, "percent": 100.0}
        result = done["result"]
        assert result["parent"] == "tiny-test" and result["promoted"] is False
        assert result["status"] in ("candidate", "rejected")
        assert isinstance(result["decision"]["promote"], bool) and result["decision"]["reasons"]
        assert result["labels"]["train"] + result["labels"]["holdout"] == 40 and result["labels"]["data_hash"]
        assert set(result["candidate"]["holdout"]) == {"sentiment", "touchpoint"}
        assert result["candidate"]["version"] == result["version"]
        # The version is in the registry with the same verdict; the active one did not change.
        version = client.get(f"/v1/models/{result['version']}").json()
        assert version["gate"] == result["decision"]
        assert client.get("/v1/models").json()["active"]["id"] == "tiny-test"
        listed = client.get("/v1/jobs", params={"kind": "train"}).json()
        assert [j["id"] for j in listed] == [job["id"]]

        # Finished: the next run may start.
        assert client.post("/v1/models/train", json=FAST).status_code == 202


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_train_refuses_a_bad_request(trainer_service):
    service, _ = trainer_service
    with service.client("admin") as client:
        assert client.post("/v1/models/train", json={"epochs": 0}).status_code == 422
        assert client.post("/v1/models/train", json={"dataset_dir": "/etc"}).status_code == 422
