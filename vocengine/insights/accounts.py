"""Account health: how each contact of a B2B account feels, and whether to ask one of them for a review.

An account is as good as its worst contact: one champion's praise does not cancel a blocked admin.

A contact's status, checked in order:
  - at_risk  net sentiment ≤ AT_RISK_NET or negative share ≥ AT_RISK_NEGATIVE_SHARE;
  - healthy  net sentiment ≥ HEALTHY_NET;
  - mixed    anything else.
The worst contact has the worst status, then the lowest net sentiment, then the highest negative share.

A contact may be asked for a public review only when their own recent experience is good
(net sentiment ≥ REVIEW_MIN_NET over the last REVIEW_WINDOW_DAYS, from at least REVIEW_MIN_COMMENTS
comments) and no other contact of the account is at risk over the last AT_RISK_WINDOW_DAYS: asking a
happy user while a colleague is angry invites a public reply from the colleague.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, RowMapping, func, select

from vocengine.insights import measures
from vocengine.insights.connection import AnySelect, reading
from vocengine.insights.filters import InsightFilter, apply, response
from vocengine.insights.measures import SentimentDistribution
from vocengine.store.tables import sentence_result

AT_RISK_NET = -20.0
AT_RISK_NEGATIVE_SHARE = 0.35
HEALTHY_NET = 20.0

REVIEW_WINDOW_DAYS = 90
REVIEW_MIN_NET = 20.0
REVIEW_MIN_COMMENTS = 1
AT_RISK_WINDOW_DAYS = 30

Status = Literal["at_risk", "mixed", "healthy"]
SEVERITY: dict[Status, int] = {"at_risk": 0, "mixed": 1, "healthy": 2}

sr = sentence_result.c


def contact_status(sentiment: SentimentDistribution) -> Status:
    total = sentiment.total
    net = 100.0 * (sentiment.positive - sentiment.negative) / total
    if net <= AT_RISK_NET or sentiment.negative / total >= AT_RISK_NEGATIVE_SHARE:
        return "at_risk"
    if net >= HEALTHY_NET:
        return "healthy"
    return "mixed"


class ContactHealth(BaseModel):
    contact_id: str | None = Field(description="The contact; null for feedback that named no contact.")
    comments: int = Field(description="Comments with at least one scored sentence.")
    sentences: int = Field(description="Scored sentences.")
    net_sentiment: float = Field(description="% positive − % negative sentences (−100..100).")
    negative_share: float = Field(description="Share of the sentences that are negative (0..1).")
    mean_p_negative: float = Field(description="Mean probability of negative over the sentences (0..1).")
    last_occurred_at: datetime = Field(description="When the contact's latest feedback occurred (UTC).")
    status: Status = Field(description="at_risk, mixed or healthy.")


class AccountReport(BaseModel):
    account_id: str = Field(description="The account.")
    status: Status | None = Field(description="The worst contact's status; null when no feedback matches.")
    comments: int = Field(description="Comments of the account with at least one scored sentence.")
    sentences: int = Field(description="Scored sentences of the account.")
    net_sentiment: float | None = Field(description="Net sentiment of all the account's sentences pooled.")
    worst_contact_id: str | None = Field(description="The contact the account's status comes from.")
    worst_contact_net_sentiment: float | None = Field(description="That contact's net sentiment.")
    contacts: list[ContactHealth] = Field(description="Every contact with feedback, worst first.")


class ReviewEligibility(BaseModel):
    account_id: str = Field(description="The account.")
    contact_id: str = Field(description="The contact who would be asked for a review.")
    eligible: bool = Field(description="Whether to ask this contact for a review now.")
    reasons: list[str] = Field(description="Why (or why not), one finding per line.")
    contact_net_sentiment: float | None = Field(
        description=f"The contact's net sentiment over the last {REVIEW_WINDOW_DAYS} days; null with no feedback."
    )
    contact_comments: int = Field(description=f"The contact's comments over the last {REVIEW_WINDOW_DAYS} days.")
    at_risk_contacts: list[str | None] = Field(
        description=f"Other contacts of the account at risk over the last {AT_RISK_WINDOW_DAYS} days."
    )


def account_health(conn: Connection | Engine, account_id: str, f: InsightFilter) -> AccountReport:
    with reading(conn) as connection:
        _require_account(connection, account_id)
        contacts = _contacts(connection, account_id, f)
    pooled = SentimentDistribution.of(
        sum(c.sentiment.negative for c in contacts),
        sum(c.sentiment.neutral for c in contacts),
        sum(c.sentiment.positive for c in contacts),
    )
    worst = contacts[0].health if contacts else None
    return AccountReport(
        account_id=account_id,
        status=worst.status if worst else None,
        # Each comment has one contact, so contacts partition the comments and their counts add up.
        comments=sum(c.health.comments for c in contacts),
        sentences=pooled.total,
        net_sentiment=pooled.net(),
        worst_contact_id=worst.contact_id if worst else None,
        worst_contact_net_sentiment=worst.net_sentiment if worst else None,
        contacts=[c.health for c in contacts],
    )


def review_eligibility(
    conn: Connection | Engine, account_id: str, contact_id: str, f: InsightFilter, now: datetime | None = None
) -> ReviewEligibility:
    """The windows end at `now` (default: the current time; naive means UTC) and replace any dates in `f`."""
    now = _utc(now) if now is not None else datetime.now(UTC)
    own_window = f.model_copy(update={"date_from": now - timedelta(days=REVIEW_WINDOW_DAYS), "date_to": now})
    risk_window = f.model_copy(update={"date_from": now - timedelta(days=AT_RISK_WINDOW_DAYS), "date_to": now})
    with reading(conn) as connection:
        _require_account(connection, account_id)
        own = next(
            (c.health for c in _contacts(connection, account_id, own_window) if c.contact_id == contact_id), None
        )
        at_risk = [
            c.health
            for c in _contacts(connection, account_id, risk_window)
            if c.contact_id != contact_id and c.health.status == "at_risk"
        ]
    reasons = []
    own_ok = own is not None and own.comments >= REVIEW_MIN_COMMENTS and own.net_sentiment >= REVIEW_MIN_NET
    if own is None:
        reasons.append(f"contact {contact_id!r} gave no scored feedback in the last {REVIEW_WINDOW_DAYS} days")
    else:
        verdict = "at least" if own_ok else "below"
        reasons.append(
            f"contact {contact_id!r} net sentiment {own.net_sentiment:+.0f} over the last {REVIEW_WINDOW_DAYS} days "
            f"({own.comments} comments) is {verdict} the {REVIEW_MIN_NET:+.0f} needed"
        )
    for other in at_risk:
        who = repr(other.contact_id) if other.contact_id is not None else "(no contact id)"
        reasons.append(
            f"contact {who} of the same account is at risk over the last {AT_RISK_WINDOW_DAYS} days "
            f"(net sentiment {other.net_sentiment:+.0f}, negative share {other.negative_share:.0%})"
        )
    return ReviewEligibility(
        account_id=account_id,
        contact_id=contact_id,
        eligible=own_ok and not at_risk,
        reasons=reasons,
        contact_net_sentiment=own.net_sentiment if own else None,
        contact_comments=own.comments if own else 0,
        at_risk_contacts=[other.contact_id for other in at_risk],
    )


class _Contact:
    """A contact's health with the counts behind it, which the account level pools."""

    def __init__(self, row: RowMapping) -> None:
        self.contact_id: str | None = row["contact_id"]
        self.sentiment = measures.distribution(row)
        net = self.sentiment.net()
        assert net is not None  # a grouped row has at least one sentence
        self.health = ContactHealth(
            contact_id=self.contact_id,
            comments=int(row["comments"]),
            sentences=self.sentiment.total,
            net_sentiment=net,
            negative_share=self.sentiment.negative_share,
            mean_p_negative=round(float(row["mean_p_negative"] or 0.0), measures.SHARE_DIGITS),
            last_occurred_at=_utc(row["last_occurred_at"]),
            status=contact_status(self.sentiment),
        )

    def severity(self) -> tuple[int, float, float]:
        return (SEVERITY[self.health.status], self.health.net_sentiment, -self.health.negative_share)


def _require_account(connection: Connection, account_id: str) -> None:
    known = connection.execute(select(response.c.id).where(response.c.account_id == account_id).limit(1)).first()
    if known is None:
        raise LookupError(f"account {account_id!r} has no responses")


def _contacts(connection: Connection, account_id: str, f: InsightFilter) -> list[_Contact]:
    """The account's contacts, worst first."""
    scoped = f.model_copy(update={"account_id": account_id})
    contacts = [_Contact(row) for row in connection.execute(_measures(scoped)).mappings()]
    contacts.sort(key=lambda c: (*c.severity(), c.contact_id is None, c.contact_id or ""))
    return contacts


def _measures(f: InsightFilter) -> AnySelect:
    query = select(
        sr.contact_id,
        measures.sentence_count(),
        measures.comment_count(),
        *measures.sentiment_counts(),
        func.avg(sr.p_negative).label("mean_p_negative"),
        func.max(sr.occurred_at).label("last_occurred_at"),
    )
    return apply(query, f).group_by(sr.contact_id)


def _utc(value: datetime) -> datetime:
    # SQLite hands back the stored UTC wall time without an offset; PostgreSQL, in the session's zone.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
