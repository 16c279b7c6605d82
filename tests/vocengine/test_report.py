"""`vocengine report`: one self-contained HTML file, its numbers the analysis's, opened in a real browser."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from vocengine.cli import main
from vocengine.io.readers import Record
from vocengine.io.summary import RunSummary
from vocengine.journey.maps import load_journey_map
from vocengine.report.data import ReportBuilder
from vocengine.report.html import asset, manifest
from vocengine.schemas import CommentAnalysis, SentenceAnalysis, Sentiment
from vocengine.settings import Settings

PROJECT = Path(__file__).resolve().parents[2]
ASSETS = PROJECT / "vocengine" / "report" / "assets"
SAMPLE = PROJECT / "examples" / "feedback_sample.csv"


def report_data(html: str) -> dict:
    block = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    assert block is not None
    return json.loads(block.group(1))


def sentence(text: str, label: str, stage: str | None, touchpoint: str | None) -> SentenceAnalysis:
    scores = {"negative": 0.1, "neutral": 0.1, "positive": 0.1} | {label: 0.8}
    return SentenceAnalysis(
        text=text, start=0, end=len(text), sentiment=Sentiment(label=label, scores=scores), top_emotions=[],
        emotions={"joy": 0.9 if label == "positive" else 0.1, "anger": 0.8 if label == "negative" else 0.1},
        stage=stage, touchpoint=touchpoint, touchpoint_score=0.5,
    )  # fmt: skip


def comment(*sentences: SentenceAnalysis) -> CommentAnalysis:
    return CommentAnalysis(
        id=None, text=" ".join(s.text for s in sentences), language="en", scored=True, sentiment=None, emotions=None,
        top_emotions=[], ekman=None, touchpoints=[], primary_touchpoint=None, sentences=list(sentences),
        model_version="t", journey_map="t",
    )  # fmt: skip


def test_vendored_chart_library_matches_its_manifest():
    for entry in manifest()["vendored"]:
        digest = hashlib.sha256((ASSETS / entry["file"]).read_bytes()).hexdigest()
        assert digest == entry["sha256"], f"{entry['file']} is not {entry['package']} {entry['version']}"
        for licence in entry["license_files"]:
            assert (ASSETS / licence).stat().st_size > 100


def test_builder_counts_judges_and_ranks_like_the_insights():
    journey = load_journey_map(Settings().journey_map)
    stage = journey.stages[0]
    tp = stage.touchpoints[0]
    builder = ReportBuilder(journey)
    summary = RunSummary(journey)
    rows = [comment(sentence(f"Bad {i}.", "negative", stage.id, tp.id)) for i in range(4)]
    rows += [comment(sentence("Good.", "positive", stage.id, tp.id), sentence("Hm.", "neutral", None, None))]
    for i, result in enumerate(rows):
        builder.add(
            Record(i + 1, str(i), result.text, fields={"persona": "admin", "submitted_at": f"2026-10-0{i + 1}"}), result
        )
        summary.add(result)
    data = builder.build(summary)
    first = data["stages"][0]
    assert (first["sentences"], first["comments"], first["moment"]) == (5, 5, "negative")
    assert first["sentiment"]["negative"] == 4 and first["net_sentiment"] == -60.0
    assert [e["label"] for e in first["top_emotions"]][:1] == ["anger"]
    assert all(s["moment"] is None and s["sentences"] == 0 for s in data["stages"][1:])  # too few to judge
    assert data["totals"]["unassigned_sentences"] == 1
    assert data["moments"][0]["touchpoint"] == tp.id and data["moments"][0]["impact"] == 4
    examples = data["stages"][0]["touchpoints"][0]["examples"]
    assert [e["sentiment"] for e in examples][:2] == ["negative", "positive"]
    assert data["personas"][0]["persona"] == "admin"
    assert data["trends"]["interval"] == "day" and len(data["trends"]["periods"]) == 5


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory, default_analyzer) -> Path:
    out = tmp_path_factory.mktemp("report") / "journey.html"
    assert main(["report", str(SAMPLE), "--out", str(out), "--progress", "never"]) == 0
    return out


@pytest.fixture(scope="module")
def sample_analysis(tmp_path_factory, default_analyzer) -> list[dict]:
    out = tmp_path_factory.mktemp("analysis") / "a.jsonl"
    assert main(["analyze", str(SAMPLE), "--out", str(out), "--progress", "never"]) == 0
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_report_is_self_contained_with_every_stage_in_journey_order(sample_report):
    html = sample_report.read_text()
    assert re.findall(r'\b(?:src|href)\s*=\s*["\']?[a-z]+:', html) == []  # no URL to fetch or follow
    assert "<link" not in html and "@import" not in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert asset(manifest()["vendored"][0]["file"]) in html
    names = [s.name for s in load_journey_map(Settings().journey_map).stages]
    positions = [html.index(f"<h3>{name}</h3>") for name in names]
    assert positions == sorted(positions)


def test_report_numbers_are_the_analysis_numbers(sample_report, sample_analysis):
    data = report_data(sample_report.read_text())
    sentences = [s for row in sample_analysis for s in row.get("sentences", []) if s["sentiment"]]
    by_stage = Counter(s["stage"] for s in sentences)
    by_touchpoint = Counter((s["stage"], s["touchpoint"]) for s in sentences)
    negative = Counter(s["stage"] for s in sentences if s["sentiment"]["label"] == "negative")
    assert data["totals"]["rows"] == len(sample_analysis)
    for stage in data["stages"]:
        assert stage["sentences"] == by_stage[stage["id"]]
        assert stage["sentiment"]["negative"] == negative[stage["id"]]
        for tp in stage["touchpoints"]:
            assert tp["sentences"] == by_touchpoint[(stage["id"], tp["id"])]
    assert data["totals"]["unassigned_sentences"] == by_stage[None]
    assert {p["persona"] for p in data["personas"]} == {"admin", "buyer", "developer", "end_user", "executive"}
    assert data["trends"] is not None


def test_analyze_writes_the_same_report(tmp_path, sample_report):
    out = tmp_path / "j.html"
    assert main(["analyze", str(SAMPLE), "--out", str(tmp_path / "a.jsonl"), "--report", str(out)]) == 0
    mine, theirs = report_data(out.read_text()), report_data(sample_report.read_text())
    assert mine["stages"] == theirs["stages"] and mine["moments"] == theirs["moments"]


def test_report_in_a_real_browser_offline(sample_report, chromium_path, tmp_path):
    from playwright.sync_api import sync_playwright

    data = report_data(sample_report.read_text())
    problems: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=["--no-sandbox"])
        try:
            context = browser.new_context(offline=True, viewport={"width": 1400, "height": 900})
            context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else (
                requests.append(route.request.url), route.abort()))  # fmt: skip
            page = context.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: None if r.url.startswith("file:") else requests.append(r.url))
            page.goto(sample_report.as_uri())
            page.wait_for_function("document.documentElement.getAttribute('data-charts') !== null")
            stages = page.locator("article.stage")
            shown = [(stages.nth(i).locator("h3").inner_text(), int(stages.nth(i).locator(".volume .n").inner_text()))
                     for i in range(stages.count())]  # fmt: skip
            assert shown == [(s["name"], s["sentences"]) for s in data["stages"]]
            assert page.get_attribute("html", "data-charts") == "3"  # curve, personas, trends
            for chart in ("#curve-chart", "#persona-chart", "#trend-chart"):
                assert page.locator(f"{chart} canvas").count() >= 1
                box = page.locator(f"{chart} canvas").first.bounding_box()
                assert box is not None and box["width"] > 300 and box["height"] > 200
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert problems == []
    assert requests == []
    shot = PROJECT / "out" / "report.png"
    if shot.parent.is_dir():
        shutil.copy(tmp_path / "report.png", shot)
