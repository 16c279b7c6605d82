"""Delighted: `survey_response.created` and `survey_response.updated` webhooks, signed
`X-Delighted-Webhook-Signature: <hex HMAC-SHA256 of (the X-Delighted-Webhook-Timestamp header + the body)>`
(timestamp in Unix seconds, refused past `connector_max_age_seconds`).

Delighted sends the score first and the comment later, as an update of the same survey response: both events
carry the whole response, keyed by its id, so the one with a comment is stored (with the score) and a later one
that changes the comment or the score revises the same stored response (a changed comment is scored again). An
event without a comment yet is acknowledged and ignored. Score: `nps` (0-10) and `csat` (1-5) surveys; other
survey types keep their score as the segments `survey_type` and `score`. Respondent: Delighted's person id;
person properties become segments.
"""

from __future__ import annotations

from typing import Any

from vocengine.connectors.base import (
    BadPayload,
    BadSignature,
    Connector,
    Ignored,
    Inbound,
    Signed,
    Store,
    dig,
    digest,
    load_json,
    number_or_none,
    require_fresh,
    require_same,
    required_id,
    response,
    secret,
    text_or_none,
)
from vocengine.settings import Settings
from vocengine.store.tables import Source

EVENTS = ("survey_response.created", "survey_response.updated")
MAX_SEGMENTS = 48


def _segments(properties: Any) -> dict[str, str | int | float | bool]:
    if not isinstance(properties, dict):
        return {}
    kept = {
        str(k): v for k, v in properties.items() if 0 < len(str(k)) <= 64 and isinstance(v, str | int | float | bool)
    }
    return dict(list(kept.items())[:MAX_SEGMENTS])


class Delighted(Connector):
    name = "delighted"
    source = Source.survey
    required = ("delighted_secret",)

    def verify(self, settings: Settings, request: Signed) -> None:
        timestamp = request.headers.get("x-delighted-webhook-timestamp", "")
        if not timestamp.strip().isdigit():
            raise BadSignature("the X-Delighted-Webhook-Timestamp header is missing or not Unix seconds")
        key = secret(settings.delighted_secret)
        expected = digest(key, timestamp.strip().encode() + request.body, "sha256").hex()
        require_same(request.headers.get("x-delighted-webhook-signature"), expected, "X-Delighted-Webhook-Signature")
        require_fresh(float(timestamp), settings, request.now, "X-Delighted-Webhook-Timestamp")

    def parse(self, settings: Settings, body: bytes) -> Inbound:
        data = load_json(body)
        if data.get("event_type") not in EVENTS:
            return Ignored(f"event_type {data.get('event_type')!r} is not a survey response")
        event = data.get("event_data")
        if not isinstance(event, dict):
            raise BadPayload("event_data", "missing")
        external_id = required_id(event, "id")
        text = text_or_none(event.get("comment"))
        if text is None:
            return Ignored("no comment yet: Delighted sends it later as survey_response.updated", external_id)
        survey_type, score = event.get("survey_type"), number_or_none(event.get("score"))
        segments = _segments(event.get("person_properties"))
        if survey_type not in ("nps", "csat") and score is not None:
            segments |= {"survey_type": str(survey_type), "score": score}
            score = None
        person = dig(event, "person", "id")
        item = response(
            self,
            external_id=external_id,
            text=text,
            submitted_at=event.get("created_at"),
            contact_id=str(person) if person is not None else None,
            segments=segments,
            score=score,
            score_type=survey_type if score is not None else None,
        )
        return Store(item, revise=True)
