"""The CX queries through the API, on responses pushed and scored by the real pipeline (tiny model).
The arithmetic of each query is checked on hand-made rows in tests/vocengine/insights."""

from __future__ import annotations

import json

import pytest

from vocengine.journey.maps import load_journey_map
from vocengine.settings import Settings

TEXTS = [
    ("admin", "acme", "jane", "The onboarding call was a mess. Write to jane.doe@example.com for details."),
    ("admin", "acme", "joe", "Support took two weeks to answer. Call +44 20 7946 0958."),
    ("end_user", "acme", "jane", "The dashboard is fast and clear."),
    ("end_user", "globex", "ann", "The renewal quote doubled without explanation. The invoice was wrong."),
    ("buyer", "globex", "bob", "The sales demo answered every question."),
]


@pytest.fixture
def scored(service):
    items = [
        {"source": "survey" if i % 2 else "ticket", "external_id": f"r{i}", "text": text, "persona": persona,
         "account_id": account, "contact_id": contact, "segments": {"region": "EMEA" if i < 3 else "AMER"},
         "submitted_at": f"2026-11-{10 + i:02d}T12:00:00Z"}
        for i, (persona, account, contact, text) in enumerate(TEXTS)
    ]  # fmt: skip
    with service.client("ingest") as client:
        assert client.post("/v1/responses/batch", json={"items": items}).status_code == 202
    assert service.drain() == len(TEXTS)
    return service


def test_emotions_by_persona_count_what_was_pushed(scored):
    with scored.client("read") as client:
        report = client.get("/v1/emotions", params={"group_by": "persona"}).json()
        filtered = client.get("/v1/emotions", params={"group_by": "persona", "segment": "region:AMER"}).json()
        bad = client.get("/v1/emotions", params={"group_by": "persona,colour"})
    groups = {g["key"]["persona"]: g for g in report["groups"]}
    assert {p: g["comments"] for p, g in groups.items()} == {"admin": 2, "end_user": 2, "buyer": 1}
    assert groups["admin"]["sentences"] == 4 and len(groups["admin"]["emotions"]) == 28
    assert sum(g["comments"] for g in filtered["groups"]) == 2
    assert bad.status_code == 422 and "colour" in bad.json()["error"]["message"]


def test_journey_lists_every_stage_in_order(scored):
    journey = load_journey_map(Settings().journey_map)
    with scored.client("read") as client:
        report = client.get("/v1/journey").json()
    assert [s["id"] for s in report["stages"]] == [s.id for s in journey.stages]
    assert sum(s["sentences"] for s in report["stages"]) <= 9
    assert [p["stage"] for p in report["curve"]] == [s.id for s in journey.stages]


def test_no_query_ever_returns_unredacted_text(scored):
    paths = ["/v1/moments?examples=10", "/v1/responses", "/v1/responses/1", "/v1/responses/2", "/v1/journey",
             "/v1/emotions?group_by=touchpoint", "/v1/trends?interval=day", "/v1/accounts/acme"]  # fmt: skip
    with scored.client("read") as client:
        replies = [client.get(p) for p in paths]
    assert all(r.status_code == 200 for r in replies), [r.text for r in replies if r.status_code != 200]
    everything = json.dumps([r.json() for r in replies])
    assert "jane.doe@example.com" not in everything and "7946" not in everything
    assert "[EMAIL]" in everything


def test_accounts_and_review_eligibility_answer(scored):
    with scored.client("read") as client:
        account = client.get("/v1/accounts/acme").json()
        missing = client.get("/v1/accounts/nobody")
        eligibility = client.get("/v1/accounts/acme/contacts/jane/review-eligibility").json()
    assert {c["contact_id"] for c in account["contacts"]} == {"jane", "joe"}
    standing = account["standing"]
    assert standing["account_id"] == "acme" and standing["status"] in ("at_risk", "quiet_risk", "mixed", "healthy")
    assert {c["contact_id"] for c in standing["contacts"]} <= {"jane", "joe"} and "quiet_risk_contacts" in standing
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert isinstance(eligibility["eligible"], bool) and "reasons" in eligibility


def test_trends_and_filters_validate(scored):
    with scored.client("read") as client:
        days = client.get("/v1/trends", params={"interval": "day"}).json()
        bad_interval = client.get("/v1/trends", params={"interval": "month"})
        bad_range = client.get("/v1/emotions", params={"date_from": "2026-11-20", "date_to": "2026-11-01"})
    assert len({p["period_start"] for p in days["points"]}) == 5
    assert bad_interval.status_code == 422 and bad_interval.json()["error"]["details"][0]["field"] == "interval"
    assert bad_range.status_code == 422 and "date_from" in bad_range.json()["error"]["message"]
