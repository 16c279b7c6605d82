"""`vocengine labels | train | models | rescore`: the command line on the service's database, tiny model."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from vocengine.cli import main
from vocengine.learning import registry
from vocengine.settings import get_settings
from vocengine.store.db import make_engine
from vocengine.store.tables import CommentResult

TOPICS = {
    "kickoff": "The kick-off call with our onboarding manager was {}.",
    "support_tickets": "The answer to my support ticket was {}.",
    "renewal_pricing": "The renewal quote for next year was {}.",
}
WORDS = {"negative": ["awful", "late", "confusing"], "neutral": ["as expected", "standard", "ordinary"],
         "positive": ["great", "quick", "clear"]}  # fmt: skip


def label_lines() -> list[str]:
    lines = []
    for touchpoint, template in TOPICS.items():
        for sentiment, words in WORDS.items():
            for i, word in enumerate(words):
                for suffix in ("", " this time", " again", f" on call {i}"):
                    text = template.format(word + suffix)
                    lines.append(json.dumps({"text": text, "touchpoint": touchpoint, "sentiment": sentiment}))
    return lines


@pytest.fixture
def learning_cli(database_url, tmp_path, monkeypatch, tiny_model_dir, tiny_base):
    monkeypatch.setenv("VOCENGINE_DATABASE_URL", database_url)
    monkeypatch.setenv("VOCENGINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("VOCENGINE_MODEL_DIR", str(tiny_model_dir))
    monkeypatch.setenv("VOCENGINE_BASE_MODEL_PATH", str(tiny_base))
    get_settings.cache_clear()
    yield make_engine(database_url)
    get_settings.cache_clear()


def test_labels_import_export_round_trip_names_bad_lines(learning_cli, tmp_path, capsys):
    path = tmp_path / "labels.jsonl"
    lines = label_lines()[:6]
    french = '{"text": "Le service client était vraiment très lent.", "sentiment": "negative"}'
    path.write_text("\n".join([*lines, '{"text": "x", "touchpoint": "checkout"}', "{not json", french, ""]) + "\n")
    assert main(["labels", "import", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "imported 6, already stored 0, refused 3" in out
    assert "Line 9 of" in err and "English only" in err
    assert "Line 7 of" in err and "checkout" in err and "Line 8 of" in err
    exported = tmp_path / "export.jsonl"
    assert main(["labels", "export", "--out", str(exported)]) == 0
    rows = [json.loads(line) for line in exported.read_text().splitlines()]
    assert [r["text"] for r in rows] == [json.loads(line)["text"] for line in lines]
    assert {r["labelled_by"] for r in rows} == {"import"} and {r["split"] for r in rows} <= {"train", "holdout"}
    # The export imports back as the same rows: nothing is stored twice.
    capsys.readouterr()
    assert main(["labels", "import", str(exported)]) == 0
    assert "imported 0, already stored 6, refused 0" in capsys.readouterr().out


def test_train_promote_rescore_rollback_from_the_command_line(learning_cli, tmp_path, capsys, datasets_dir):
    responses = tmp_path / "responses.csv"
    responses.write_text(
        "id,text\n" + "\n".join(f"r{i},The renewal quote {i} was late. Support was quick." for i in range(5))
    )
    assert main(["import", str(responses), "--progress", "never"]) == 0
    assert main(["worker", "--once"]) == 0
    labels = tmp_path / "labels.jsonl"
    labels.write_text("\n".join(label_lines()) + "\n")
    assert main(["labels", "import", str(labels)]) == 0
    capsys.readouterr()

    args = ["train", "--no-promote", "--public-limit", "30", "--public-examples", "30", "--epochs", "1",
            "--dataset-dir", str(datasets_dir)]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "# Evaluation gate: ft-" in out and "| held-out labels | **touchpoint** (accuracy)" in out
    version_id = out.split("model version ")[1].split(":")[0]
    candidate = registry.get_version(learning_cli, version_id)
    assert candidate.status in ("candidate", "rejected") and candidate.labels_used > 50
    assert (tmp_path / "models" / version_id / "MODEL_CARD.md").is_file()

    assert main(["models", "list"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].startswith(version_id) and "tiny-test" in listing[1] and "active" in listing[1]

    assert main(["models", "promote", version_id, "--force"]) == 0
    assert registry.active_model(learning_cli).id == version_id
    assert main(["rescore", "--progress", "never"]) == 0
    assert "done, 5 of 5 responses" in capsys.readouterr().out
    with learning_cli.connect() as connection:
        assert set(connection.execute(select(CommentResult.__table__.c.model_version)).scalars()) == {version_id}
    # Rescoring again with nothing stale, or only since a date after everything, finds nothing to do.
    assert main(["rescore", "--since", "2999-01-01", "--progress", "never"]) == 0
    assert "done, 0 of 0 responses" in capsys.readouterr().out

    assert main(["models", "rollback"]) == 0
    assert registry.active_model(learning_cli).id == "tiny-test"
    assert main(["models", "promote", "no-such-version"]) == 2
    assert "not in the registry" in capsys.readouterr().err
