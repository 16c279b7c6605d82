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

Quiet risk (`accounts_standing`): neutral is the hidden threat where the journey map wants delight. Over the
last QUIET_WINDOW_DAYS (or the filter's dates), a contact not at risk whose sentences at the stages and
touchpoints with target moment `positive` are at least QUIET_MIN_SENTENCES and mostly neutral with 95%
confidence (the Wilson interval of the neutral share lies above QUIET_NEUTRAL_SHARE, a half) is `quiet_risk`:
nothing there is bad enough to complain about, and nothing earns loyalty.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal, cast

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Connection, Engine, RowMapping, case, false, func, or_, select

from vocengine.insights import measures, stats
from vocengine.insights.connection import AnySelect, reading
from vocengine.insights.filters import InsightFilter, apply, resolve_segments, response
from vocengine.insights.frame import EPOCH, SENTIMENT_FIELDS, Categorical, FrameCache, frame_of, take
from vocengine.insights.measures import Record, SentimentDistribution
from vocengine.insights.stats import Estimate
from vocengine.journey.maps import JourneyMap
from vocengine.model.labels import SENTIMENT_LABELS
from vocengine.store.tables import sentence_result

AT_RISK_NET = -20.0
AT_RISK_NEGATIVE_SHARE = 0.35
HEALTHY_NET = 20.0

REVIEW_WINDOW_DAYS = 90
REVIEW_MIN_NET = 20.0
REVIEW_MIN_COMMENTS = 1
AT_RISK_WINDOW_DAYS = 30

QUIET_WINDOW_DAYS = 90
QUIET_MIN_SENTENCES = 5
QUIET_NEUTRAL_SHARE = 0.5

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
    standing: AccountStanding | None = Field(
        default=None,
        description=f"At risk and quietly at risk side by side, as GET /v1/accounts has it: over the last "
        f"{QUIET_WINDOW_DAYS} days (or the dates given); null when the account has no feedback there.",
    )


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


def account_health(
    conn: Connection | Engine,
    account_id: str,
    f: InsightFilter,
    journey: JourneyMap | None = None,
    now: datetime | None = None,
    cache: FrameCache | None = None,
) -> AccountReport:
    """With `journey`, its standing too (quiet risk needs the map's targets)."""
    with reading(conn) as connection:
        _require_account(connection, account_id)
        contacts = _contacts(connection, account_id, f)
    standing = None
    if journey is not None:
        scoped = f.model_copy(update={"account_id": account_id})
        standing = next(iter(accounts_standing(conn, journey, scoped, now=now, cache=cache).accounts), None)
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
        standing=standing,
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


Standing = Literal["at_risk", "quiet_risk", "mixed", "healthy"]
STANDING_SEVERITY: dict[Standing, int] = {"at_risk": 0, "quiet_risk": 1, "mixed": 2, "healthy": 3}


class ContactStanding(BaseModel):
    contact_id: str | None = Field(description="The contact; null for feedback that named no contact.")
    status: Standing = Field(description="at_risk, quiet_risk, mixed or healthy.")
    comments: int = Field(description="Comments in the window with at least one scored sentence.")
    sentences: int = Field(description="Scored sentences in the window.")
    net_sentiment: float = Field(description="% positive − % negative sentences (−100..100).")
    negative_share: Estimate = Field(description="Share of the sentences that are negative (Wilson interval).")
    neutral_share_where_positive_expected: Estimate = Field(
        description="Share neutral of the sentences at stages and touchpoints whose target moment is positive; "
        "n is those sentences."
    )
    last_occurred_at: datetime = Field(description="When the contact's latest feedback in the window occurred (UTC).")


class AccountStanding(BaseModel):
    account_id: str = Field(description="The account.")
    status: Standing = Field(description="Its worst contact's status.")
    at_risk_contacts: int = Field(description="Contacts at risk.")
    quiet_risk_contacts: int = Field(description="Contacts quietly at risk: flat where delight is the target.")
    sentences: int = Field(description="Scored sentences of the account in the window.")
    contacts: list[ContactStanding] = Field(description="Every contact with feedback in the window, worst first.")


class AccountsReport(BaseModel):
    date_from: datetime = Field(description="Start of the window (inclusive, UTC).")
    date_to: datetime = Field(description="End of the window (exclusive, UTC).")
    positive_target: list[str] = Field(
        description="The stages and touchpoints whose target moment is positive: where neutral is a risk."
    )
    min_sentences: int = Field(description="Sentences there a contact needs before it is called quietly at risk.")
    accounts: list[AccountStanding] = Field(description="The accounts asked for, worst first.")
    total: int = Field(0, description="Accounts that match, before `limit` cut the list.")


def _window(f: InsightFilter, now: datetime | None) -> InsightFilter:
    """`f` with its dates, or the last QUIET_WINDOW_DAYS up to `now` (default: the current time)."""
    now = _utc(now) if now is not None else datetime.now(UTC)
    date_to = f.date_to or now
    date_from = f.date_from or date_to - timedelta(days=QUIET_WINDOW_DAYS)
    return f.model_copy(update={"date_from": date_from, "date_to": date_to})


def _positive_targets(journey: JourneyMap) -> tuple[list[str], list[str]]:
    stages = [stage.id for stage in journey.stages if stage.target and stage.target.moment == "positive"]
    touchpoints = [tp.id for _, tp in journey.touchpoints() if tp.target and tp.target.moment == "positive"]
    return stages, touchpoints


def accounts_standing(
    conn: Connection | Engine,
    journey: JourneyMap,
    f: InsightFilter,
    status: Standing | None = None,
    now: datetime | None = None,
    cache: FrameCache | None = None,
) -> AccountsReport:
    """Every account's contacts over the window, at risk and quietly at risk beside each other; with
    `status`, only the accounts with at least one contact of that status. From the in-memory frame;
    `accounts_standing_sql` is the same answer in SQL, the reference the tests hold this one to."""
    window = resolve_segments(conn, _window(f, now))
    stages, touchpoints = _positive_targets(journey)
    with reading(conn) as connection:
        frame = frame_of(connection, cache)
    rows = frame.select(window)
    account = frame.categorical["account_id"]
    no_account = account.index.get(None)
    if no_account is not None:
        named = take(account.codes, rows) != no_account
        rows = (np.flatnonzero(named) if rows is None else rows[named]).astype(np.intp)
    contact = frame.categorical["contact_id"]
    groups = frame.group(rows, [frame.codes("account_id", rows), frame.codes("contact_id", rows)])
    expected = _flags(frame.categorical["stage"], stages) | _flags(frame.categorical["touchpoint"], touchpoints)
    neutral = frame.sentiment == SENTIMENT_LABELS.index("neutral")
    last = np.full(groups.size, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, groups.index, take(frame.occurred_at, rows))
    sentiment_counts = groups.sentiment_counts()
    counts = sentiment_counts.tolist()
    n_expected = groups.count(expected)
    neutral_shares = stats.rates(groups.count(expected & neutral), n_expected)
    negative_shares = stats.rates(sentiment_counts[:, SENTIMENT_LABELS.index("negative")], sentiment_counts.sum(axis=1))
    records = [
        {
            "account_id": account.vocabulary[a],
            "contact_id": contact.vocabulary[c],
            "comments": comments,
            "last_occurred_at": EPOCH + timedelta(microseconds=at),
            "expected": e,
            **dict(zip(SENTIMENT_FIELDS, sentiment, strict=True)),
        }
        for a, c, comments, at, e, sentiment in zip(
            groups.keys[0].tolist(), groups.keys[1].tolist(), groups.comments().tolist(), last.tolist(),
            n_expected.tolist(), counts, strict=True
        )
    ]  # fmt: skip
    by_account: dict[str, list[ContactStanding]] = {}
    for record, negative_share, neutral_share in zip(records, negative_shares, neutral_shares, strict=True):
        by_account.setdefault(record["account_id"], []).append(_standing(record, negative_share, neutral_share))
    return _report(by_account, window, stages, touchpoints, status)


def _flags(column: Categorical, values: list[str]) -> NDArray[np.bool_]:
    codes = [column.index[value] for value in values if value in column.index]
    return np.isin(column.codes, codes)


def accounts_standing_sql(
    conn: Connection | Engine,
    journey: JourneyMap,
    f: InsightFilter,
    status: Standing | None = None,
    now: datetime | None = None,
) -> AccountsReport:
    """`accounts_standing` in SQL."""
    window = _window(f, now)
    stages, touchpoints = _positive_targets(journey)
    expected: ColumnElement[bool] = or_(sr.stage.in_(stages), sr.touchpoint.in_(touchpoints)) if (
        stages or touchpoints) else false()  # fmt: skip
    query = select(
        sr.account_id,
        sr.contact_id,
        measures.sentence_count(),
        measures.comment_count(),
        *measures.sentiment_counts(),
        func.count(case((expected, 1))).label("expected"),
        func.count(case((expected & (sr.sentiment == "neutral"), 1))).label("expected_neutral"),
        func.max(sr.occurred_at).label("last_occurred_at"),
    )
    query = apply(query, window).where(sr.account_id.is_not(None)).group_by(sr.account_id, sr.contact_id)
    by_account: dict[str, list[ContactStanding]] = {}
    with reading(conn) as connection:
        for row in connection.execute(query).mappings():
            sentiment = measures.distribution(row)
            shares = (
                stats.rate(sentiment.negative, sentiment.total),
                stats.rate(row["expected_neutral"], row["expected"]),
            )
            by_account.setdefault(row["account_id"], []).append(_standing(row, *shares))
    return _report(by_account, window, stages, touchpoints, status)


def _report(
    by_account: dict[str, list[ContactStanding]],
    window: InsightFilter,
    stages: list[str],
    touchpoints: list[str],
    status: Standing | None,
) -> AccountsReport:
    accounts = []
    for account_id, contacts in by_account.items():
        contacts.sort(key=lambda c: (STANDING_SEVERITY[c.status], c.net_sentiment, c.contact_id or ""))
        if status is not None and all(c.status != status for c in contacts):
            continue
        accounts.append(
            AccountStanding(
                account_id=account_id,
                status=contacts[0].status,
                at_risk_contacts=sum(c.status == "at_risk" for c in contacts),
                quiet_risk_contacts=sum(c.status == "quiet_risk" for c in contacts),
                sentences=sum(c.sentences for c in contacts),
                contacts=contacts,
            )
        )
    accounts.sort(
        key=lambda a: (STANDING_SEVERITY[a.status], -a.at_risk_contacts, -a.quiet_risk_contacts, a.account_id)
    )
    assert window.date_from is not None and window.date_to is not None
    return AccountsReport(
        date_from=window.date_from,
        date_to=window.date_to,
        positive_target=[*stages, *touchpoints],
        min_sentences=QUIET_MIN_SENTENCES,
        accounts=accounts,
    )


def _standing(row: Record, negative_share: Estimate, neutral_share: Estimate) -> ContactStanding:
    """A contact's standing from its counts (by name, as `measures` reads them) and its two shares."""
    sentiment = measures.distribution(row)
    expected = int(row["expected"])
    status: Standing = contact_status(sentiment)
    mostly_neutral = neutral_share.ci_low is not None and neutral_share.ci_low > QUIET_NEUTRAL_SHARE
    if status != "at_risk" and expected >= QUIET_MIN_SENTENCES and mostly_neutral:
        status = "quiet_risk"
    return ContactStanding(
        contact_id=row["contact_id"],
        status=status,
        comments=int(row["comments"]),
        sentences=sentiment.total,
        net_sentiment=cast(float, sentiment.net()),
        negative_share=negative_share,
        neutral_share_where_positive_expected=neutral_share,
        last_occurred_at=_utc(row["last_occurred_at"]),
    )


AccountReport.model_rebuild()  # its `standing` is an AccountStanding, defined after it
