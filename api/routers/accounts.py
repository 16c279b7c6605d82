"""B2B accounts: each contact's experience, and the account's, as good as its worst contact."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/accounts", tags=["accounts"])
