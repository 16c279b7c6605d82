"""Taking responses in: validate, clean and redact, store as pending, idempotently on (source, external id).

The use case behind `POST /v1/responses[/batch]`, `vocengine import` and any connector (through
`vocengine.usecases.responses.store_responses`, which hands it the runtime's redactor), so all of them accept,
refuse and redact the same things.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from sqlalchemy import Engine, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from vocengine.settings import get_settings
from vocengine.store.db import write_transaction
from vocengine.store.queue import LEASES, RESPONSE
from vocengine.store.tables import Response, ScoreType, Source, Status, utcnow
from vocengine.text.redact import Redact, clean_and_redact, personal_data_in
from vocengine.validation import Finite, FreeText, Scalar, Text, UtcDateTime

SCORE_RANGES = {ScoreType.nps: (0, 10), ScoreType.csat: (1, 5)}
SegmentName = Annotated[Text, Field(min_length=1, max_length=64)]
SegmentValue = Scalar
KIND_NAMES = {
    "email": "an e-mail address",
    "phone": "a phone number",
    "card": "a payment card number",
    "url": "a URL with a secret",
}


class ResponseCreate(BaseModel):
    """One response as a survey tool or ticket system pushes it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "source": "survey",
                    "external_id": "qualtrics-R_3kP9",
                    "text": "Sales were great. Onboarding was a nightmare: the data import failed twice.",
                    "submitted_at": "2026-11-20T09:30:00Z",
                    "channel": "email",
                    "persona": "admin",
                    "account_id": "acme",
                    "contact_id": "jane",
                    "segments": {"region": "EMEA", "plan": "enterprise"},
                    "score": 6,
                    "score_type": "nps",
                }
            ]
        },
    )

    source: Source
    external_id: Text = Field(min_length=1, max_length=200, description="the source's own id; re-sending it is a no-op")
    text: FreeText = Field(description="the free text; personal data is redacted before it is stored")
    submitted_at: UtcDateTime | None = Field(None, description="when the customer wrote it; default: when received")
    channel: Text | None = Field(None, max_length=100)
    persona: Text | None = Field(None, max_length=100)
    account_id: Text | None = Field(None, max_length=200)
    contact_id: Text | None = Field(None, max_length=200)
    segments: dict[SegmentName, SegmentValue] = Field(
        default_factory=dict, max_length=50, description="free attributes"
    )
    score: Finite | None = Field(None, description="NPS 0-10 or CSAT 1-5, with score_type")
    score_type: ScoreType | None = None

    @field_validator("text")
    @classmethod
    def _text_present_and_bounded(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("text is empty")
        limit = get_settings().max_ingest_chars
        if len(text) > limit:
            raise ValueError(f"text has {len(text)} characters, more than the limit of {limit}")
        # PostgreSQL text cannot hold NUL, and it carries no meaning in feedback.
        return text.replace("\x00", "")

    @field_validator("external_id", "account_id", "contact_id")
    @classmethod
    def _pseudonymous(cls, value: str | None, info: ValidationInfo) -> str | None:
        # An id is stored as sent: it is the key that makes ingest idempotent and groups a customer's
        # responses, and redacting it would merge distinct customers under one "[EMAIL]". So an id that
        # carries personal data is refused, and the source is asked for its pseudonymous id instead.
        if value is None:
            return None
        kinds = personal_data_in(value)
        if value.isdigit() and "card" in kinds:
            # An id made only of digits is the source system's number (Intercom's run to 15 and more
            # digits): one in ten would pass the Luhn check by chance.
            kinds.remove("card")
        if kinds:
            found = " and ".join(KIND_NAMES[kind] for kind in kinds)
            raise ValueError(
                f"{info.field_name} contains {found}; ids are stored as sent, so send a pseudonymous id instead"
            )
        return value

    @model_validator(mode="after")
    def _score_fits_type(self) -> ResponseCreate:
        if (self.score is None) != (self.score_type is None):
            raise ValueError("score and score_type come together")
        if self.score is not None and self.score_type is not None:
            low, high = SCORE_RANGES[self.score_type]
            if not low <= self.score <= high:
                raise ValueError(f"a {self.score_type.value} score is between {low} and {high}, got {self.score:g}")
        return self


@dataclass
class Accepted:
    index: int
    id: int
    duplicate: bool


class DuplicateInBatch(ValueError):
    def __init__(self, index: int, first: int) -> None:
        self.index, self.first = index, first
        super().__init__(f"items.{index}: (source, external_id) repeats item {first} of the same batch")


def find_duplicates(items: Sequence[ResponseCreate]) -> None:
    seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        key = (item.source.value, item.external_id)
        if key in seen:
            raise DuplicateInBatch(index, seen[key])
        seen[key] = index


def storable_text(text: str, redact: Redact) -> str:
    """What is stored of a text someone sent: cleaned (markup, entities, Unicode forms, spacing), then
    redacted, as the engine reads it (`clean_and_redact`), so a pattern cannot be dodged with markup the
    engine removes later. Responses (API, import, connectors) and labels of unstored texts store this."""
    return clean_and_redact(text, redact).text


def _storable_attribute(value: str | None, redact: Redact) -> str | None:
    # Channel, persona and segment values are attributes that group responses, not keys: redacting one
    # merges some values into "[EMAIL]", which is what an attribute that holds an address deserves.
    return None if value is None else storable_text(value, redact)


def _storable_segments(segments: dict[str, SegmentValue], redact: Redact) -> dict[str, SegmentValue]:
    stored: dict[str, SegmentValue] = {}
    for key, value in segments.items():
        if isinstance(value, str):
            stored[key] = storable_text(value, redact)
        elif isinstance(value, int) and not isinstance(value, bool):
            # A card number sent as a JSON number is still a card number.
            text = storable_text(str(value), redact)
            stored[key] = value if text == str(value) else text
        else:
            stored[key] = value
    return stored


def _row(item: ResponseCreate, redact: Redact, now: datetime) -> dict[str, Any]:
    return {
        "source": item.source.value,
        "external_id": item.external_id,
        "text": storable_text(item.text, redact),
        "submitted_at": item.submitted_at,
        "received_at": now,
        "channel": _storable_attribute(item.channel, redact),
        "persona": _storable_attribute(item.persona, redact),
        "account_id": item.account_id,
        "contact_id": item.contact_id,
        "segments": _storable_segments(item.segments, redact),
        "score": item.score,
        "score_type": item.score_type.value if item.score_type else None,
        "status": Status.pending.value,
        "attempts": 0,
        "lease_expiries": 0,
    }


def store_responses(engine: Engine, items: Sequence[ResponseCreate], redact: Redact) -> list[Accepted]:
    """Insert new responses as pending in one transaction; those already stored are reported as duplicates
    and left exactly as they were."""
    if not items:
        return []
    find_duplicates(items)
    now = utcnow()
    rows = [_row(item, redact, now) for item in items]
    table = Response.__table__  # type: ignore[attr-defined]
    dialect_insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    statement = (
        dialect_insert(table)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["source", "external_id"])
        .returning(table.c.id, table.c.source, table.c.external_id)
    )
    keys = [(row["source"], row["external_id"]) for row in rows]
    with engine.begin() as connection:
        inserted = {(r.source, r.external_id): r.id for r in connection.execute(statement)}
        missing = [key for key in keys if key not in inserted]
        existing: dict[tuple[str, str], int] = {}
        if missing:
            query = select(table.c.id, table.c.source, table.c.external_id).where(
                tuple_(table.c.source, table.c.external_id).in_(missing)
            )
            existing = {(r.source, r.external_id): r.id for r in connection.execute(query)}
    return [
        Accepted(index=i, id=inserted.get(key) or existing[key], duplicate=key not in inserted)
        for i, key in enumerate(keys)
    ]


def revise_response(engine: Engine, response_id: int, item: ResponseCreate, redact: Redact) -> bool:
    """Stored response `response_id` brought up to `item`, a later version of it from its source (Delighted
    sends the score, then the comment): a changed text is stored (cleaned and redacted) and the response goes
    back in the queue, attempts reset, to be scored again (its old analysis stays until then; a claim on it is
    released, so a worker scoring the old text cannot complete it); a changed score is stored as it is.
    Whether anything changed."""
    text = storable_text(item.text, redact)
    score_type = item.score_type.value if item.score_type else None
    with write_transaction(engine) as connection:
        row = connection.execute(
            select(RESPONSE.c.text, RESPONSE.c.score, RESPONSE.c.score_type).where(RESPONSE.c.id == response_id)
        ).one()
        values: dict[str, Any] = {}
        if (row.score, row.score_type) != (item.score, score_type):
            values |= {"score": item.score, "score_type": score_type}
        if row.text != text:
            values |= LEASES.released(
                text=text, status=Status.pending.value, attempts=0, lease_expiries=0, last_error=None
            )
        if values:
            connection.execute(update(RESPONSE).where(RESPONSE.c.id == response_id).values(values))
    return bool(values)
