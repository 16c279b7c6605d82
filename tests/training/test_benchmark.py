"""The benchmark suite on a tiny random model and tiny samples: every section runs, every figure is in range."""

import json

import pytest

from training.benchmark import (
    CARD_END,
    CARD_START,
    PLAIN,
    PROBE,
    VADER,
    Options,
    macro_f1_present,
    render_markdown,
    run_suite,
    update_card,
)


def test_macro_f1_counts_only_the_classes_the_set_has():
    # A 2-class set: a neutral prediction is a miss for its true class, not a third class scoring 0.
    assert macro_f1_present([0, 0, 2, 2], [0, 1, 2, 2]) == pytest.approx(round((2 / 3 + 1) / 2, 4))
    assert macro_f1_present([0, 2], [-1, -1]) == 0.0


def in_range(value: float) -> bool:
    return 0.0 <= value <= 1.0


@pytest.fixture(scope="module")
def tiny_report(tiny_model_dir, tiny_base):
    from tests.conftest import DATASETS_COMPONENT

    datasets = DATASETS_COMPONENT.get()
    return run_suite([tiny_model_dir], Options.quick_options(datasets), base_path=tiny_base)


def test_suite_measures_every_section_beside_its_baselines(tiny_report):
    report = tiny_report
    model = "tiny-test"
    assert list(report["models"]) == [model]
    opts = Options.quick_options()
    assert len(report["sentiment"]) >= 8
    for name, r in report["sentiment"].items():
        assert 0 < r["n_test"] <= max(opts.cap, opts.review_cap), name
        assert set(r["figures"]) == {model, VADER, PROBE}
        assert all(in_range(f["macro_f1"]) for f in r["figures"].values())
        assert 0 < r["probe_train"]["n"] <= opts.train_cap
    go = report["goemotions"]
    assert go["n_test"] == opts.goemotions_cap
    for figures in (go["figures"][model], go["figures"][PROBE]):
        assert in_range(figures["macro_f1_28"]) and in_range(figures["macro_f1_ekman"])
    assert len(report["touchpoints"]) == 6
    for name, r in report["touchpoints"].items():
        assert r["touchpoints"] == opts.max_labels, name
        assert set(r["zero_shot"]) == {model, PLAIN}
        assert all(in_range(z["macro_f1"]) and in_range(z["unassigned"]) for z in r["zero_shot"].values())
        assert set(r["few_shot"]["figures"]) == {f"probe_{PLAIN}", f"probe_{model}"}
        assert all(in_range(f["macro_f1"]) for f in r["few_shot"]["figures"].values())
    bars = report["bars"][model]
    assert {"GoEmotions 28-label macro-F1 >= 0.50", "GoEmotions Ekman macro-F1 >= 0.64"} <= {b["bar"] for b in bars}
    assert all(isinstance(b["met"], bool) for b in bars)
    json.dumps(report)  # the report is plain JSON


def test_markdown_and_card_section_are_replaced_not_stacked(tiny_report):
    markdown = render_markdown(tiny_report)
    for name in [*tiny_report["sentiment"], *tiny_report["touchpoints"]]:
        assert name in markdown
    card = "# Model card\n\n## Metrics\nx\n\n## Known limits\n- none\n"
    once = update_card(card, tiny_report)
    twice = update_card(once, tiny_report)
    assert once == twice
    assert once.count(CARD_START) == 1 and once.count(CARD_END) == 1
    assert once.index(CARD_END) < once.index("## Known limits")
