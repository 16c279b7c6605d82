"""B2B accounts: each contact's experience, and the account's, as good as its worst contact."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import AnalyzerDep, EngineDep, ReadKey, RuntimeDep
from api.errors import ErrorResponse
from api.examples import example
from api.filters import FilterDep
from vocengine.insights.accounts import (
    AccountReport,
    AccountsReport,
    ReviewEligibility,
    Standing,
    account_health,
    accounts_standing,
    review_eligibility,
)
from vocengine.validation import Text

router = APIRouter(prefix="/accounts", tags=["accounts"])
# LookupError (no such account) becomes 404 in api.errors.
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "no stored response of this account"}
}


@router.get("", response_model=AccountsReport, responses=example("accounts"), summary="Accounts at risk, loud or quiet")
def get_accounts(
    engine: EngineDep,
    runtime: RuntimeDep,
    analyzer: AnalyzerDep,
    f: FilterDep,
    _key: ReadKey,
    status: Annotated[
        Standing | None, Query(description="only accounts with a contact of this status", examples=["quiet_risk"])
    ] = None,
    limit: Annotated[int | None, Query(ge=1, le=10_000, description="only the first (worst) accounts")] = None,
) -> AccountsReport:
    """Every account's contacts over the last 90 days (or the dates given), worst first: at_risk (negative),
    quiet_risk (mostly neutral where the journey map's target moment is positive), mixed, healthy. `total`
    counts them all; `limit` keeps a page from pulling thousands of accounts."""
    active, _ = analyzer.current()
    report = accounts_standing(engine, active.journey, f, status=status, cache=runtime.frame_cache)
    report.total = len(report.accounts)
    if limit is not None:
        report.accounts = report.accounts[:limit]
    return report


@router.get(
    "/{account_id}",
    response_model=AccountReport,
    responses=NOT_FOUND | example("account"),
    summary="An account's health",
)
def get_account(
    account_id: Text, engine: EngineDep, runtime: RuntimeDep, analyzer: AnalyzerDep, f: FilterDep, _key: ReadKey
) -> AccountReport:
    """Each contact's comments, sentiment and status; the account's status is its worst contact's. `standing`
    adds quiet risk (mostly neutral where the journey map's target moment is positive) over the last 90 days."""
    active, _ = analyzer.current()
    return account_health(engine, account_id, f, active.journey, cache=runtime.frame_cache)


@router.get(
    "/{account_id}/contacts/{contact_id}/review-eligibility",
    response_model=ReviewEligibility,
    responses=NOT_FOUND | example("review_eligibility"),
    summary="Whether to ask this contact for a review now",
)
def get_review_eligibility(
    account_id: Text, contact_id: Text, engine: EngineDep, f: FilterDep, _key: ReadKey
) -> ReviewEligibility:
    """Yes only if this contact's own recent experience is positive and no other contact of the same account
    is having a bad one; the reasons say why not."""
    return review_eligibility(engine, account_id, contact_id, f)
