"""How fast the web app's pages are with a large database: each page opened in Chromium against the API
serving 100,000 stored comments, timed from navigation until the page is usable (its data drawn), with the
bytes of API data each page pulled in.

    python -m api.bench_webapp [--comments 100000] [--repeats 5] [--json out/bench_webapp.json]

Needs Playwright and Debian's Chromium (`make setup` installs the first, `apt-get install chromium` the
second). The API is asked once per page before timing: the figures are for a service that has loaded its
columns, as `vocengine serve` does at start.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
# route → what shows the page is usable (all of them)
PAGES = {
    "journey": [".journey .stage", ".journey .chart canvas"],
    "journey?compare=admin,buyer,end_user": [".persona-map:nth-child(3) .journey .stage", ".persona-map .chart canvas"],
    "drill?touchpoint=data_migration": [".comments .comment", "section[aria-label=Trend] canvas"],
    "moments": ["table.moments tbody tr", "main .chart canvas"],
    "trends": ["main .chart canvas"],
    "accounts": ["table.accounts tbody tr"],
    "account?id=account-7": ["tr[data-contact]", ".comments .comment"],
    "queue?task=touchpoint": [".queue-item", ".counts li"],
    "comment?id=1": [".sentences li"],
}


def seed(url: str, comments: int) -> str:
    """The bundled sample stored and scored by the default models, then copied to `comments` comments; an admin key."""
    from api.examples import sample_responses
    from vocengine.bench_service import fill_to
    from vocengine.runtime import Runtime
    from vocengine.settings import Settings
    from vocengine.usecases.keys import create_key
    from vocengine.usecases.responses import store_responses
    from vocengine.worker import ScoringWorker

    runtime = Runtime(Settings(database_url=url, embedded_worker=False))
    items = sample_responses()
    store_responses(runtime, items)
    ScoringWorker(runtime, "bench-webapp").drain()
    fill_to(runtime.engine, comments)
    key, _ = create_key(runtime, ["admin"], name="bench-webapp")
    runtime.close()
    return key


def time_pages(api: str, key: str, chromium: str, repeats: int) -> dict[str, dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    figures: dict[str, dict[str, Any]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{api}/")
        page.fill("#key", key)
        page.click("button[type=submit]")
        page.wait_for_selector("header.top", timeout=120_000)
        for route, ready in PAGES.items():
            page.goto(f"{api}/#/{route}")  # once untimed: the API's caches for this query
            for selector in ready:
                page.wait_for_selector(selector, timeout=120_000)
            times, data = [], []
            for _ in range(repeats):
                page.reload()
                for selector in ready:
                    page.wait_for_selector(selector, timeout=120_000)
                # The browser's own clock: from the start of navigation (the reload) until all of it is drawn.
                times.append(page.evaluate("performance.now()"))
                page.wait_for_load_state("networkidle")
                data.append(page.evaluate(
                    """() => performance.getEntriesByType('resource').filter(e => e.name.includes('/v1/'))
                              .reduce((n, e) => n + e.encodedBodySize, 0)"""
                ))  # fmt: skip
            figures[route] = {
                "median_ms": round(statistics.median(times)),
                "max_ms": round(max(times)),
                "api_bytes": int(statistics.median(data)),
            }
            print(f"  {route}: {figures[route]}", file=sys.stderr)
        browser.close()
    if errors:
        raise RuntimeError(f"the page raised errors: {errors}")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.bench_webapp", description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium")
    if chromium is None:
        print("error: Chromium is needed: apt-get install chromium", file=sys.stderr)
        return 2
    try:
        import playwright  # noqa: F401
    except ImportError:
        print("error: Playwright is needed: make setup (it is a dev dependency)", file=sys.stderr)
        return 2
    from vocengine.bench_service import start_server

    workdir = tempfile.mkdtemp(prefix="vocengine-bench-webapp-")
    url = f"sqlite:///{workdir}/bench.db"
    print(f"storing {args.comments:,} comments ...", file=sys.stderr)
    key = seed(url, args.comments)
    server, api = start_server(url)
    try:
        print("timing pages ...", file=sys.stderr)
        pages = time_pages(api, key, chromium, args.repeats)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
    figures = {"comments": args.comments, "repeats": args.repeats, "pages": pages}
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
