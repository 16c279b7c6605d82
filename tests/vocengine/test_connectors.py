"""Connectors' mappings, pure: which answer is the text and which the score, per form, and the signature checks
against each tool's way of signing (no server, no database)."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.connectors.tools import SECRETS, payload, signed
from vocengine.connectors.base import BadSignature, Fetch, Ignored, Signed, Store
from vocengine.connectors.registry import CONNECTORS
from vocengine.settings import Settings

SETTINGS = Settings(**SECRETS, qualtrics_api_url="http://127.0.0.1:9")


def request(tool: str, body: bytes, **signing) -> Signed:
    sent = signed(tool, body, **signing)
    return Signed({k.lower(): v for k, v in sent["headers"].items()}, body, sent.get("params", {}))


@pytest.mark.parametrize(
    ("tool", "name"),
    [("typeform", "typeform.json"), ("zendesk", "zendesk.json"), ("intercom", "intercom_rating.json"),
     ("delighted", "delighted_updated.json"), ("surveymonkey", "surveymonkey.json"), ("qualtrics", "qualtrics.txt")],
)  # fmt: skip
def test_each_tool_signature_verifies_and_a_wrong_secret_does_not(tool, name):
    connector = CONNECTORS[tool]
    connector.verify(SETTINGS, request(tool, payload(name)))
    with pytest.raises(BadSignature):
        connector.verify(SETTINGS, request(tool, payload(name), secret="wrong"))


def test_typeform_defaults_to_the_long_text_and_the_nps_answer():
    inbound = CONNECTORS["typeform"].parse(SETTINGS, payload("typeform.json"))
    assert isinstance(inbound, Store)
    item = inbound.item
    assert item.text.startswith("Sales were great") and (item.score, item.score_type) == (6, "nps")
    assert (item.contact_id, item.account_id) == ("u-4821", "acme")
    assert item.segments == {"form_id": "lT4Z3j"} and item.submitted_at.isoformat() == "2026-11-20T09:30:00+00:00"


def test_a_form_mapping_picks_the_text_and_score_questions_by_id_or_ref():
    data = json.loads(payload("typeform.json"))
    data["form_response"]["answers"] += [
        {"type": "text", "text": "Short and sweet", "field": {"id": "Q7", "type": "short_text", "ref": "headline"}},
        {"type": "number", "number": 4, "field": {"id": "Q8", "type": "opinion_scale", "ref": "csat"}},
    ]
    forms = {"lT4Z3j": {"text_field": "headline", "score_field": "Q8", "score_type": "csat"}}
    settings = Settings(**SECRETS, connector_forms=forms)
    inbound = CONNECTORS["typeform"].parse(settings, json.dumps(data).encode())
    assert isinstance(inbound, Store)
    assert (inbound.item.text, inbound.item.score, inbound.item.score_type) == ("Short and sweet", 4, "csat")


def test_the_form_mapping_is_read_from_the_environment_as_json(monkeypatch):
    monkeypatch.setenv("VOCENGINE_CONNECTOR_FORMS", '{"SV_1": {"text_field": "QID4_TEXT", "score_field": "QID1"}}')
    forms = Settings().connector_forms
    assert forms["SV_1"].text_field == "QID4_TEXT" and forms["SV_1"].score_type is None


def test_a_delighted_survey_other_than_nps_or_csat_keeps_its_score_as_segments():
    data = json.loads(payload("delighted_updated.json"))
    data["event_data"] |= {"survey_type": "ces", "score": 6}
    inbound = CONNECTORS["delighted"].parse(SETTINGS, json.dumps(data).encode())
    assert isinstance(inbound, Store) and inbound.revise
    assert inbound.item.score is None and inbound.item.segments["survey_type"] == "ces"
    assert inbound.item.segments["score"] == 6 and inbound.item.segments["plan"] == "enterprise"


def test_notifications_with_only_ids_become_fetches_and_other_events_are_ignored():
    fetch = CONNECTORS["qualtrics"].parse(SETTINGS, payload("qualtrics.txt"))
    assert fetch == Fetch("R_2QHv0pfWsbOgdrs", {"survey_id": "SV_1Xo6hqzEqJm1Kfz", "response_id": "R_2QHv0pfWsbOgdrs"})
    other = CONNECTORS["surveymonkey"].parse(SETTINGS, json.dumps({"event_type": "collector_created"}).encode())
    assert isinstance(other, Ignored)


def test_qualtrics_reads_the_configured_score_from_the_api():
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["X-API-TOKEN"] == SECRETS["qualtrics_token"]
        return httpx.Response(200, content=payload("qualtrics_response.json"))

    settings = Settings(**SECRETS, qualtrics_api_url="http://qualtrics.test", connector_forms={
        "SV_1Xo6hqzEqJm1Kfz": {"score_field": "QID1"}})  # fmt: skip
    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        stored = CONNECTORS["qualtrics"].fetch(
            settings, {"survey_id": "SV_1Xo6hqzEqJm1Kfz", "response_id": "R_2QHv0pfWsbOgdrs"}, client
        )
    assert isinstance(stored, Store)
    assert (stored.item.score, stored.item.score_type, stored.item.account_id) == (9, "nps", "initech")
