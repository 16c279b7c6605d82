"""`vocengine analyze` through its real entry point, on real files, with the default models."""

import io
import json
import sys

import pytest

from vocengine.cli import main


@pytest.fixture(autouse=True)
def _share_loaded_models(default_analyzer):
    """The CLI builds its analyzer through Analyzer.default(), which reuses the loaded predictor."""


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_csv_with_a_malformed_row_names_it_and_processes_the_rest(tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text(
        "id,text,persona\n"
        "a1,The onboarding call was a mess.,admin\n"
        "a2,this row has,too,many,fields\n"
        'a3,"Support answered within an hour, great job.",buyer\n'
        "a4,,admin\n"
    )
    out = tmp_path / "out.jsonl"
    assert main(["analyze", str(source), "--out", str(out), "--progress", "never"]) == 0
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == ["a1", "a2", "a3", "a4"]
    assert rows[1]["row"] == 2 and rows[1]["error"]["code"] == "E302"
    assert (
        "Row 2 of" in rows[1]["error"]["message"] and "5 fields where the header has 3" in rows[1]["error"]["message"]
    )
    assert rows[0]["sentiment"]["label"] == "negative" and rows[2]["sentiment"]["label"] == "positive"
    assert [f["code"] for f in rows[3]["flags"]] == ["W401"]
    captured = capsys.readouterr()
    assert "Row 2 of" in captured.err
    assert "rows: 4" in captured.out and "errors: 1" in captured.out and "onboarding" in captured.out


def test_jsonl_with_bad_lines_keeps_going(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"id": 1, "text": "Great product."}\n'
        "{not json}\n"
        '{"id": 3, "text": 42}\n'
        '{"id": 4, "body": "wrong column"}\n'
        '{"id": 5, "text": "Billing is a mess."}\n'
    )
    out = tmp_path / "out.jsonl"
    assert main(["analyze", str(source), "--out", str(out), "--progress", "never"]) == 0
    rows = read_jsonl(out)
    assert [r.get("error", {}).get("code") for r in rows] == [None, "E302", "E302", "E302", None]
    assert "invalid JSON" in rows[1]["error"]["message"]
    assert "'text' is a int, not a string" in rows[2]["error"]["message"]
    assert "'text' is missing" in rows[3]["error"]["message"]
    assert rows[0]["id"] == "1" and rows[4]["id"] == "5"


def test_custom_columns_and_invalid_utf8_in_csv(tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(b"ticket,body\nT-1,The invoice was wrong \xff again.\n")
    out = tmp_path / "out.jsonl"
    args = ["analyze", str(source), "--out", str(out), "--text-column", "body", "--id-column", "ticket"]
    assert main([*args, "--progress", "never"]) == 0
    [row] = read_jsonl(out)
    assert row["id"] == "T-1" and row["scored"] and "W404" in [f["code"] for f in row["flags"]]


def test_missing_text_column_is_a_clear_error(tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text("id,comment\n1,hello\n")
    assert main(["analyze", str(source), "--out", str(tmp_path / "o.jsonl")]) == 2
    assert "has no column 'text'; columns are id, comment" in capsys.readouterr().err


def test_plain_lines_from_stdin_to_stdout(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"Delivery was late.\nLove the new app!\n")))
    assert main(["analyze", "-", "--out", "-", "--progress", "never"]) == 0
    captured = capsys.readouterr()
    rows = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["id"] for r in rows] == ["1", "2"]
    assert "rows: 2" in captured.err  # the summary goes to stderr when stdout carries the data


def test_user_journey_map_is_used_and_an_invalid_one_is_refused(tmp_path, capsys):
    source = tmp_path / "in.txt"
    source.write_text("The parcel arrived crushed and two weeks late.\n")
    good = tmp_path / "map.yaml"
    good.write_text(
        "name: Parcels\nstages:\n  - id: delivery\n    name: Delivery\n    touchpoints:\n"
        "      - id: courier\n        name: Courier\n        description: Parcel delivery by the courier, late or damaged parcels.\n"
        '        examples: ["The parcel came late", "The box was damaged"]\n'
    )
    out = tmp_path / "out.jsonl"
    assert main(["analyze", str(source), "--out", str(out), "--journey-map", str(good)]) == 0
    assert read_jsonl(out)[0]["primary_touchpoint"]["touchpoint"] == "courier"

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: Parcels\nstages:\n  - id: Delivery Stage\n    name: D\n    touchpoints: []\n")
    assert main(["analyze", str(source), "--out", str(out), "--journey-map", str(bad)]) == 2
    assert "invalid at stages.0.id" in capsys.readouterr().err


def test_progress_bar_on_stderr_for_long_inputs(tmp_path, capsys):
    source = tmp_path / "in.txt"
    source.write_text("The dashboard is slow.\n" * 300)
    assert main(["analyze", str(source), "--out", str(tmp_path / "o.jsonl"), "--progress", "always"]) == 0
    err = capsys.readouterr().err
    assert "analysing" in err and "300/300" in err
