"""Qualtrics: an event subscription (`surveyengine.completedResponse.<survey id>`). Qualtrics does not sign
these posts (its option is to encrypt them), so the subscription's publication URL carries a shared secret,
`.../v1/connectors/qualtrics?token=<VOCENGINE_QUALTRICS_SECRET>`, compared in constant time. The post carries
only ids (form-encoded or JSON: `Topic`, `SurveyID`, `ResponseID`), so it is queued, and a job reads the
response from `GET {qualtrics_api_url}/API/v3/surveys/{survey}/responses/{response}` with `X-API-TOKEN`.

Text: the value `text_field` names (e.g. `QID2_TEXT`), else the first non-empty `QID..._TEXT` value. Score: the
value `score_field` names, with `score_type` (default NPS); none otherwise. Respondent: embedded data
`contact_id` and `account_id`. Idempotency key: the response id.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, quote

import httpx

from vocengine.connectors.base import (
    BadPayload,
    Connector,
    Fetch,
    Ignored,
    Inbound,
    Signed,
    Store,
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

TEXT_ENTRY = re.compile(r"^QID\d+(_\d+)*_TEXT$")


class Qualtrics(Connector):
    name = "qualtrics"
    source = Source.survey
    required = ("qualtrics_secret", "qualtrics_token", "qualtrics_api_url")

    def verify(self, settings: Settings, request: Signed) -> None:
        require_same(request.query.get("token"), secret(settings.qualtrics_secret).decode(), "token query parameter")

    def parse(self, settings: Settings, body: bytes) -> Inbound:
        if body.lstrip().startswith(b"{"):
            data = load_json(body)
        else:
            try:
                data = dict(parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=bool(body)))
            except (UnicodeDecodeError, ValueError) as exc:
                raise BadPayload("body", f"neither JSON nor a form ({exc})") from exc
        topic = str(data.get("Topic", ""))
        if "completedResponse" not in topic:
            return Ignored(f"Topic {topic!r} is not a completed response")
        response_id = required_id(data, "ResponseID")
        survey_id = required_id(data, "SurveyID")
        return Fetch(response_id, {"survey_id": survey_id, "response_id": response_id})

    def fetch(self, settings: Settings, params: dict[str, Any], client: httpx.Client) -> Store | Ignored:
        survey, response_id = str(params["survey_id"]), str(params["response_id"])
        base = str(settings.qualtrics_api_url).rstrip("/")
        url = f"{base}/API/v3/surveys/{quote(survey)}/responses/{quote(response_id)}"
        reply = client.get(url, headers={"X-API-TOKEN": secret(settings.qualtrics_token).decode()})
        reply.raise_for_status()
        result = mapping(mapping(reply.json()).get("result"))
        values = mapping(result.get("values"))
        fields = form_fields(settings, survey)
        if fields.text_field:
            text, where = text_or_none(values.get(fields.text_field)), fields.text_field
        else:
            texts = [v for k, v in values.items() if TEXT_ENTRY.match(k) and text_or_none(v)]
            text, where = (texts[0] if texts else None), "a QID..._TEXT value"
        if text is None:
            return Ignored(f"no free text: {where} is missing or empty", response_id)
        score = number_or_none(values.get(fields.score_field)) if fields.score_field else None
        item = response(
            self,
            external_id=str(result.get("responseId") or response_id),
            text=text,
            submitted_at=values.get("recordedDate") or values.get("endDate"),
            contact_id=text_or_none(values.get("contact_id")),
            account_id=text_or_none(values.get("account_id")),
            segments={"survey_id": survey},
            score=score,
            score_type=(fields.score_type or "nps") if score is not None else None,
        )
        return Store(item)
