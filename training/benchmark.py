"""One evaluation suite: the default model (and any candidate) on held-out data only, beside baselines run in
the same command.

    python -m training.benchmark [--model DIR ...] [--quick] [--card] [--out FILE]

Every model is measured through the real `vocengine.analyzer.Analyzer` (cleaning, redaction, language check,
sentence splitting, one encoder pass, comment roll-up, touchpoint assignment). Baselines:
- sentiment: VADER (compound >= 0.05 positive, <= -0.05 negative, else neutral) and a logistic-regression probe on
  plain all-MiniLM-L6-v2 embeddings trained on the set's own train split (see each set's `train_source`);
- GoEmotions: the same probe, one-vs-rest, thresholds tuned per label on a sample of the dev split;
- zero-shot touchpoints: the same journey map (names, descriptions, examples from the train split) assigned
  through the same Analyzer on the plain MiniLM encoder;
- few-shot touchpoints: a probe on 20 labelled train sentences per touchpoint, on plain MiniLM and on each model's
  embeddings. The full labels -> `vocengine train` -> promoted model loop is a later step and is not run here.

Test sets are capped by a seeded sample (stated in the output). Figures are on filtered or re-split data: none of
them is a published benchmark result (see ../shared/datasets/README.md).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from training.benchmark_data import (
    LabelSet,
    SentimentSet,
    capped,
    goemotions,
    label_sets,
    per_label_sample,
    sentiment_sets,
    touchpoint_id,
)
from training.datasets import DEFAULT_DATASET_DIR
from training.metrics import f1_per_label, tune_thresholds
from vocengine.analyzer import Analyzer
from vocengine.journey.learned import LearnedTouchpoints
from vocengine.journey.maps import JourneyMap, Stage, Touchpoint, load_journey_map
from vocengine.model.artifact import build_network, load_config
from vocengine.model.base import resolve_base_model_path
from vocengine.model.decision import multilabel_predictions
from vocengine.model.labels import SENTIMENT_LABELS
from vocengine.model.predictor import Predictions, Predictor
from vocengine.settings import MODELS_DIR, Settings

log = logging.getLogger("training.benchmark")
DEFAULT_MODEL = MODELS_DIR / "default"
CARD_START = "<!-- benchmarks:start (python -m training.benchmark --card; do not edit by hand) -->"
CARD_END = "<!-- benchmarks:end -->"
PLAIN = "plain_minilm"
VADER = "vader"
PROBE = "probe_minilm"


@dataclass
class Options:
    dataset_dir: Path = DEFAULT_DATASET_DIR
    seed: int = 13
    cap: int = 1000  # test sentences (or reviews) per set
    review_cap: int = 400  # multi-sentence reviews cost ~8 sentences each
    train_cap: int = 1500  # probe training texts per sentiment set
    review_train_cap: int = 600
    goemotions_cap: int = 6000  # the whole test split (5,427): rare labels have a handful of test comments
    goemotions_train_cap: int = 8000
    goemotions_dev_cap: int = 2000
    examples_per_touchpoint: int = 5
    few_shot: int = 20
    max_labels: int | None = None  # touchpoints per label set (quick runs)
    quick: bool = False

    @classmethod
    def quick_options(cls, dataset_dir: Path = DEFAULT_DATASET_DIR) -> Options:
        return cls(
            dataset_dir=dataset_dir,
            cap=24,
            review_cap=8,
            train_cap=60,
            review_train_cap=30,
            goemotions_cap=60,
            goemotions_train_cap=200,
            goemotions_dev_cap=60,
            examples_per_touchpoint=2,
            few_shot=4,
            max_labels=3,
            quick=True,
        )


class CachedPredictor(Predictor):
    """A Predictor that runs each distinct text through the encoder once per run, whichever set asks."""

    def __init__(self, inner: Predictor) -> None:
        super().__init__(inner.network, inner.tokenizer, inner.config, inner.batch_size)
        self.model_dir, self.base_path = inner.model_dir, inner.base_path
        self._rows: dict[str, tuple[np.ndarray, ...]] = {}

    def predict(self, texts: list[str]) -> Predictions:
        missing = [t for t in dict.fromkeys(texts) if t not in self._rows]
        if missing:
            fresh = super().predict(missing)
            for i, text in enumerate(missing):
                self._rows[text] = (fresh.emotions[i], fresh.ekman[i], fresh.sentiment[i], fresh.embeddings[i])
        if not texts:
            return Predictions.empty(self.config)
        rows = [self._rows[t] for t in texts]
        return Predictions(*(np.stack([r[k] for r in rows]) for k in range(4)))


def plain_predictor(base_path: Path, like: Predictor) -> CachedPredictor:
    """The untouched base encoder behind the Predictor interface: its embeddings are the plain MiniLM ones
    (mean-pooled, normalised, same max length); its heads are random and never read."""
    torch.manual_seed(0)
    config = like.config.model_copy(update={"model_version": PLAIN, "hidden_size": like.config.hidden_size})
    network = build_network(base_path, config)
    predictor = Predictor(network.eval(), like.tokenizer, config, like.batch_size)
    predictor.base_path = base_path
    return CachedPredictor(predictor)


@dataclass
class System:
    name: str
    analyzer: Analyzer
    predictor: CachedPredictor


def load_system(model_dir: Path, base_path: Path | None, settings: Settings, journey: JourneyMap) -> System:
    predictor = CachedPredictor(Predictor.load(model_dir, base_path, settings.batch_size))
    analyzer = Analyzer(predictor, journey, settings, learned=LearnedTouchpoints.load(model_dir))
    return System(predictor.model_version, analyzer, predictor)


# -- metrics ---------------------------------------------------------------------------------------


def macro_f1_present(truth: Sequence[int], pred: Sequence[int]) -> float:
    """Macro-F1 over the classes present in `truth`; any other prediction (another class, -1 for none) only
    costs recall, so a 2-class set is not scored on a neutral class it does not have."""
    t, p = np.asarray(truth), np.asarray(pred)
    scores = []
    for c in np.unique(t):
        tp = float(((t == c) & (p == c)).sum())
        fp = float(((t != c) & (p == c)).sum())
        fn = float(((t == c) & (p != c)).sum())
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return round(float(np.mean(scores)), 4) if scores else 0.0


def probe(train_x: np.ndarray, train_y: Sequence[int], test_x: np.ndarray, seed: int) -> np.ndarray:
    """Logistic regression (L2, C=1, class-balanced) on standardised embeddings: predicted class per row."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    classes = np.unique(train_y)
    if len(classes) == 1:
        return np.full(len(test_x), classes[0])
    model = make_pipeline(
        StandardScaler(), LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced", random_state=seed)
    )
    model.fit(train_x, np.asarray(train_y))
    predicted: np.ndarray = model.predict(test_x)
    return predicted


def multilabel_probe_probs(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, seed: int) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(train_x)
    a, b = scaler.transform(train_x), scaler.transform(test_x)
    out = np.zeros((len(test_x), train_y.shape[1]))
    for j in range(train_y.shape[1]):
        if 0 < train_y[:, j].sum() < len(train_y):
            model = LogisticRegression(C=1.0, max_iter=2000, random_state=seed).fit(a, train_y[:, j])
            out[:, j] = model.predict_proba(b)[:, 1]
    return out


def vader_labels(texts: Sequence[str]) -> list[int]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    out = []
    for text in texts:
        compound = analyzer.polarity_scores(text)["compound"]
        label = "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"
        out.append(SENTIMENT_LABELS.index(label))
    return out


def analyzer_sentiment(analyzer: Analyzer, texts: Sequence[str]) -> tuple[list[int], int]:
    """The comment-level label the product shows; -1 (counted as a miss) where the text was left unscored."""
    labels, unscored = [], 0
    for comment in analyzer.analyze(list(texts)):
        if comment.scored and comment.sentiment is not None:
            labels.append(SENTIMENT_LABELS.index(comment.sentiment.label))
        else:
            labels.append(-1)
            unscored += 1
    return labels, unscored


# -- sections --------------------------------------------------------------------------------------


def run_sentiment(
    sets: list[SentimentSet], systems: list[System], plain: CachedPredictor, opts: Options
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for s in sets:
        started = time.perf_counter()
        review = s.level == "review"
        test = capped(s.test, opts.review_cap if review else opts.cap, opts.seed, s.name)
        train = capped(s.train, opts.review_train_cap if review else opts.train_cap, opts.seed, s.name + "-train")
        texts, truth = [t for t, _ in test], [y for _, y in test]
        figures: dict[str, Any] = {}
        for system in systems:
            pred, unscored = analyzer_sentiment(system.analyzer, texts)
            figures[system.name] = {"macro_f1": macro_f1_present(truth, pred), "unscored": unscored}
        figures[VADER] = {"macro_f1": macro_f1_present(truth, vader_labels(texts))}
        pred = probe(plain.embed([t for t, _ in train]), [y for _, y in train], plain.embed(texts), opts.seed)
        figures[PROBE] = {"macro_f1": macro_f1_present(truth, pred.tolist())}
        results[s.name] = {
            "rule": s.rule,
            "customer_domain": s.customer_domain,
            "level": s.level,
            "n_test": len(test),
            "n_test_available": len(s.test),
            "classes": sorted({SENTIMENT_LABELS[y] for y in truth}),
            "probe_train": {"source": s.train_source, "n": len(train)},
            "figures": figures,
        }
        log.info("sentiment %s: %d texts, %.0f s", s.name, len(test), time.perf_counter() - started)
    return results


def _multi_hot(rows: Sequence[Sequence[int] | None]) -> np.ndarray:
    return np.array([list(r) if r is not None else [] for r in rows], dtype=float)


def run_goemotions(root: Path, systems: list[System], plain: CachedPredictor, opts: Options) -> dict[str, Any]:
    started = time.perf_counter()
    splits = goemotions(root)
    test = capped(splits["test"], opts.goemotions_cap, opts.seed, "goemotions-test")
    train = capped(splits["train"], opts.goemotions_train_cap, opts.seed, "goemotions-train")
    dev = capped(splits["dev"], opts.goemotions_dev_cap, opts.seed, "goemotions-dev")
    texts = [e.text for e in test]
    truth28, truth_ekman = _multi_hot([e.emotions for e in test]), _multi_hot([e.ekman for e in test])
    figures: dict[str, Any] = {}
    for system in systems:
        config = system.predictor.config
        pred28 = np.zeros_like(truth28)
        pred_ekman = np.zeros_like(truth_ekman)
        unscored = 0
        for i, comment in enumerate(system.analyzer.analyze(texts)):
            if not comment.scored or comment.ekman is None:
                unscored += 1
                continue
            for label in comment.top_emotions:
                pred28[i, config.emotion_labels.index(label)] = 1
            ekman = np.array([[comment.ekman[label] for label in config.ekman_labels]])
            pred_ekman[i] = multilabel_predictions(ekman, system.predictor.ekman_thresholds)[0]
        figures[system.name] = {
            "macro_f1_28": round(float(f1_per_label(truth28, pred28).mean()), 4),
            "macro_f1_ekman": round(float(f1_per_label(truth_ekman, pred_ekman).mean()), 4),
            "unscored": unscored,
        }
    train_x, dev_x, test_x = (plain.embed([e.text for e in rows]) for rows in (train, dev, test))
    probe_figures: dict[str, float] = {}
    for key, attr in (("macro_f1_28", "emotions"), ("macro_f1_ekman", "ekman")):
        y_train = _multi_hot([getattr(e, attr) for e in train])
        y_dev = _multi_hot([getattr(e, attr) for e in dev])
        y_test = _multi_hot([getattr(e, attr) for e in test])
        thresholds = tune_thresholds(y_dev, multilabel_probe_probs(train_x, y_train, dev_x, opts.seed))
        pred = multilabel_predictions(multilabel_probe_probs(train_x, y_train, test_x, opts.seed), thresholds)
        probe_figures[key] = round(float(f1_per_label(y_test, pred).mean()), 4)
    figures[PROBE] = probe_figures
    log.info("goemotions: %d comments, %.0f s", len(test), time.perf_counter() - started)
    return {
        "rule": "GoEmotions original test split; models through Analyzer.analyze (sentences, then the comment "
        "roll-up): 28 labels = the comment's top_emotions, Ekman = the rolled-up Ekman probabilities over the "
        "model's Ekman thresholds; unscored comments count as predicting nothing",
        "n_test": len(test),
        "n_test_available": len(splits["test"]),
        "probe_train": {
            "source": "GoEmotions train sample; per-label thresholds tuned on a GoEmotions dev sample",
            "n": len(train),
            "n_dev": len(dev),
        },
        "figures": figures,
    }


def journey_for(label_set: LabelSet, examples: dict[str, list[str]]) -> JourneyMap:
    stages: dict[str, list[Touchpoint]] = {}
    for label in label_set.labels:
        stages.setdefault(label_set.groups[label], []).append(
            Touchpoint(
                id=touchpoint_id(label),
                name=label_set.names[label],
                description=label_set.descriptions[label],
                examples=examples.get(label, []),
            )
        )
    return JourneyMap(
        name=f"benchmark {label_set.name}",
        stages=[
            Stage(id=touchpoint_id(stage), name=stage, touchpoints=touchpoints) for stage, touchpoints in stages.items()
        ],
    )


def zero_shot(analyzer: Analyzer, texts: list[str], truth: list[str]) -> dict[str, float]:
    predicted = []
    for comment in analyzer.analyze(texts):
        predicted.append(comment.primary_touchpoint.touchpoint if comment.primary_touchpoint else None)
    classes = {label: i for i, label in enumerate(sorted(set(truth)))}
    pred = [classes.get(p, -1) if p is not None else -1 for p in predicted]
    return {
        "macro_f1": macro_f1_present([classes[t] for t in truth], pred),
        "unassigned": round(sum(p is None for p in predicted) / len(predicted), 4),
    }


def run_touchpoints(
    sets: list[LabelSet], systems: list[System], plain: CachedPredictor, opts: Options
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    plain_analyzer = Analyzer(plain, systems[0].analyzer.journey, systems[0].analyzer.settings)
    for s in sets:
        started = time.perf_counter()
        labels = s.labels[: opts.max_labels] if opts.max_labels else s.labels
        keep = set(labels)
        s = LabelSet(s.name, s.rule, labels, s.names, s.descriptions, s.groups, s.train, s.test, s.notes)
        train = [(t, y) for t, y in s.train if y in keep]
        test = capped([(t, y) for t, y in s.test if y in keep], opts.cap, opts.seed, s.name)
        sample = per_label_sample(train, max(opts.few_shot, opts.examples_per_touchpoint), opts.seed, s.name)
        journey = journey_for(s, {k: v[: opts.examples_per_touchpoint] for k, v in sample.items()})
        texts, truth = [t for t, _ in test], [touchpoint_id(y) for _, y in test]
        zero: dict[str, Any] = {}
        for system in [*systems, System(PLAIN, plain_analyzer, plain)]:
            zero[system.name] = zero_shot(system.analyzer.with_journey_map(journey), texts, truth)
        few_texts = [t for label in labels for t in sample.get(label, [])[: opts.few_shot]]
        few_labels = [label for label in labels for _ in sample.get(label, [])[: opts.few_shot]]
        truth_index = [labels.index(y) for _, y in test]
        few: dict[str, Any] = {}
        for system in [System(PLAIN, plain_analyzer, plain), *systems]:
            pred = probe(
                system.predictor.embed(few_texts),
                [labels.index(y) for y in few_labels],
                system.predictor.embed(texts),
                opts.seed,
            )
            few[f"probe_{system.name}"] = {"macro_f1": macro_f1_present(truth_index, pred.tolist())}
        per_class = [len(sample.get(label, [])[: opts.few_shot]) for label in labels]
        results[s.name] = {
            "rule": s.rule,
            "notes": s.notes,
            "touchpoints": len(labels),
            "stages": len(journey.stages),
            "examples_per_touchpoint": opts.examples_per_touchpoint,
            "n_test": len(test),
            "n_test_available": len(s.test),
            "zero_shot": zero,
            "few_shot": {"labels_per_touchpoint": {"min": min(per_class), "max": max(per_class)}, "figures": few},
        }
        log.info("touchpoints %s: %d texts, %.0f s", s.name, len(test), time.perf_counter() - started)
    return results


# -- bars ------------------------------------------------------------------------------------------


def check_bars(report: dict[str, Any], model: str) -> list[dict[str, Any]]:
    """The models issue's bars, each with the figure and the baseline it is held against."""
    bars: list[dict[str, Any]] = []
    for name, r in report["sentiment"].items():
        if r["customer_domain"]:
            got, vader = r["figures"][model]["macro_f1"], r["figures"][VADER]["macro_f1"]
            bars.append({"bar": f"sentiment {name} >= VADER + 0.15", "value": got, "target": round(vader + 0.15, 4)})
    go = report["goemotions"]["figures"][model]
    bars.append({"bar": "GoEmotions 28-label macro-F1 >= 0.50", "value": go["macro_f1_28"], "target": 0.50})
    bars.append({"bar": "GoEmotions Ekman macro-F1 >= 0.64", "value": go["macro_f1_ekman"], "target": 0.64})
    for name, r in report["touchpoints"].items():
        z = r["zero_shot"]
        bars.append(
            {
                "bar": f"zero-shot {name} >= plain MiniLM + 0.08",
                "value": z[model]["macro_f1"],
                "target": round(z[PLAIN]["macro_f1"] + 0.08, 4),
            }
        )
        bars.append(
            {"bar": f"zero-shot {name} unassigned <= 5%", "value": z[model]["unassigned"], "target": 0.05, "max": True}
        )
    for bar in bars:
        bar["met"] = bar["value"] <= bar["target"] if bar.pop("max", False) else bar["value"] >= bar["target"]
        bar["gap"] = round(bar["value"] - bar["target"], 4)
    return bars


# -- the suite -------------------------------------------------------------------------------------


def run_suite(
    model_dirs: Sequence[Path],
    opts: Options,
    base_path: Path | None = None,
    sections: Sequence[str] = ("sentiment", "goemotions", "touchpoints"),
) -> dict[str, Any]:
    started = time.perf_counter()
    settings = Settings()
    journey = load_journey_map(settings.journey_map)
    systems = [load_system(Path(d), base_path, settings, journey) for d in model_dirs]
    base = resolve_base_model_path(base_path or settings.base_model_path)
    plain = plain_predictor(base, systems[0].predictor)
    report: dict[str, Any] = {
        "suite": "training.benchmark",
        "models": {s.name: str(d) for s, d in zip(systems, model_dirs, strict=True)},
        "base_encoder": load_config(Path(model_dirs[0])).base_model,
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(opts).items() if k != "dataset_dir"},
        "settings": {
            "touchpoint_threshold": settings.touchpoint_threshold,
            "touchpoint_top_k": settings.touchpoint_top_k,
        },
        "caveat": "held-out parts of filtered or re-split public sets and project-written sentences: none of these "
        "figures is a published benchmark result (../shared/datasets/README.md)",
    }
    if "sentiment" in sections:
        sets = sentiment_sets(opts.dataset_dir)
        report["sentiment"] = run_sentiment(sets, systems, plain, opts)
        if "mams" not in {s.name for s in sets}:
            report["sentiment_left_out"] = [
                "MAMS: its sentences mix polarities by construction, fewer than 30 share one"
            ]
    if "goemotions" in sections:
        report["goemotions"] = run_goemotions(opts.dataset_dir, systems, plain, opts)
    if "touchpoints" in sections:
        sets_tp = label_sets(opts.dataset_dir, opts.few_shot, opts.seed)
        report["touchpoints"] = run_touchpoints(sets_tp, systems, plain, opts)
    if all(k in report for k in ("sentiment", "goemotions", "touchpoints")):
        report["bars"] = {s.name: check_bars(report, s.name) for s in systems}
    report["encoded_texts"] = {s.name: len(s.predictor._rows) for s in systems} | {PLAIN: len(plain._rows)}
    report["wall_seconds"] = round(time.perf_counter() - started, 1)
    return report


# -- rendering -------------------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    def cell(x: object) -> str:
        return f"{x:.3f}" if isinstance(x, float) else str(x)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(cell(x) for x in row) + " |" for row in rows]


def render_markdown(report: dict[str, Any]) -> str:
    models = list(report["models"])
    opts = report["options"]
    out = [
        f"Measured by `python -m training.benchmark` ({report.get('wall_seconds', 0) / 60:.1f} min, "
        f"{', '.join(models)}). Held-out data only; {report['caveat']}. Test sets are seeded samples of at most "
        f"{opts['cap']} sentences ({opts['review_cap']} multi-sentence reviews; GoEmotions up to "
        f"{opts['goemotions_cap']}), seed {opts['seed']}.",
    ]
    if "sentiment" in report:
        out += ["", "**Sentiment, macro-F1** (over the classes the set has; an unscored text counts as a miss)", ""]
        rows = []
        for name, r in report["sentiment"].items():
            f = r["figures"]
            rows.append(
                [f"{name}{'' if r['customer_domain'] else ' (not customer)'}", r["n_test"], len(r["classes"])]
                + [f[m]["macro_f1"] for m in models]
                + [f[VADER]["macro_f1"], f[PROBE]["macro_f1"], r["probe_train"]["n"]]
            )
        out += _table(["set", "n", "classes", *models, "VADER", "MiniLM probe", "probe train n"], rows)
        if report.get("sentiment_left_out"):
            out += ["", "Left out: " + "; ".join(report["sentiment_left_out"]) + "."]
    if "goemotions" in report:
        g = report["goemotions"]
        f = g["figures"]
        out += ["", f"**GoEmotions test** ({g['n_test']} comments, macro-F1; models through `Analyzer.analyze`)", ""]
        out += _table(
            ["labels", *models, "MiniLM probe"],
            [
                ["28 emotions", *[f[m]["macro_f1_28"] for m in models], f[PROBE]["macro_f1_28"]],
                ["Ekman 7", *[f[m]["macro_f1_ekman"] for m in models], f[PROBE]["macro_f1_ekman"]],
            ],
        )
    if "touchpoints" in report:
        t = report["touchpoints"]
        s = report["settings"]
        out += [
            "",
            f"**Zero-shot touchpoints, leave-dataset-out** (label set -> journey map with {opts['examples_per_touchpoint']} "
            f"train examples per touchpoint; test split through the Analyzer, threshold {s['touchpoint_threshold']}, "
            f"top-k {s['touchpoint_top_k']}; macro-F1 / share unassigned)",
            "",
        ]
        rows = []
        for name, r in t.items():
            z = r["zero_shot"]
            rows.append(
                [name, r["touchpoints"], r["n_test"]]
                + [f"{z[m]['macro_f1']:.3f} / {z[m]['unassigned']:.1%}" for m in [*models, PLAIN]]
            )
        out += _table(["set", "touchpoints", "n", *models, "plain MiniLM prototypes"], rows)
        out += [
            "",
            f"**Few-shot touchpoints** ({opts['few_shot']} labelled train sentences per touchpoint, fewer where the "
            "train split has fewer; logistic-regression probe, macro-F1). The through-the-CLI loop (labels -> "
            "`vocengine train` -> promoted model) is a later step and is not measured here.",
            "",
        ]
        rows = []
        for name, r in t.items():
            f = r["few_shot"]["figures"]
            per = r["few_shot"]["labels_per_touchpoint"]
            rows.append(
                [name, f"{per['min']}-{per['max']}" if per["min"] != per["max"] else per["min"]]
                + [f[f"probe_{PLAIN}"]["macro_f1"]]
                + [f[f"probe_{m}"]["macro_f1"] for m in models]
            )
        out += _table(
            ["set", "labels per touchpoint", "probe on plain MiniLM", *[f"probe on {m}" for m in models]], rows
        )
    for model, bars in report.get("bars", {}).items():
        met = sum(b["met"] for b in bars)
        out += ["", f"**Bars of the models issue, {model}**: {met} of {len(bars)} met", ""]
        out += _table(
            ["bar", "value", "target", "gap", "met"],
            [[b["bar"], b["value"], b["target"], f"{b['gap']:+.3f}", "yes" if b["met"] else "no"] for b in bars],
        )
    return "\n".join(out) + "\n"


def card_section(report: dict[str, Any]) -> str:
    return "\n".join([CARD_START, "## Benchmarks (held-out, beside baselines)", "", render_markdown(report), CARD_END])


def update_card(card: str, report: dict[str, Any]) -> str:
    """The card with its benchmark section replaced, or inserted before "## Known limits"."""
    section = card_section(report)
    pattern = re.compile(re.escape(CARD_START) + r".*?" + re.escape(CARD_END), re.S)
    if pattern.search(card):
        return pattern.sub(lambda _: section, card)
    marker = "## Known limits"
    if marker in card:
        return card.replace(marker, section + "\n\n" + marker, 1)
    return card.rstrip("\n") + "\n\n" + section + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, action="append", default=[], help="a candidate model folder (repeatable)")
    parser.add_argument("--default-model", type=Path, default=DEFAULT_MODEL, help="the model the bars are held to")
    parser.add_argument("--base-model", type=Path, default=None, help="local base encoder (default: packaged)")
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASET_DIR)
    parser.add_argument("--quick", action="store_true", help="tiny samples: checks the suite runs, measures nothing")
    parser.add_argument("--cap", type=int, default=None, help="test sentences per set (default 1000)")
    parser.add_argument("--out", type=Path, default=None, help="JSON report (default: <default-model>/benchmarks.json)")
    parser.add_argument("--card", action="store_true", help="update the default model's MODEL_CARD.md section")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    torch.set_num_threads(args.threads)
    random.seed(0)
    opts = Options.quick_options(args.datasets) if args.quick else Options(dataset_dir=args.datasets)
    if args.cap:
        opts.cap = args.cap
    report = run_suite([args.default_model, *args.model], opts, args.base_model)
    report["command"] = "python -m training.benchmark " + " ".join(argv if argv is not None else sys.argv[1:])
    markdown = render_markdown(report)
    print(markdown)
    out = args.out or (None if args.quick else args.default_model / "benchmarks.json")
    if out:
        out.write_text(json.dumps(report, indent=2) + "\n")
    if args.card:
        card = args.default_model / "MODEL_CARD.md"
        card.write_text(update_card(card.read_text(encoding="utf-8"), report), encoding="utf-8")


if __name__ == "__main__":
    main()
