"""The web app served at `/`: driven in a real Chromium against a real `vocengine serve` app on a loopback port,
on a SQLite database seeded with the bundled sample and scored by the default models.

Each page's screenshot is saved under out/webapp/, for the README and for review."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.routers.webapp import CSP, WEBAPP
from tests.support.service import Service, serve

PROJECT = Path(__file__).resolve().parents[2]
SHOTS = PROJECT / "out" / "webapp"


def seed(runtime: Any) -> None:
    """The bundled sample as a survey tool would push it, scored by the default models."""
    from api.examples import sample_responses
    from vocengine.usecases.responses import store_responses
    from vocengine.worker import ScoringWorker

    store_responses(runtime, sample_responses())
    ScoringWorker(runtime, "webapp-seed").drain()


@pytest.fixture(scope="module")
def app_service(default_analyzer: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    from vocengine.runtime import Runtime
    from vocengine.settings import Settings

    folder = tmp_path_factory.mktemp("webapp")
    runtime = Runtime(Settings(database_url=f"sqlite:///{folder / 'app.db'}"), analyzer=default_analyzer)
    seed(runtime)
    service, stop = serve(runtime)
    yield service
    stop()


@pytest.fixture(scope="module")
def browser(app_service: Service) -> Iterator[Any]:
    from tests.conftest import CHROMIUM_COMPONENT

    chromium = CHROMIUM_COMPONENT.get()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=["--no-sandbox"])
        yield launched
        launched.close()


class Page:
    """A browser tab on the app that records console errors, failed requests and every URL it asks for."""

    def __init__(self, browser: Any, url: str, width: int = 1400) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.url = url
        self.problems: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.problems.append(m.text) if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))

    def sign_in(self, key: str) -> None:
        self.page.goto(self.url + "/")
        self.page.fill("#key", key)
        self.page.click("button[type=submit]")

    def go(self, route: str) -> None:
        self.page.evaluate("route => { location.hash = route }", route)

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)  # out/ is ignored by git
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def expected(self, status: int) -> None:
        """The browser logs every 4xx answer as a console error; drop those of a refusal the test asked for."""
        self.problems = [p for p in self.problems if f"status of {status}" not in p]

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser: Any, app_service: Service) -> Iterator[Page]:
    page = Page(browser, app_service.url)
    yield page
    page.close()
    assert page.problems == [], "console errors or warnings"
    # Only this origin is ever asked for anything (no CDN, no font), and no key travels in a URL.
    assert all(url.startswith(app_service.url) for url in page.requests), page.requests
    assert not any("voc_" in url for url in page.requests)


def api(service: Service, key: str, path: str) -> Any:
    with httpx.Client(base_url=service.url, headers={"X-API-Key": key}, timeout=30) as client:
        reply = client.get(path)
        reply.raise_for_status()
        return reply.json() if reply.headers["content-type"].startswith("application/json") else reply.text


def shown_stages(page: Any) -> list[tuple[str, int]]:
    page.wait_for_selector(".journey .stage")
    stages = page.locator(".journey").first.locator(".stage")
    return [
        (stages.nth(i).get_attribute("data-stage") or "", int(stages.nth(i).locator("[data-sentences]").inner_text()))
        for i in range(stages.count())
    ]


def test_app_page_is_served_same_origin_with_a_strict_policy(app_service: Service):
    with httpx.Client(base_url=app_service.url) as client:
        page = client.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert page.headers["content-security-policy"] == CSP and "'unsafe-inline'" not in CSP
        assert page.headers["x-frame-options"] == "DENY"
        # Every script and style the page loads is this origin's, and served.
        for ref in re.findall(r'(?:src|href)="(/app/[^"]+)"', page.text):
            assert client.get(ref).status_code == 200, ref
        assert client.get("/app/vendor/echarts.js").status_code == 200
        for outside in ("/app/../api/main.py", "/app/%2e%2e/%2e%2e/pyproject.toml", "/app/nothing.js"):
            assert client.get(outside).status_code == 404, outside
        # The page is not an API: /v1 still wants a key.
        assert client.get("/v1/journey").status_code == 401


def test_vendored_front_end_matches_its_manifest():
    import hashlib

    manifest = json.loads((WEBAPP / "vendor" / "MANIFEST.json").read_text())
    for entry in manifest["vendored"]:
        data = (WEBAPP / "vendor" / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        for licence in entry["license_files"]:
            assert (WEBAPP / "vendor" / licence).is_file()


def test_key_me_says_what_a_key_may_do(app_service: Service):
    assert api(app_service, app_service.key("read", "label"), "/v1/keys/me")["can"] == ["read", "label"]
    assert api(app_service, app_service.key("admin"), "/v1/keys/me")["can"] == ["ingest", "read", "label", "admin"]


def test_a_wrong_key_is_refused_and_nothing_is_shown(tab: Page):
    tab.sign_in("voc_00000000_not-a-real-key")
    tab.page.wait_for_selector(".error")
    assert "refused" in tab.page.inner_text(".error")
    assert tab.page.locator("header.top").count() == 0
    tab.expected(401)
    tab.shot("signin-refused")


def test_sign_in_shows_stages_in_journey_order_with_the_api_counts(tab: Page, app_service: Service):
    key = app_service.key("admin")
    tab.sign_in(key)
    report = api(app_service, key, "/v1/journey")
    assert shown_stages(tab.page) == [(s["id"], s["sentences"]) for s in report["stages"]]
    assert sum(s["sentences"] for s in report["stages"]) > 100
    first = report["stages"][0]
    card = tab.page.locator(f'.stage[data-stage="{first["id"]}"]')
    for touchpoint in first["touchpoints"]:
        assert touchpoint["name"] in card.inner_text()
    tab.page.wait_for_selector(".chart canvas")
    # The key stays in this tab's sessionStorage: not in the URL, not in a cookie, not in localStorage.
    assert tab.page.evaluate("sessionStorage.getItem('vocengine.key')") == key
    assert tab.page.evaluate("document.cookie") == "" and tab.page.evaluate("localStorage.length") == 0
    assert key not in tab.page.url
    tab.shot("journey")


def test_persona_filter_and_side_by_side_comparison(tab: Page, app_service: Service):
    key = app_service.key("read")
    tab.sign_in(key)
    shown_stages(tab.page)
    tab.page.select_option("select[name=persona]", "admin")
    tab.page.wait_for_selector('.journey[data-persona="admin"] .stage')
    expected = api(app_service, key, "/v1/journey?persona=admin")
    assert shown_stages(tab.page) == [(s["id"], s["sentences"]) for s in expected["stages"]]
    assert "persona=admin" in tab.page.url
    tab.go("#/journey?compare=admin,end_user")
    tab.page.wait_for_selector('.persona-map .journey[data-persona="end_user"] .stage')
    maps = tab.page.locator(".persona-map")
    assert maps.count() == 2
    for i, persona in enumerate(("admin", "end_user")):
        expected = api(app_service, key, f"/v1/journey?persona={persona}")
        counts = [int(x) for x in maps.nth(i).locator("[data-sentences]").all_inner_texts()]
        assert counts == [s["sentences"] for s in expected["stages"]]
    tab.shot("journey-personas")


def test_drill_into_a_touchpoint_shows_its_comments_with_the_sentence_highlighted(tab: Page, app_service: Service):
    from playwright.sync_api import expect

    key = app_service.key("read")
    tab.sign_in(key)
    shown_stages(tab.page)
    tab.page.click('[data-touchpoint="data_migration"] button')
    tab.page.wait_for_selector(".comments .comment")
    expect(tab.page.locator("h1")).to_contain_text("Data import and migration")
    listed = api(app_service, key, "/v1/responses?touchpoint=data_migration&limit=20")["items"]
    shown = [int(x) for x in tab.page.locator(".comment").evaluate_all("els => els.map(e => e.dataset.response)")]
    assert shown == [item["id"] for item in listed]
    first = tab.page.locator(".comment").first
    marked = first.locator("mark").all_inner_texts()
    assert marked and set(marked) <= {s["text"] for s in listed[0]["about"]}
    assert all(s["touchpoint"] == "data_migration" for s in listed[0]["about"])
    tab.page.wait_for_selector("section[aria-label=Trend] canvas")
    tab.page.wait_for_selector("section[aria-label=Emotions] canvas")
    tab.shot("drill")
    first.locator("text=full comment").click()
    tab.page.wait_for_selector(".sentences li")
    detail = api(app_service, key, f"/v1/responses/{listed[0]['id']}")
    assert tab.page.locator(".sentences li").count() == len(detail["analysis"]["sentences"])
    assert tab.page.locator("form.correct").count() == 0  # a read key sees no correction forms


def test_correct_a_label_in_place_and_find_it_in_the_export(tab: Page, app_service: Service):
    key = app_service.key("label", "read")
    tab.sign_in(key)
    shown_stages(tab.page)
    detail = api(app_service, key, "/v1/responses/5")
    sentence = detail["analysis"]["sentences"][0]
    wanted = next(s for s in ("negative", "neutral", "positive") if s != sentence["sentiment"]["label"])
    tab.go("#/comment?id=5")
    form = tab.page.locator('.sentences li[data-sentence="0"] form.correct')
    form.locator("select[name=sentiment]").select_option(wanted)
    form.locator("select[name=touchpoint]").select_option("none")
    form.locator("button[type=submit]").click()
    tab.page.wait_for_selector('.sentences li[data-sentence="0"] .saved')
    export = api(app_service, key, "/v1/labels?effective=true")
    entries = [json.loads(line) for line in export.splitlines()]
    mine = [e for e in entries if e.get("response_id") == 5 and e.get("sentence_index") == 0]
    assert mine and mine[0]["sentiment"] == wanted and mine[0]["touchpoint"] == "none"
    history = [json.loads(line) for line in api(app_service, key, "/v1/labels").splitlines()]
    latest = [h for h in history if h["response_id"] == 5 and h["sentence_index"] == 0][-1]
    assert latest["labelled_by"] and latest["created_at"]  # who and when
    tab.shot("comment-corrected")


def test_labelling_queue_walks_by_keyboard(tab: Page, app_service: Service):
    from playwright.sync_api import expect

    key = app_service.key("label", "read")
    tab.sign_in(key)
    shown_stages(tab.page)
    queue = {q["text"]: q for q in api(app_service, key, "/v1/labels/queue?task=sentiment&limit=50")["items"]}
    tab.go("#/queue?task=sentiment")
    tab.page.wait_for_selector(".queue-item")
    sentence = tab.page.locator(".queue-item .sentence")
    first = sentence.inner_text()
    assert first in queue
    tab.page.keyboard.press("1")  # negative
    tab.page.wait_for_selector(".queue-status:has-text('1 labelled')")
    expect(sentence).not_to_have_text(first)
    second = sentence.inner_text()
    assert second in queue
    tab.page.keyboard.press("s")  # skip
    expect(sentence).not_to_have_text(second)
    assert sentence.inner_text() != first
    tab.page.keyboard.press("b")  # back
    expect(sentence).to_have_text(second)
    entries = [json.loads(line) for line in api(app_service, key, "/v1/labels?effective=true").splitlines()]
    target = queue[first]
    assert any(e["response_id"] == target["response_id"] and e["sentence_index"] == target["sentence_index"]
               and e["sentiment"] == "negative" for e in entries)  # fmt: skip
    tab.go("#/queue?task=touchpoint")
    tab.page.wait_for_selector(".queue-item select[name=touchpoint]")
    tab.page.wait_for_selector(".counts li [data-labels]")
    counts = api(app_service, key, "/v1/labels/counts")
    shown = tab.page.locator(".counts li").evaluate_all(
        "els => els.map(e => [e.dataset.touchpoint, Number(e.querySelector('[data-labels]').textContent)])"
    )
    assert shown == [[t["touchpoint"], t["labels"]] for t in counts["touchpoints"]] + [
        ["none", counts["none"]["labels"]]
    ]
    tab.page.keyboard.press("0")  # none of these
    tab.page.wait_for_selector(".queue-status:has-text('2 labelled')")
    assert api(app_service, key, "/v1/labels/counts")["none"]["labels"] == counts["none"]["labels"] + 1
    tab.shot("queue")


def test_scopes_decide_what_the_app_shows(tab: Page, app_service: Service):
    tab.sign_in(app_service.key("read"))
    shown_stages(tab.page)
    nav = tab.page.inner_text("header nav")
    assert "Journey map" in nav and "Accounts" in nav
    assert "Label queue" not in nav and "Models" not in nav and "Journey maps" not in nav
    tab.go("#/models")
    tab.page.wait_for_selector("main .error")
    assert "needs admin" in tab.page.inner_text("main .error")


def test_moments_trends_and_accounts_pages(tab: Page, app_service: Service):
    key = app_service.key("read")
    tab.sign_in(key)
    shown_stages(tab.page)
    tab.go("#/moments")
    tab.page.wait_for_selector("table.moments tbody tr")
    moments = api(app_service, key, "/v1/moments?limit=15&examples=2")["moments"]
    rows = tab.page.locator("table.moments tbody tr")
    assert [rows.nth(i).get_attribute("data-touchpoint") for i in range(rows.count())] == [
        m["touchpoint"] for m in moments
    ]
    tab.shot("moments")
    tab.go("#/trends")
    tab.page.wait_for_selector("main .chart canvas")
    tab.shot("trends")
    tab.go("#/accounts")
    tab.page.wait_for_selector("table.accounts tbody tr")
    accounts = api(app_service, key, "/v1/accounts")["accounts"]
    shown = tab.page.locator("table.accounts tbody tr").evaluate_all("els => els.map(e => e.dataset.account)")
    assert shown == [a["account_id"] for a in accounts]
    tab.shot("accounts")
    worst = accounts[0]["account_id"]
    tab.page.click(f'table.accounts tr[data-account="{worst}"] a')
    tab.page.wait_for_selector("table tr[data-contact]")
    account = api(app_service, key, f"/v1/accounts/{worst}")
    if account["status"] == "at_risk":
        assert account["worst_contact_id"] in tab.page.inner_text(".why")
    tab.page.locator("tr[data-contact] button", has_text="May we ask").first.click()
    tab.page.wait_for_selector(".eligible, .not-eligible")
    tab.page.wait_for_selector(".comments .comment")
    tab.shot("account")


def test_admin_pages_confirm_promotion_and_show_map_errors_at_the_field(tab: Page, app_service: Service):
    key = app_service.key("admin")
    tab.sign_in(key)
    shown_stages(tab.page)
    tab.go("#/models")
    tab.page.wait_for_selector(".versions .version")
    active = api(app_service, key, "/v1/models")["active"]["id"]
    assert active in tab.page.inner_text(".versions")
    # A training run starts as a background job; this test server runs no worker, so it stays queued, and
    # while it is open the app offers no second one and the API refuses it.
    tab.page.click("text=Start a training run")
    tab.page.wait_for_selector(".job:has-text('queued')")
    assert tab.page.locator("text=Start a training run").is_disabled()
    with httpx.Client(base_url=app_service.url, headers={"X-API-Key": key}) as client:
        assert client.post("/v1/models/train", json={}).status_code == 409
    tab.shot("models")
    tab.go("#/maps")
    tab.page.wait_for_selector("form.map-editor")
    before = api(app_service, key, "/v1/journey-maps")["active"]["id"]
    name = tab.page.locator('input[name="stages.0.touchpoints.0.name"]')
    name.fill("")
    tab.page.click("form.map-editor button[type=submit]")
    tab.page.wait_for_selector(".field.invalid .field-error")
    invalid = tab.page.locator(".field.invalid")
    assert invalid.count() == 1 and invalid.locator('input[name="stages.0.touchpoints.0.name"]').count() == 1
    assert api(app_service, key, "/v1/journey-maps")["active"]["id"] == before  # nothing was saved
    tab.expected(422)
    tab.shot("maps-invalid")


def test_keyboard_reaches_every_control_on_the_journey_page(tab: Page, app_service: Service):
    tab.sign_in(app_service.key("admin"))
    shown_stages(tab.page)
    tab.page.wait_for_selector(".chart canvas")
    controls = tab.page.evaluate(
        """() => [...document.querySelectorAll('a[href], button, input, select, textarea')]
              .filter(e => !e.disabled && e.offsetParent !== null).length"""
    )
    reached = set()
    for _ in range(controls + 20):  # scrollable regions (the stage row) are tab stops too
        tab.page.keyboard.press("Tab")
        reached.add(tab.page.evaluate(
            """() => { const e = document.activeElement; if (!e || e === document.body) return null;
                       const all = [...document.querySelectorAll('a[href], button, input, select, textarea')];
                       return all.indexOf(e); }"""
        ))  # fmt: skip
    reached.discard(None)
    missing = tab.page.evaluate(
        """reached => [...document.querySelectorAll('a[href], button, input, select, textarea')]
              .map((e, i) => [i, e.offsetParent !== null && !e.disabled, e.outerHTML.slice(0, 80)])
              .filter(([i, visible]) => visible && !reached.includes(i))""",
        sorted(reached),
    )
    assert missing == []
    # The focused control is visibly marked.
    tab.page.focus("header nav a")
    tab.page.keyboard.press("Tab")
    assert tab.page.evaluate("document.activeElement.tagName") == "A"
    outline = tab.page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_narrow_window_has_no_horizontal_page_scroll(browser: Any, app_service: Service):
    page = Page(browser, app_service.url, width=390)
    try:
        page.sign_in(app_service.key("admin"))
        shown_stages(page.page)
        page.page.wait_for_selector(".chart canvas")
        assert page.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        page.shot("journey-390px")
    finally:
        page.close()
    assert page.problems == []


def test_promote_and_roll_back_ask_for_confirmation_first(tab: Page, app_service: Service):
    """A candidate (the default model's own files under a new id) promoted from the app, then rolled back."""
    from vocengine.learning.registry import register
    from vocengine.store.tables import ModelVersion

    key = app_service.key("admin")
    before = api(app_service, key, "/v1/models")["active"]["id"]
    register(app_service.engine, ModelVersion(id="candidate-web", parent_id=before, status="candidate",
                                              path=str(PROJECT / "models" / "default"), labels_used=12))  # fmt: skip
    tab.sign_in(key)
    shown_stages(tab.page)
    tab.go("#/models")
    version = tab.page.locator('.version[data-version="candidate-web"]')
    version.locator("text=Promote…").click()
    dialog = tab.page.locator("dialog[open]")
    assert "candidate-web" in dialog.inner_text()
    dialog.locator("text=Cancel").click()
    assert api(app_service, key, "/v1/models")["active"]["id"] == before  # cancelled: nothing changed
    version.locator("text=Promote…").click()
    tab.page.locator("dialog[open] button.primary").click()
    tab.page.wait_for_selector('.version[data-version="candidate-web"] .status-active')
    assert api(app_service, key, "/v1/models")["active"]["id"] == "candidate-web"
    tab.shot("models-promoted")
    tab.page.click("text=Roll back…")
    tab.page.locator("dialog[open] button.primary").click()
    tab.page.wait_for_selector(f'.version[data-version="{before}"] .status-active')
    assert api(app_service, key, "/v1/models")["active"]["id"] == before


def test_admin_makes_a_key_in_the_app_and_revokes_it(browser: Any, tab: Page, app_service: Service):
    tab.sign_in(app_service.key("admin"))
    shown_stages(tab.page)
    tab.go("#/keys")
    tab.page.fill("form.key-create input[name=name]", "cx-reader")
    tab.page.click("form.key-create button[type=submit]")
    secret = tab.page.locator("input.secret").input_value()
    assert secret.startswith("voc_")
    prefix = secret.split("_")[1]
    tab.page.wait_for_selector(f'tr[data-key="{prefix}"]')
    tab.shot("keys")
    reader = Page(browser, app_service.url)
    try:
        reader.sign_in(secret)
        shown_stages(reader.page)
        assert "API keys" not in reader.page.inner_text("header nav")
    finally:
        reader.close()
    tab.page.locator(f'tr[data-key="{prefix}"] button').click()
    tab.page.locator("dialog[open] button.primary").click()
    tab.page.wait_for_selector(f'tr[data-key="{prefix}"] td:has-text("revoked")')
    with httpx.Client(base_url=app_service.url, headers={"X-API-Key": secret}) as client:
        assert client.get("/v1/journey").status_code == 401


def test_the_last_admin_key_cannot_be_revoked_through_the_api(service):
    from vocengine.usecases.keys import list_keys

    for record in list_keys(service.runtime):  # start from no active admin key but the one made here
        if "admin" in record.scopes:
            from vocengine.usecases.keys import revoke_key

            revoke_key(service.runtime, record.prefix)
    key = service.key("admin")
    with service.client() as client:
        client.headers["X-API-Key"] = key
        reply = client.delete(f"/v1/keys/{key.split('_')[1]}")
        assert reply.status_code == 409 and "last active admin key" in reply.json()["error"]["message"]
        other = client.post("/v1/keys", json={"name": "second admin", "scopes": ["admin"]}).json()
        assert client.delete(f"/v1/keys/{key.split('_')[1]}").status_code == 200
        assert client.get("/v1/keys/me").status_code == 401  # revoked: refused from now on
        client.headers["X-API-Key"] = other["key"]
        assert client.get("/v1/keys").json()[-1]["name"] == "second admin"
        assert client.post("/v1/keys", json={"scopes": ["root"]}).status_code == 422


def test_every_page_says_so_on_an_empty_database(browser: Any, default_analyzer: Any, tmp_path: Path):
    from vocengine.runtime import Runtime
    from vocengine.settings import Settings

    runtime = Runtime(Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}"), analyzer=default_analyzer)
    service, stop = serve(runtime)
    page = Page(browser, service.url)
    try:
        page.sign_in(service.key("admin"))
        page.page.wait_for_selector(".journey .notice")
        assert "No scored sentences" in page.page.inner_text(".journey .notice")
        page.shot("journey-empty")
        for route, text in [("#/moments", "No touchpoint has scored sentences"), ("#/trends", "No dated, scored sentences"),
                            ("#/accounts", "No account has comments"), ("#/queue", "Nothing to label"),
                            ("#/drill?touchpoint=kickoff", "No comments here")]:  # fmt: skip
            page.go(route)
            page.page.wait_for_selector(f"main :text('{text}')")
    finally:
        page.close()
        stop()
    assert page.problems == []
