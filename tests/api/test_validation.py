"""Input the databases cannot store or a client cannot decode is refused with 422 naming the field, and
rows stored before that check (or by other means) are still served: no request answers 500."""

from __future__ import annotations

import base64
import json
import math
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert, text

from vocengine.store.tables import Response

RESPONSE = Response.__table__
TOO_BIG = 99999999999999999999  # more than any id column holds (and than SQLite's 64 bits)


def item(i: int = 1, **extra: Any) -> dict[str, Any]:
    return {"source": "survey", "external_id": f"v-{i}", "text": f"Support answered ticket {i} quickly.", **extra}


def send(client, method: str, url: str, body: Any):
    """`body` as Python's json writes it: lone surrogates as \\ud800 escapes, NaN and Infinity as bare words,
    which is what a careless client sends (httpx's own encoder would refuse both)."""
    return client.request(method, url, content=json.dumps(body), headers={"Content-Type": "application/json"})


def refused(reply, field: str) -> None:
    assert reply.status_code == 422, reply.text
    fields = [d["field"] for d in reply.json()["error"]["details"]]
    assert any(f == field or f.startswith(field + ".") for f in fields), fields


def reads_all(client) -> None:
    """The reads a stored row could break: the list, a segment-filtered list, every detail."""
    page = client.get("/v1/responses")
    assert page.status_code == 200, page.text
    assert client.get("/v1/responses", params={"segment": "region:EMEA"}).status_code == 200
    for summary in page.json()["items"]:
        assert client.get(f"/v1/responses/{summary['id']}").status_code == 200


BAD_ITEMS = {
    "segment value with a lone surrogate": (item(segments={"region": "EMEA\ud800"}), "segments.region"),
    "segment name with a lone surrogate": (item(segments={"re\udc00gion": "EMEA"}), "segments"),
    "segment value NaN": (item(segments={"size": math.nan}), "segments.size"),
    "segment value Infinity": (item(segments={"size": math.inf}), "segments.size"),
    "segment value over 64 bits": (item(segments={"size": 2**64}), "segments.size"),
    "segment value with NUL": (item(segments={"region": "EM\x00EA"}), "segments.region"),
    "score NaN": (item(score=math.nan, score_type="nps"), "score"),
    "score Infinity": (item(score=-math.inf, score_type="csat"), "score"),
    "text with a lone surrogate": (item(text="Support was \udfff quick."), "text"),
    "channel with a lone surrogate": (item(channel="em\ud800ail"), "channel"),
    "external id with NUL": (item(external_id="v-\x001"), "external_id"),
    "persona with NUL": (item(persona="ad\x00min"), "persona"),
    "submitted_at before year 1 in UTC": (item(submitted_at="0001-01-01T00:00:00+01:00"), "submitted_at"),
}


@pytest.mark.parametrize("body,field", BAD_ITEMS.values(), ids=BAD_ITEMS.keys())
def test_a_response_the_database_cannot_hold_is_refused_naming_the_field(service, body, field):
    with service.client("ingest", "read") as client:
        refused(send(client, "POST", "/v1/responses", body), field)
        refused(send(client, "POST", "/v1/responses/batch", {"items": [item(0), body]}), f"items.1.{field}")
        reads_all(client)


def test_a_refused_field_is_named_even_when_its_name_cannot_be_encoded(service):
    with service.client("ingest") as client:
        reply = send(client, "POST", "/v1/responses", item(segments={"\ud800": "x"}))
    refused(reply, "segments")
    assert "\ufffd" in reply.json()["error"]["details"][0]["field"]


def cursor(value: int) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode()


BAD_PARAMS = {
    "response id over the column": ("GET", f"/v1/responses/{TOO_BIG}", None, "response_id"),
    "response id of a label over the column": ("PUT", f"/v1/responses/{TOO_BIG}/labels", {"sentiment": "negative"},
                                               "response_id"),
    "sentence index over the column": ("PUT", f"/v1/responses/1/sentences/{TOO_BIG}/labels",
                                       {"sentiment": "negative"}, "index"),
    "cursor over the column": ("GET", f"/v1/responses?cursor={cursor(TOO_BIG)}", None, "cursor"),
    "cursor under zero": ("GET", f"/v1/responses?cursor={cursor(-(2**70))}", None, "cursor"),
    "job id over the column": ("GET", f"/v1/jobs/{TOO_BIG}", None, "job_id"),
    "NUL in a list filter": ("GET", "/v1/responses?channel=e%00mail", None, "channel"),
    "NUL in a segment filter": ("GET", "/v1/responses?segment=region:EM%00EA", None, "segment"),
    "NUL in an insight filter": ("GET", "/v1/emotions?persona=ad%00min", None, "persona"),
    "NUL in an account id": ("GET", "/v1/accounts/ac%00me", None, "account_id"),
    "NUL in a contact id": ("GET", "/v1/accounts/acme/contacts/ja%00ne/review-eligibility", None, "contact_id"),
    "NUL in a model version": ("GET", "/v1/models/v%001", None, "version_id"),
    "NUL in a job kind": ("GET", "/v1/jobs?kind=re%00score", None, "kind"),
    "date before year 1 in UTC": ("GET", "/v1/emotions?date_from=0001-01-01T00:00:00%2B01:00", None, "date_from"),
    "list date before year 1 in UTC": ("GET", "/v1/responses?date_to=0001-01-01T00:00:00%2B01:00", None, "date_to"),
    "text to analyze with a lone surrogate": ("POST", "/v1/analyze", {"texts": ["Fine.", "Slow \udfff onboarding"]},
                                              "texts.1"),
    "label text with a lone surrogate": ("POST", "/v1/labels", {"text": "Renewal \ud800 late", "touchpoint": "none"},
                                         "text"),
    "journey map name with a lone surrogate": ("PUT", "/v1/journey-maps", {"name": "B2B \ud800", "stages": []},
                                               "name"),
    "journey map target NaN": ("PUT", "/v1/journey-maps", {"name": "B2B", "stages": [{
        "id": "onboarding", "name": "Onboarding", "target": {"min_net_sentiment": math.nan},
        "touchpoints": [{"id": "kickoff", "name": "Kick-off", "description": "The first call."}]}]},
        "stages.0.target.min_net_sentiment"),
    "journey map example with NUL": ("PUT", "/v1/journey-maps", {"name": "B2B", "stages": [{
        "id": "onboarding", "name": "Onboarding",
        "touchpoints": [{"id": "kickoff", "name": "Kick-off", "description": "The first call.",
                         "examples": ["The call\x00 was late"]}]}]}, "stages.0.touchpoints.0.examples.0"),
    "rescore since before year 1 in UTC": ("POST", "/v1/models/rescore", {"since": "0001-01-01T00:00:00+01:00"},
                                           "since"),
    "requeue since before year 1 in UTC": ("POST", "/v1/responses/requeue", {"since": "0001-01-01T00:00:00+01:00"},
                                           "since"),
}  # fmt: skip


@pytest.mark.parametrize("method,url,body,field", BAD_PARAMS.values(), ids=BAD_PARAMS.keys())
def test_a_parameter_the_database_cannot_hold_is_refused_naming_it(service, method, url, body, field):
    with service.client("admin") as client:
        reply = send(client, method, url, body) if body is not None else client.request(method, url)
        refused(reply, field)
        assert client.get("/v1/journey-maps").status_code == 200


ODD_SEGMENTS = {
    # What reached the database before input was checked: SQLite keeps JSON as text, so anything Python's
    # json writes; PostgreSQL's json type takes the \ud800 escape too, but not the bare NaN.
    "sqlite": {"region": "EMEA\ud800", "size": math.nan, "\udc00": "x", "big": math.inf},
    "postgresql": {"region": "EMEA\ud800", "\udc00": "x"},
}


@pytest.fixture
def odd_rows(database_url, tiny_analyzer, service_settings):
    """The service on a database that held odd segments before the checks: inserted at the revision before
    the repair (0004), then migrated as an upgrade would."""
    from tests.support.service import serve
    from vocengine.runtime import Runtime
    from vocengine.store.db import make_engine, migrate

    engine = make_engine(database_url)
    migrate(engine, "0004")
    segments = ODD_SEGMENTS[engine.dialect.name]
    odd = {"source": "survey", "external_id": "odd", "text": "Old row.", "segments": segments, "status": "pending",
           "attempts": 0, "lease_expiries": 0, "received_at": datetime.now(UTC)}  # fmt: skip
    with engine.begin() as connection:
        connection.execute(insert(RESPONSE).values(odd))
        if engine.dialect.name == "sqlite":  # NaN in a float column too: SQLite stores it as NULL or a REAL
            connection.execute(text("UPDATE response SET score = 9e999, score_type = 'nps'"))
    migrate(engine)
    service, stop = serve(Runtime(service_settings, engine=engine, analyzer=tiny_analyzer))
    yield service
    stop()
    engine.dispose()


def test_rows_stored_before_the_checks_are_still_served(odd_rows):
    with odd_rows.client("ingest", "read") as client:
        assert client.post("/v1/responses", json=item(2, segments={"region": "EMEA"})).status_code == 202
        page = client.get("/v1/responses")
        assert page.status_code == 200, page.text
        served = next(i for i in page.json()["items"] if i["external_id"] == "odd")
        assert served["segments"]["region"] == "EMEA\ufffd"
        assert client.get(f"/v1/responses/{served['id']}").status_code == 200
        emea = client.get("/v1/responses", params={"segment": "region:EMEA"})
        assert emea.status_code == 200, emea.text
        assert [i["external_id"] for i in emea.json()["items"]] == ["v-2"]
        assert client.get("/v1/emotions", params={"segment": "region:EMEA"}).status_code == 200


def test_odd_values_written_after_the_repair_are_still_served(service):
    """Written around the API (a script, a restore): served with U+FFFD and null, not 500."""
    segments = ODD_SEGMENTS[service.engine.dialect.name]
    odd = {"source": "survey", "external_id": "odd", "text": "Old row.", "segments": segments, "status": "pending",
           "attempts": 0, "lease_expiries": 0, "received_at": datetime.now(UTC)}  # fmt: skip
    with service.engine.begin() as connection:
        connection.execute(insert(RESPONSE).values(odd))
    with service.client("read") as client:
        page = client.get("/v1/responses")
        assert page.status_code == 200, page.text
        served = page.json()["items"][0]
        assert served["segments"]["region"] == "EMEA\ufffd" and "\ufffd" in served["segments"]
        detail = client.get(f"/v1/responses/{served['id']}")
        assert detail.status_code == 200 and detail.json()["segments"] == served["segments"]


ZONED = re.compile(r"(Z|[+-]\d\d:\d\d)$")


def datetimes(value: Any, path: str = "") -> list[tuple[str, str]]:
    """Every string in a JSON document that looks like a datetime, with where it is."""
    if isinstance(value, dict):
        return [d for k, v in value.items() for d in datetimes(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [d for i, v in enumerate(value) for d in datetimes(v, f"{path}.{i}")]
    if isinstance(value, str) and re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d", value):
        return [(path, value)]
    return []


def test_every_datetime_served_has_its_time_zone(service):
    with service.client("admin") as client:
        pushed = client.post("/v1/responses", json=item(1, submitted_at="2026-11-20T09:30:00+05:00"))
        assert pushed.status_code == 202
        client.post("/v1/labels", json={"text": "The renewal letter came a month late.", "touchpoint": "none"})
        client.put("/v1/journey-maps", json={"name": "B2B", "stages": [{"id": "onboarding", "name": "Onboarding",
                   "touchpoints": [{"id": "kickoff", "name": "Kick-off", "description": "The first call."}]}]})  # fmt: skip
        service.drain()
        response_id = pushed.json()["items"][0]["id"]
        replies = [client.get(url) for url in ("/v1/responses", f"/v1/responses/{response_id}", "/v1/journey-maps",
                                               "/v1/jobs", "/v1/models", "/v1/models/rescore")]  # fmt: skip
        labels = client.get("/v1/labels")
    found = [d for reply in replies for d in datetimes(reply.json())]
    found += [d for line in labels.text.splitlines() for d in datetimes(json.loads(line))]
    assert len(found) >= 6
    assert [d for d in found if not ZONED.search(d[1])] == []
    detail = replies[1].json()
    # Stored as the instant it is, not as its wall time read back as UTC (SQLite keeps no offset).
    assert datetime.fromisoformat(detail["submitted_at"]) == datetime(2026, 11, 20, 4, 30, tzinfo=UTC)
