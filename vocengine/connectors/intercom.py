"""Intercom: webhook notifications of an app, signed `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>`
keyed with the app's client secret.

Topics stored (source `chat`): `conversation.user.created` (the opening message; key: the conversation id),
`conversation.user.replied` (the customer's latest reply; key: the part's id) and `conversation.rating.added`
(the rating's remark as text and the 1-5 rating as CSAT; key: `<conversation id>-rating`). Other topics (and
`ping`) are acknowledged and ignored. Respondent: the contact's Intercom id.
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
    dig,
    digest,
    load_json,
    number_or_none,
    require_same,
    required_id,
    response,
    secret,
    text_or_none,
)
from vocengine.settings import Settings
from vocengine.store.tables import Source

CUSTOMERS = ("user", "lead", "contact")


class Intercom(Connector):
    name = "intercom"
    source = Source.chat
    required = ("intercom_secret",)

    def verify(self, settings: Settings, request: Signed) -> None:
        expected = "sha1=" + digest(secret(settings.intercom_secret), request.body, "sha1").hex()
        require_same(request.headers.get("x-hub-signature"), expected, "X-Hub-Signature")

    def parse(self, settings: Settings, body: bytes) -> Inbound:
        data = load_json(body)
        topic = data.get("topic")
        item = dig(data, "data", "item")
        if topic not in ("conversation.user.created", "conversation.user.replied", "conversation.rating.added"):
            return Ignored(f"topic {topic!r} carries no customer feedback")
        if not isinstance(item, dict):
            raise BadPayload("data.item", "missing")
        conversation = required_id(item, "id")
        fields: dict[str, Any]
        if topic == "conversation.rating.added":
            rating = item.get("conversation_rating") or {}
            score = number_or_none(dig(rating, "rating"))
            fields = {
                "external_id": f"{conversation}-rating", "text": dig(rating, "remark"),
                "submitted_at": dig(rating, "created_at"), "contact_id": dig(rating, "contact", "id"),
                "score": score, "score_type": "csat" if score is not None else None,
            }  # fmt: skip
        elif topic == "conversation.user.created":
            fields = {
                "external_id": conversation, "text": dig(item, "source", "body"), "submitted_at": item.get("created_at"),
                "contact_id": dig(item, "source", "author", "id"),
            }  # fmt: skip
        else:
            parts = dig(item, "conversation_parts", "conversation_parts") or []
            replies = [p for p in parts if isinstance(p, dict) and dig(p, "author", "type") in CUSTOMERS]
            if not replies:
                return Ignored("no reply by the customer in the conversation's parts", conversation)
            reply = replies[-1]
            fields = {
                "external_id": required_id(reply, "id"), "text": reply.get("body"), "submitted_at": reply.get("created_at"),
                "contact_id": dig(reply, "author", "id"),
            }  # fmt: skip
        if text_or_none(fields["text"]) is None:
            return Ignored(f"no free text in the {topic} event", fields["external_id"])
        contact = fields.pop("contact_id")
        return Store(response(self, channel="intercom", contact_id=str(contact) if contact else None, **fields))
