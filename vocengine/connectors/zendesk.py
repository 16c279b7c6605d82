"""Zendesk: a webhook that a trigger on ticket satisfaction posts, with the JSON body the README gives
(Zendesk lets the trigger write the body; ours names `ticket_id`, `rating`, `comment`, `requester_id`,
`organization_id`, `updated_at`). Signed `X-Zendesk-Webhook-Signature: <base64 HMAC-SHA256 of (the
X-Zendesk-Webhook-Signature-Timestamp header + the body)>`.

Text: the satisfaction comment. Score: a numeric rating 1-5 as CSAT; the classic "good"/"bad" rating is kept as
the segment `rating`. Idempotency key: `ticket-<id>-satisfaction`.
"""

from __future__ import annotations

from datetime import datetime

from vocengine.connectors.base import (
    BadSignature,
    Connector,
    Ignored,
    Inbound,
    Signed,
    Store,
    b64,
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

PLACEHOLDER_LEFT = "{{"


def _given(value: object) -> str | None:
    # A placeholder Zendesk had nothing for comes as an empty string; one it does not know, as itself.
    text = text_or_none(value) if not isinstance(value, int | float) else str(value)
    return None if text is None or PLACEHOLDER_LEFT in text else text


class Zendesk(Connector):
    name = "zendesk"
    source = Source.ticket
    required = ("zendesk_secret",)

    def verify(self, settings: Settings, request: Signed) -> None:
        timestamp = request.headers.get("x-zendesk-webhook-signature-timestamp")
        if not timestamp:
            raise BadSignature("the X-Zendesk-Webhook-Signature-Timestamp header is missing")
        expected = b64(digest(secret(settings.zendesk_secret), timestamp.encode() + request.body, "sha256"))
        require_same(request.headers.get("x-zendesk-webhook-signature"), expected, "X-Zendesk-Webhook-Signature")
        try:
            signed_at = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
        except ValueError as exc:
            raise BadSignature("the X-Zendesk-Webhook-Signature-Timestamp is not a time") from exc
        require_fresh(signed_at, settings, request.now, "X-Zendesk-Webhook-Signature-Timestamp")

    def parse(self, settings: Settings, body: bytes) -> Inbound:
        data = load_json(body)
        external_id = f"ticket-{required_id(data, 'ticket_id')}-satisfaction"
        text = _given(data.get("comment"))
        if text is None:
            return Ignored("no free text: the satisfaction comment is empty", external_id)
        rating = _given(data.get("rating"))
        score = number_or_none(rating)
        segments = {"rating": rating.lower()} if rating and score is None else {}
        item = response(
            self,
            external_id=external_id,
            text=text,
            submitted_at=_given(data.get("updated_at")),
            channel=_given(data.get("channel")),
            contact_id=_given(data.get("requester_id")),
            account_id=_given(data.get("organization_id")),
            segments=segments,
            score=score,
            score_type="csat" if score is not None else None,
        )
        return Store(item)
