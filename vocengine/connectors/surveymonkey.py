"""SurveyMonkey: webhooks of an app (`response_completed`), signed `Sm-Signature: <base64 HMAC-SHA1 of the
body>` keyed `<client id>&<client secret>`. The notification carries only ids, so it is queued, and a job reads
the response from `GET {surveymonkey_api_url}/surveys/{survey}/responses/{response}/details` with the access
token.

Text: the answer to the survey's `text_field` (a question id), else the first open-ended answer (one with text
and no choice). Score: the answer to `score_field` (its text, or its `simple_text`), with `score_type` (default
NPS); none otherwise, since a choice answer carries only a choice id. Respondent: the custom variables
`contact_id` and `account_id`. Idempotency key: the response id.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from vocengine.connectors.base import (
    Connector,
    Fetch,
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

EVENTS = ("response_completed", "response_updated")


def _answers(details: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(question id, answer) of every answer, in the survey's order."""
    return [
        (str(question.get("id")), answer)
        for page in details.get("pages") or []
        for question in (page.get("questions") or [] if isinstance(page, dict) else [])
        if isinstance(question, dict)
        for answer in question.get("answers") or []
        if isinstance(answer, dict)
    ]


class SurveyMonkey(Connector):
    name = "surveymonkey"
    source = Source.survey
    required = ("surveymonkey_client_id", "surveymonkey_secret", "surveymonkey_token")

    def verify(self, settings: Settings, request: Signed) -> None:
        key = f"{settings.surveymonkey_client_id}&".encode() + secret(settings.surveymonkey_secret)
        require_same(request.headers.get("sm-signature"), b64(digest(key, request.body, "sha1")), "Sm-Signature")

    def parse(self, settings: Settings, body: bytes) -> Inbound:
        data = load_json(body)
        if data.get("event_type") not in EVENTS or data.get("object_type") != "response":
            return Ignored(f"event_type {data.get('event_type')!r} is not a completed response")
        response_id = required_id(data, "object_id")
        survey_id = required_id(data, "resources", "survey_id")
        return Fetch(response_id, {"survey_id": survey_id, "response_id": response_id})

    def fetch(self, settings: Settings, params: dict[str, Any], client: httpx.Client) -> Store | Ignored:
        survey, response_id = str(params["survey_id"]), str(params["response_id"])
        url = f"{settings.surveymonkey_api_url.rstrip('/')}/surveys/{quote(survey)}/responses/{quote(response_id)}/details"
        token = secret(settings.surveymonkey_token).decode()
        reply = client.get(url, params={"simple": "true"}, headers={"Authorization": f"Bearer {token}"})
        reply.raise_for_status()
        details = mapping(reply.json())
        answers = _answers(details)
        fields = form_fields(settings, survey)
        if fields.text_field:
            texts = [a.get("text") for q, a in answers if q == fields.text_field]
            where = f"the answer to question {fields.text_field}"
        else:
            texts = [a.get("text") for _, a in answers if "choice_id" not in a and "row_id" not in a]
            where = "an open-ended answer"
        text = next((t for t in texts if text_or_none(t)), None)
        if text is None:
            return Ignored(f"no free text: {where} is missing or empty", response_id)
        score = None
        if fields.score_field:
            scored = [a for q, a in answers if q == fields.score_field]
            score = number_or_none(dig(scored, 0, "text") or dig(scored, 0, "simple_text")) if scored else None
        variables = mapping(details.get("custom_variables"))
        item = response(
            self,
            external_id=required_id(details, "id") if details.get("id") else response_id,
            text=text,
            submitted_at=details.get("date_modified") or details.get("date_created"),
            contact_id=text_or_none(variables.get("contact_id")),
            account_id=text_or_none(variables.get("account_id")),
            segments={"survey_id": survey},
            score=score,
            score_type=(fields.score_type or "nps") if score is not None else None,
        )
        return Store(item)
