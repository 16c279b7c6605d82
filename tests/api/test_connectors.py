"""Inbound connectors over real HTTP: each tool's signed payload stored once, redacted, through the same ingest
as POST /v1/responses; a wrong or missing signature stores nothing; ids-only notifications are read from a fake
of the tool's API on loopback by a job."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.connectors.tools import SECRETS, FakeApis, edited, payload, signed
from vocengine.jobs.scoring import score
from vocengine.settings import Settings
from vocengine.store import queue
from vocengine.store.tables import Job, Response

RESPONSE = Response.__table__
JOB = Job.__table__
DIRECT = {  # tool: (payload, external id, source, what redaction must remove, score, score type)
    "typeform": ("typeform.json", "a3a12ec67a1365927098a606107fac15", "survey", "jane.doe@example.com", 6, "nps"),
    "zendesk": ("zendesk.json", "ticket-35436-satisfaction", "ticket", "415 555 0134", 4, "csat"),
    "intercom": ("intercom_rating.json", "147865329-rating", "chat", "4111 1111 1111 1111", 2, "csat"),
    "delighted": ("delighted_updated.json", "5435", "survey", "jony@example.com", 3, "nps"),
}
FETCHED = {  # tool: (payload, external id, what redaction must remove)
    "surveymonkey": ("surveymonkey.json", "114437891023", "jane@example.org"),
    "qualtrics": ("qualtrics.txt", "R_2QHv0pfWsbOgdrs", "jane.doe@example.com"),
}


@pytest.fixture
def fake_apis():
    with FakeApis() as fake:
        yield fake


@pytest.fixture
def service_settings(fake_apis: FakeApis) -> Settings:
    return Settings(
        touchpoint_threshold=-1.0, max_body_bytes=256 * 1024, worker_batch_size=8, **SECRETS,
        surveymonkey_api_url=f"{fake_apis.url}/sm/v3", qualtrics_api_url=fake_apis.url,
    )  # fmt: skip


def post(client, tool: str, body: bytes, **signing):
    return client.post(f"/v1/connectors/{tool}", content=body, **signed(tool, body, **signing))


def rows(service):
    with service.engine.connect() as connection:
        return connection.execute(select(RESPONSE).order_by(RESPONSE.c.id)).all()


def jobs(service) -> int:
    with service.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(JOB)).scalar_one()


@pytest.mark.parametrize("tool", DIRECT)
def test_a_signed_event_is_stored_once_redacted_and_pending(service, tool):
    name, external_id, source, secret_text, score, score_type = DIRECT[tool]
    with service.client() as client:  # no API key: the tool's signature is the authentication
        first = post(client, tool, payload(name))
        again = post(client, tool, payload(name))
    assert first.status_code == 202, first.text
    assert first.json()["status"] == "accepted" and first.json()["external_id"] == external_id
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert again.json()["id"] == first.json()["id"]
    [row] = rows(service)
    assert (row.source, row.external_id, row.status) == (source, external_id, "pending")
    assert (row.score, row.score_type) == (score, score_type)
    assert secret_text not in row.text and "[" in row.text


@pytest.mark.parametrize("tool", [*DIRECT, *FETCHED])
def test_a_wrong_or_missing_signature_is_401_and_stores_nothing(service, tool):
    name = DIRECT[tool][0] if tool in DIRECT else FETCHED[tool][0]
    body = payload(name)
    with service.client("admin") as client:  # an API key is no substitute for the signature
        wrong = post(client, tool, body, secret="not-the-secret")
        missing = client.post(f"/v1/connectors/{tool}", content=body)
        # Qualtrics signs nothing: its URL carries a shared token, so a changed body cannot be told apart.
        tampered = None
        if tool != "qualtrics":
            tampered = client.post(f"/v1/connectors/{tool}", content=body + b" ", **signed(tool, body))
    for reply in (wrong, missing, tampered or wrong):
        assert reply.status_code == 401, reply.text
        assert reply.json()["error"]["code"] == "unauthorized"
    assert rows(service) == [] and jobs(service) == 0


@pytest.mark.parametrize("tool", ["zendesk", "delighted"])
def test_a_signature_of_an_old_timestamp_is_refused(service, tool):
    body = payload(DIRECT[tool][0])
    with service.client() as client:
        reply = post(client, tool, body, at=1_000_000_000)
    assert reply.status_code == 401 and "from now" in reply.json()["error"]["message"]
    assert rows(service) == []


@pytest.mark.parametrize("tool", FETCHED)
def test_a_notification_is_read_from_the_tools_api_by_a_job_and_stored_once(service, fake_apis, tool):
    name, external_id, secret_text = FETCHED[tool]
    with service.client() as client:
        queued = post(client, tool, payload(name))
        while_open = post(client, tool, payload(name))
        assert queued.status_code == 202, queued.text
        assert queued.json()["status"] == "queued" and queued.json()["external_id"] == external_id
        assert while_open.json()["job_id"] == queued.json()["job_id"]
        assert rows(service) == []
        service.drain()
        replayed = post(client, tool, payload(name))
    [row] = rows(service)
    assert (row.external_id, row.status) == (external_id, "done")
    assert secret_text not in row.text and "[EMAIL]" in row.text
    assert row.contact_id in ("c-778", "c-9001")
    assert replayed.status_code == 200 and replayed.json() == {
        "status": "duplicate", "external_id": external_id, "id": row.id, "job_id": None, "reason": None,
    }  # fmt: skip
    with service.client("admin") as client:
        job = client.get(f"/v1/jobs/{queued.json()['job_id']}").json()
    assert job["status"] == "done" and job["result"]["status"] == "accepted"
    assert len(fake_apis.requests) == 1  # the redelivery read nothing again


def test_a_failing_api_call_is_retried_by_the_job(service, fake_apis):
    fake_apis.fail_next = 1
    with service.client() as client:
        assert post(client, "qualtrics", payload("qualtrics.txt")).status_code == 202
    service.drain()
    [row] = rows(service)
    assert row.external_id == "R_2QHv0pfWsbOgdrs" and len(fake_apis.requests) == 2


def test_delighted_stores_the_comment_when_it_comes_and_rescores_a_changed_one(service):
    with service.client() as client:
        score_only = post(client, "delighted", payload("delighted_created.json"))
        assert score_only.status_code == 200 and score_only.json()["status"] == "ignored"
        assert "no comment yet" in score_only.json()["reason"] and rows(service) == []
        created = post(client, "delighted", payload("delighted_updated.json"))
        assert created.status_code == 202 and created.json()["status"] == "accepted"
        service.drain()
        assert rows(service)[0].status == "done"

        def rewrite(data):
            data["event_data"]["comment"] = "Renewal sorted now, thanks to Sam. Write to sam@example.com."
            data["event_data"]["score"] = 8

        revised = post(client, "delighted", edited("delighted_updated.json", rewrite))
        same_again = post(client, "delighted", edited("delighted_updated.json", rewrite))
    assert revised.status_code == 202 and revised.json() == {**created.json(), "status": "updated"}
    assert same_again.status_code == 200 and same_again.json()["status"] == "duplicate"
    [row] = rows(service)
    assert row.status == "pending" and row.attempts == 0 and row.score == 8
    assert row.text.startswith("Renewal sorted now") and "sam@example.com" not in row.text
    service.drain()
    assert rows(service)[0].status == "done"


def test_an_event_without_text_is_acknowledged_and_ignored_with_the_reason(service):
    with service.client() as client:
        typeform = post(client, "typeform", payload("typeform_no_text.json"))
        ping = post(client, "intercom", payload("intercom_ping.json"))
    assert typeform.status_code == 200
    assert typeform.json()["status"] == "ignored" and "long_text" in typeform.json()["reason"]
    assert ping.status_code == 200 and ping.json()["status"] == "ignored"
    assert rows(service) == []


def test_a_payload_that_is_not_the_tools_or_not_a_valid_response_is_422(service):
    def email_as_user(data):
        data["form_response"]["hidden"]["user_id"] = "jane.doe@example.com"

    with service.client() as client:
        not_json = post(client, "typeform", b"not json")
        no_ticket = post(client, "zendesk", b'{"comment": "Great help."}')
        invalid = post(client, "typeform", edited("typeform.json", email_as_user))
    assert not_json.status_code == 422 and no_ticket.status_code == 422
    assert no_ticket.json()["error"]["details"][0]["field"] == "ticket_id"
    assert invalid.status_code == 422 and invalid.json()["error"]["details"][0]["field"] == "contact_id"
    assert rows(service) == []


def test_a_body_over_the_limit_is_413(service):
    body = json.dumps({"event_type": "form_response", "padding": "x" * (300 * 1024)}).encode()
    with service.client() as client:
        reply = post(client, "typeform", body)
    assert reply.status_code == 413 and rows(service) == []


def test_a_connector_without_its_secret_is_404_and_says_what_to_set(service):
    service.settings.typeform_secret = None
    with service.client() as client:
        reply = post(client, "typeform", payload("typeform.json"))
    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "connector_not_configured"
    assert "VOCENGINE_TYPEFORM_SECRET" in reply.json()["error"]["message"]


def test_a_revision_while_a_worker_scores_the_old_text_is_scored_again(service):
    """The worker's claim is released by the revision, so its analysis of the old text is not kept as done."""
    with service.client() as client:
        assert post(client, "delighted", payload("delighted_updated.json")).status_code == 202
        worker = service.worker("slow")
        [claimed] = queue.claim(service.engine, "slow", 8, 60, 5)

        def rewrite(data):
            data["event_data"]["comment"] = "Actually the renewal went fine."

        assert post(client, "delighted", edited("delighted_updated.json", rewrite)).json()["status"] == "updated"
    analyzer, map_id = service.runtime.active.current()
    scored = score(analyzer, map_id, [claimed])
    assert queue.complete(service.engine, "slow", scored.comments, scored.sentences, scored.languages) == set()
    [row] = rows(service)
    assert row.status == "pending" and row.text == "Actually the renewal went fine."
    assert worker.drain() == 1 and rows(service)[0].status == "done"


@pytest.mark.parametrize("tool", ["typeform", "qualtrics"])
def test_a_full_queue_refuses_a_connector_with_503_and_stores_nothing(service, tool):
    service.settings.max_pending, service.settings.queue_depth_cache_seconds = 1, 0
    with service.client("ingest") as client:
        client.post("/v1/responses", json={"source": "chat", "external_id": "x", "text": "Waiting to be scored."})
        name = "typeform.json" if tool == "typeform" else "qualtrics.txt"
        reply = post(client, tool, payload(name))
    assert reply.status_code == 503 and reply.json()["error"]["code"] == "queue_full"
    assert "Retry-After" in reply.headers
    assert len(rows(service)) == 1 and jobs(service) == 0
