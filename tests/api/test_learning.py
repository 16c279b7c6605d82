"""Learning from labels end to end on the tiny model: labels through the API, train, gate, promotion."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file
from sqlmodel import Session

from training.gate import GateSettings, decide
from training.learn import NothingToLearn, learn
from training.learning_demo import demo_split, run_demo
from training.retrain import RetrainSettings
from vocengine.learning import registry
from vocengine.learning.labels import HOLDOUT, TRAIN, LabelValues, add_label, effective_labels, split_of
from vocengine.settings import Settings

FAST = RetrainSettings(epochs=1, public_examples=40, batch_size=8)


def learning_settings(service, tiny_base, tmp_path) -> Settings:
    return service.settings.model_copy(update={"base_model_path": tiny_base, "data_dir": tmp_path})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_new_map_is_learnt_from_labels_given_through_the_api(service, tiny_base, tmp_path, datasets_dir):
    """The learning demonstration on the tiny model: 10 labels per touchpoint of a map it never saw."""
    settings = learning_settings(service, tiny_base, tmp_path)
    run = run_demo(
        service.url,
        service.key("admin"),
        service.engine,
        settings,
        10,
        dataset_dir=datasets_dir,
        public_limit=50,
        retrain=FAST,
    )
    assert run["labels_given"] == 120
    assert run["labels"]["train"] + run["labels"]["holdout"] == 120
    assert run["labels"]["holdout"] >= 5  # the gate has held-out labels to decide on
    assert run["promoted"] and run["gate"]["promote"], run["gate_table"]
    # The running service switched to the promoted version, and it assigns the unseen map better (the tiny random encoder gains less than the real one).
    assert run["zero_shot"]["model_version"] == "tiny-test"
    assert run["after"]["model_version"] == run["version"]
    assert run["after"]["accuracy"] > run["zero_shot"]["accuracy"] + 0.05
    # What the gate's code measures for the candidate is what the service then serves.
    assert round(run["candidate"]["accuracy"], 3) == run["after"]["accuracy"]
    version = registry.get_version(service.engine, run["version"])
    assert version.status == "active" and version.parent_id == "tiny-test" and version.data_hash
    assert (tmp_path / "models" / run["version"] / "MODEL_CARD.md").is_file()
    report = json.loads((tmp_path / "models" / run["version"] / "evaluation.json").read_text())
    assert report["decision"]["promote"] and "touchpoint" in report["candidate"]["holdout"]


def test_demo_split_keeps_the_evaluation_sentences_out_of_every_label_budget():
    labels_5, evaluation_5 = demo_split(5)
    labels_20, evaluation_20 = demo_split(20)
    assert evaluation_5 == evaluation_20
    evaluated = {r["text"] for r in evaluation_5}
    assert not evaluated & {r["text"] for r in labels_20}
    assert {r["text"] for r in labels_5} <= {r["text"] for r in labels_20}
    assert len(labels_5) == 12 * 5 and len(evaluation_5) == 12 * 20


def test_sentiment_labels_fine_tune_the_classifiers_and_the_gate_judges(service, tiny_base, tmp_path, datasets_dir):
    settings = learning_settings(service, tiny_base, tmp_path)
    registry.ensure_registered_dir(service.engine, service.analyzer.predictor.model_dir)
    words = {"negative": "awful broken slow", "neutral": "a plain ordinary", "positive": "great lovely fast"}
    for i in range(60):
        sentiment = ("negative", "neutral", "positive")[i % 3]
        text = f"The {words[sentiment]} invoice number {i}."
        add_label(
            service.engine, LabelValues(sentiment=sentiment), text=text, labelled_by="test", journey_map_id=None,
            holdout_percent=settings.holdout_percent,
        )  # fmt: skip
    result = learn(
        service.engine, settings, dataset_dir=datasets_dir, public_limit=40, retrain=FAST, promote=False,
        gate=GateSettings(touchpoint_threshold=-1.0),
    )  # fmt: skip
    assert result.summary.fine_tuned and result.summary.classifier_labels > 40 and result.summary.public_examples == 40
    parent = load_file(str(service.analyzer.predictor.model_dir / "weights.safetensors"))
    child = load_file(str(tmp_path / "models" / result.version.id / "weights.safetensors"))
    assert not torch.equal(parent["sentiment_head.weight"], child["sentiment_head.weight"])
    report = result.version.report
    assert report is not None and report["candidate"]["holdout"]["sentiment"]["n"] == report["labels"]["holdout"]
    assert set(report["candidate"]["public"]) == {
        "goemotions_macro_f1_28", "goemotions_macro_f1_ekman", "tweets_sentiment_macro_f1"
    }  # fmt: skip
    assert "| held-out labels | **sentiment** (macro_f1)" in result.table
    # Not promoted on request, whatever the gate said; the active version is unchanged.
    assert result.version.status in ("candidate", "rejected") and not result.promoted
    assert registry.active_model(service.engine).id == "tiny-test"


def test_nothing_to_learn_without_training_labels(service, tiny_base, tmp_path, datasets_dir):
    settings = learning_settings(service, tiny_base, tmp_path)
    registry.ensure_registered_dir(service.engine, service.analyzer.predictor.model_dir)
    with pytest.raises(NothingToLearn, match="no training labels"):
        learn(service.engine, settings, dataset_dir=datasets_dir)


def test_split_is_fixed_by_the_text_and_about_a_fifth_is_held_out():
    texts = [f"sentence number {i}" for i in range(2000)]
    splits = [split_of(t, 20) for t in texts]
    assert 0.17 < splits.count(HOLDOUT) / len(splits) < 0.23
    assert split_of("The  Portal was SLOW", 20) == split_of("the portal was slow", 20)
    assert set(splits) == {HOLDOUT, TRAIN}


def _figures(n: int, touchpoint: float, public: float) -> dict:
    return {"holdout": {"touchpoint": {"n": n, "accuracy": touchpoint, "per_label": {}}}, "public": {"tweets": public}}


def test_gate_rules():
    cfg = GateSettings(tolerance=0.02, min_holdout=5)
    assert decide(_figures(9, 0.5, 0.70), _figures(9, 0.6, 0.69), cfg)["promote"]
    # Better on labels but the public set fell beyond the tolerance: refused, and the reason says so.
    worse_public = decide(_figures(9, 0.5, 0.70), _figures(9, 0.6, 0.67), cfg)
    assert not worse_public["promote"] and any("beyond the tolerance" in r for r in worse_public["reasons"])
    assert not decide(_figures(9, 0.5, 0.70), _figures(9, 0.5, 0.70), cfg)["promote"]  # not better
    too_few = decide(_figures(3, 0.5, 0.70), _figures(3, 0.9, 0.70), cfg)
    assert not too_few["promote"] and any("fewer than 5" in r for r in too_few["reasons"])


def test_labels_of_the_same_target_merge_per_task(db_engine):
    add_label(
        db_engine, LabelValues(touchpoint="kickoff"), text="x", labelled_by="a", journey_map_id=None, holdout_percent=20
    )
    add_label(
        db_engine, LabelValues(sentiment="negative"), text="x", labelled_by="b", journey_map_id=None, holdout_percent=20
    )
    add_label(
        db_engine, LabelValues(touchpoint="none"), text="x", labelled_by="c", journey_map_id=None, holdout_percent=20
    )
    [merged] = effective_labels(db_engine)
    assert (merged.touchpoint, merged.sentiment) == ("none", "negative")
    with Session(db_engine) as session:
        assert (
            len(
                session.exec(
                    __import__("sqlmodel").select(__import__("vocengine.store.tables", fromlist=["Label"]).Label)
                ).all()
            )
            == 3
        )
