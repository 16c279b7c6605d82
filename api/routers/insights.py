"""CX queries: emotions by group, the journey curve, defining moments, trends. (Wired once vocengine.insights lands.)"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["insights"])
