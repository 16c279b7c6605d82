"""`vocengine report --from-db`: the journey report of the responses stored and scored in the service's
database (tiny model, real SQLite), with the filters the API's insight queries take."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from sqlalchemy import select

from tests.vocengine.test_report import report_data, sentence
from vocengine.cli import main
from vocengine.ingest import ResponseCreate
from vocengine.journey.maps import load_journey_map
from vocengine.report.data import _Tally
from vocengine.runtime import Runtime
from vocengine.settings import Settings, get_settings
from vocengine.store.journeys import ensure_active
from vocengine.store.tables import sentence_result
from vocengine.usecases.responses import store_responses
from vocengine.worker import ScoringWorker

TEXTS = [
    "The onboarding call was a mess. Support answered within minutes.",
    "Renewal pricing went up again and nobody told us.",
    "The invoice was wrong twice. Great product though.",
    "Setting up the data import took a week.",
    "Our account manager is helpful and quick.",
    "The dashboard is slow every morning.",
]


@pytest.fixture
def stored(database_url, db_engine, tiny_analyzer, monkeypatch):
    """Six scored responses: admins in EMEA in January, end users in APAC in March."""
    runtime = Runtime(Settings(touchpoint_threshold=-1.0), engine=db_engine, analyzer=tiny_analyzer)
    ensure_active(db_engine, tiny_analyzer.journey)
    items = [
        ResponseCreate(
            source="survey" if i % 2 else "ticket",
            external_id=f"r{i}",
            text=text,
            channel="email",
            persona="admin" if i < 4 else "end_user",
            segments={"region": "EMEA" if i < 4 else "APAC"},
            submitted_at=f"2026-0{1 if i < 4 else 3}-1{i}T10:00:00Z",
        )
        for i, text in enumerate(TEXTS)
    ]
    store_responses(runtime, items)
    ScoringWorker(runtime, "test").drain()
    monkeypatch.setenv("VOCENGINE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield db_engine
    get_settings.cache_clear()


def report(tmp_path, *args: str) -> dict:
    out = tmp_path / "journey.html"
    assert main(["report", "--from-db", "--out", str(out), *args]) == 0
    html = out.read_text()
    data = report_data(html)
    for stage in data["stages"]:
        assert stage["name"] in html
    return data


def stored_sentences(engine, *where) -> int:
    sr = sentence_result.c
    query = select(sr.id).where(sr.sentiment.is_not(None), sr.stage.is_not(None), *where)
    with engine.connect() as connection:
        return len(connection.execute(query).all())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_report_from_db_counts_the_stored_analyses_and_follows_the_filters(stored, tmp_path, capsys):
    everything = report(tmp_path)
    journey = load_journey_map(Settings().journey_map)
    assert [s["id"] for s in everything["stages"]] == [s.id for s in journey.stages]
    assert everything["totals"]["rows"] == 6
    assert sum(s["sentences"] for s in everything["stages"]) == stored_sentences(stored)
    assert {p["persona"] for p in everything["personas"]} == {"admin", "end_user"}
    assert everything["trends"] is not None
    for stage in everything["stages"]:
        for touchpoint in stage["touchpoints"]:
            assert len(touchpoint["examples"]) <= 3
    assert "responses: 6" in capsys.readouterr().out

    sr = sentence_result.c
    admins = report(tmp_path, "--persona", "admin")
    assert admins["totals"]["rows"] == 4
    assert sum(s["sentences"] for s in admins["stages"]) == stored_sentences(stored, sr.persona == "admin")
    assert "persona=admin" in admins["source"]
    apac = report(tmp_path, "--segment", "region:APAC", "--channel", "email")
    assert apac["totals"]["rows"] == 2 and {p["persona"] for p in apac["personas"]} == {"end_user"}
    march = report(tmp_path, "--from", "2026-03-01", "--to", "2026-04-01T00:00:00+00:00")
    assert march["totals"]["rows"] == 2
    assert report(tmp_path, "--source", "survey")["totals"]["rows"] == 3
    assert report(tmp_path, "--persona", "nobody")["totals"]["rows"] == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["comments.csv", "--from-db"], "not both"),
        (["--from-db", "--segment", "region"], "is not name:value"),
        (["--from-db", "--from", "2026-03-01", "--to", "2026-01-01"], "date_from must be before date_to"),
        (["--from-db", "--journey-map", "map.yaml"], "journey map in force"),
        (["comments.csv", "--persona", "admin"], "--persona: filters apply to --from-db"),
        ([], "give INPUT"),
    ],
)
def test_report_refuses_bad_input_with_exit_code_2(stored, tmp_path, capsys, args, message):
    assert main(["report", "--out", str(tmp_path / "r.html"), *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_report_refuses_a_date_that_is_not_one(stored, tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["report", "--from-db", "--out", str(tmp_path / "r.html"), "--from", "last tuesday"])
    assert exited.value.code == 2 and "is not an ISO 8601 date" in capsys.readouterr().err


def test_a_touchpoint_keeps_only_the_examples_it_can_show_and_picks_as_from_all():
    texts = [(f"s{i}", ("negative", "neutral", "positive")[i % 3]) for i in range(60)]
    bounded, everything = _Tally(), _Tally()
    for i, (text, label) in enumerate(texts):
        bounded.add(i, sentence(text, label, "s", "t"), keep_example=True)
        everything.examples.append((0.8 if label == "negative" else 0.1, label, text))
    assert len(bounded.examples) <= 12
    assert bounded.pick_examples() == everything.pick_examples()
    assert Counter(e["sentiment"] for e in bounded.pick_examples()) == {"negative": 2, "positive": 1}
    assert re.fullmatch(r"s\d+", bounded.pick_examples()[0]["text"])
