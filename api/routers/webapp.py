"""The web app for CX leads, served at `/` beside `/v1` and `/docs`: one HTML page, its scripts and styles,
and the vendored libraries (Preact + htm, and the report's ECharts), all from this origin.

The page holds no secret: the user signs in with an API key that the app keeps in sessionStorage and sends as
the X-API-Key header, never in a URL or a cookie. A cookie-less API is not open to cross-site request forgery:
another site's page cannot set that header without a CORS preflight, which this service never grants.
The Content-Security-Policy allows nothing but this origin, so the app works offline and an injected
script could not run or send data elsewhere.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

WEBAPP = Path(__file__).resolve().parents[1] / "webapp"
ECHARTS = Path(__file__).resolve().parents[2] / "vocengine" / "report" / "assets" / "echarts.common.min.js"

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # The app changes with the service; a stale script beside a newer API would misread its answers.
    "Cache-Control": "no-cache",
}
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml"}

router = APIRouter(include_in_schema=False)


def _file(path: Path) -> FileResponse:
    return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix, "application/octet-stream"), headers=HEADERS)


@router.get("/")
def index() -> FileResponse:
    return _file(WEBAPP / "index.html")


@router.get("/app/vendor/echarts.js")
def echarts() -> FileResponse:
    return _file(ECHARTS)


@router.get("/app/{path:path}")
def asset(path: str) -> FileResponse:
    """A file under api/webapp; nothing outside it (`..` and absolute paths resolve elsewhere and are refused)."""
    target = (WEBAPP / path).resolve()
    if not target.is_relative_to(WEBAPP) or not target.is_file() or target.suffix not in MEDIA_TYPES:
        raise HTTPException(404, "Not found")
    return _file(target)
