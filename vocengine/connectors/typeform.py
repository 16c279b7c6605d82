"""Typeform: a `form_response` webhook, signed `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>`.

Text: the answer to the form's `text_field` (a field id or ref), else the first `long_text` answer. Score: the
answer to `score_field`, else the first `nps` answer (NPS); an `opinion_scale` or `rating` answer is used as a
score only when the form names its `score_type`. Respondent: the hidden fields `contact_id` (or `user_id`) and
`account_id`. Idempotency key: the response's token (the same in every redelivery of the event).
"""

from __future__ import annotations

from typing import Any

from vocengine.connectors.base import (
    BadPayload,
    Connector,
    Ignored,
    Inbound,
    Signed,
    Store,
    b64,
    dig,
    digest,
    form_fields,
    load_json,
    mapping,
    number_or_none,
    require_same,
    required_id,
    response,
    secret,
    text_or_none,
)
from vocengine.settings import Settings
from vocengine.store.tables import Source

SCORE_TYPES = ("nps", "opinion_scale", "rating")


def _field_is(answer: dict[str, Any], name: str) -> bool:
    return name in (dig(answer, "field", "id"), dig(answer, "field", "ref"))


def _value(answer: dict[str, Any]) -> Any:
    return answer.get(str(answer.get("type")))


class Typeform(Connector):
    name = "typeform"
    source = Source.survey
    required = ("typeform_secret",)

    def verify(self, settings: Settings, request: Signed) -> None:
        expected = "sha256=" + b64(digest(secret(settings.typeform_secret), request.body, "sha256"))
        require_same(request.headers.get("typeform-signature"), expected, "Typeform-Signature")

    def parse(self, settings: Settings, body: bytes) -> Inbound:
        data = load_json(body)
        if data.get("event_type") != "form_response":
            return Ignored(f"event_type {data.get('event_type')!r} is not form_response")
        form = data.get("form_response")
        if not isinstance(form, dict):
            raise BadPayload("form_response", "missing")
        external_id = str(form.get("token") or required_id(data, "event_id"))
        answers = [a for a in form.get("answers") or [] if isinstance(a, dict)]
        fields = form_fields(settings, form.get("form_id"))

        if fields.text_field:
            texts = [_value(a) for a in answers if _field_is(a, fields.text_field)]
            where = f"the answer to {fields.text_field}"
        else:
            texts = [_value(a) for a in answers if dig(a, "field", "type") == "long_text"]
            where = "a long_text answer"
        text = next((t for t in texts if text_or_none(t)), None)
        if text is None:
            return Ignored(f"no free text: {where} is missing or empty", external_id)

        score, score_type = None, fields.score_type
        if fields.score_field:
            scored = [a for a in answers if _field_is(a, fields.score_field)]
        elif fields.score_type:
            scored = [a for a in answers if dig(a, "field", "type") in SCORE_TYPES]
        else:
            scored = [a for a in answers if dig(a, "field", "type") == "nps"]
        if scored:
            score = number_or_none(_value(scored[0]))
            if score_type is None and dig(scored[0], "field", "type") == "nps":
                score_type = "nps"
        hidden = mapping(form.get("hidden"))
        item = response(
            self,
            external_id=external_id,
            text=text,
            submitted_at=form.get("submitted_at"),
            contact_id=text_or_none(hidden.get("contact_id")) or text_or_none(hidden.get("user_id")),
            account_id=text_or_none(hidden.get("account_id")),
            segments={"form_id": form["form_id"]} if form.get("form_id") else {},
            score=score,
            score_type=score_type,
        )
        return Store(item)
