"""The evaluation gate: is the candidate better than the active version on labels it never trained on,
and not worse, beyond a stated tolerance, on the public test sets?

Both versions are measured here, the same way, on the same data: the held-out part of the labels (fixed
by a hash of each text, see `vocengine.learning.labels.split_of`) scored with the active journey map, and
the public sets (GoEmotions test: 28 labels and Ekman; our held-out tweets: sentiment).

Rules (stated in every report):
- a task (touchpoint, sentiment, emotion) counts when it has at least `min_holdout` held-out labels;
- held-out: the mean of the counted tasks' scores must rise, and no counted task may fall by more
  than `tolerance`;
- public: no public metric may fall by more than `tolerance`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from training.datasets import Example
from training.metrics import f1_per_label, macro_f1_multiclass
from vocengine.journey.assign import TouchpointAssigner
from vocengine.journey.learned import NONE, LearnedTouchpoints
from vocengine.journey.maps import JourneyMap
from vocengine.learning.labels import TASKS, EffectiveLabel
from vocengine.model.decision import multilabel_predictions
from vocengine.model.labels import EMOTION_LABELS, SENTIMENT_LABELS
from vocengine.model.predictor import Predictor

PRIMARY = {"touchpoint": "accuracy", "sentiment": "macro_f1", "emotion": "macro_f1"}
SMALL_HOLDOUT = 20  # below this many held-out labels the report warns that the verdict rests on a few sentences


@dataclass
class PublicSets:
    goemotions: list[Example] = field(default_factory=list)
    tweets: list[Example] = field(default_factory=list)


@dataclass
class GateSettings:
    tolerance: float = 0.02
    min_holdout: int = 5
    touchpoint_threshold: float = 0.30
    touchpoint_top_k: int = 3


def measure(
    model_dir: Path,
    base_path: Path | None,
    journey: JourneyMap,
    holdout: list[EffectiveLabel],
    public: PublicSets,
    cfg: GateSettings,
) -> dict[str, Any]:
    """Every figure the gate compares, for one model version."""
    predictor = Predictor.load(model_dir, base_path)
    assigner = TouchpointAssigner.build(
        journey, predictor.embed, cfg.touchpoint_threshold, cfg.touchpoint_top_k
    ).with_learned(LearnedTouchpoints.load(model_dir))
    return {"holdout": holdout_scores(predictor, assigner, holdout), "public": public_scores(predictor, public)}


def holdout_scores(predictor: Predictor, assigner: TouchpointAssigner, holdout: list[EffectiveLabel]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not holdout:
        return out
    predictions = predictor.predict([e.text for e in holdout])
    tp_rows = [i for i, e in enumerate(holdout) if e.touchpoint is not None]
    if tp_rows:
        assigned = assigner.assign(predictions.embeddings[tp_rows])
        truth = [str(holdout[i].touchpoint) for i in tp_rows]
        guess = [a.touchpoint if a else NONE for a in assigned]
        per_label: dict[str, dict[str, float]] = {}
        for label in sorted(set(truth)):
            rows = [j for j, t in enumerate(truth) if t == label]
            per_label[label] = {"n": len(rows), "accuracy": _round(np.mean([guess[j] == label for j in rows]))}
        out["touchpoint"] = {
            "n": len(tp_rows),
            "accuracy": _round(np.mean([g == t for g, t in zip(guess, truth, strict=True)])),
            "per_label": per_label,
        }
    s_rows = [i for i, e in enumerate(holdout) if e.sentiment is not None]
    if s_rows:
        truth_s = np.array([SENTIMENT_LABELS.index(str(holdout[i].sentiment)) for i in s_rows])
        guess_s = predictions.sentiment[s_rows].argmax(1)
        classes = sorted(set(truth_s.tolist()))
        f1 = f1_per_label(np.eye(3)[truth_s], np.eye(3)[guess_s])
        out["sentiment"] = {
            "n": len(s_rows),
            # Over the classes the held-out labels hold: a class nobody labelled says nothing either way.
            "macro_f1": _round(f1[classes].mean()),
            "accuracy": _round((truth_s == guess_s).mean()),
            "per_label": {SENTIMENT_LABELS[c]: {"n": int((truth_s == c).sum()), "f1": _round(f1[c])} for c in classes},
        }
    e_rows = [i for i, e in enumerate(holdout) if e.emotions is not None]
    if e_rows:
        truth_e = np.array([[int(label in (holdout[i].emotions or [])) for label in EMOTION_LABELS] for i in e_rows])
        guess_e = multilabel_predictions(predictions.emotions[e_rows], predictor.emotion_thresholds)
        present = np.flatnonzero(truth_e.sum(0) > 0)
        f1 = f1_per_label(truth_e.astype(float), guess_e)
        out["emotion"] = {
            "n": len(e_rows),
            "macro_f1": _round(f1[present].mean()),
            "per_label": {EMOTION_LABELS[c]: {"n": int(truth_e[:, c].sum()), "f1": _round(f1[c])} for c in present},
        }
    return out


def public_scores(predictor: Predictor, public: PublicSets) -> dict[str, float]:
    out: dict[str, float] = {}
    if public.goemotions:
        predictions = predictor.predict([e.text for e in public.goemotions])
        truth = np.array([e.emotions for e in public.goemotions], dtype=float)
        guess = multilabel_predictions(predictions.emotions, predictor.emotion_thresholds)
        out["goemotions_macro_f1_28"] = _round(f1_per_label(truth, guess).mean())
        truth_k = np.array([e.ekman for e in public.goemotions], dtype=float)
        guess_k = multilabel_predictions(predictions.ekman, predictor.ekman_thresholds)
        out["goemotions_macro_f1_ekman"] = _round(f1_per_label(truth_k, guess_k).mean())
    if public.tweets:
        predictions = predictor.predict([e.text for e in public.tweets])
        truth_t = np.array([e.sentiment for e in public.tweets])
        out["tweets_sentiment_macro_f1"] = _round(macro_f1_multiclass(truth_t, predictions.sentiment.argmax(1), 3)[0])
    return out


def decide(current: dict[str, Any], candidate: dict[str, Any], cfg: GateSettings) -> dict[str, Any]:
    """Promote or not, with the reasons in words, from the two versions' figures."""
    reasons: list[str] = []
    counted: dict[str, float] = {}
    for task in TASKS:
        mine, theirs = candidate["holdout"].get(task), current["holdout"].get(task)
        if mine is None or theirs is None:
            continue
        metric = PRIMARY[task]
        if mine["n"] < cfg.min_holdout:
            reasons.append(f"{task}: {mine['n']} held-out labels, fewer than {cfg.min_holdout}: not counted")
            continue
        delta = mine[metric] - theirs[metric]
        counted[task] = delta
        reasons.append(f"{task} {metric} on {mine['n']} held-out labels: {theirs[metric]:.3f} -> {mine[metric]:.3f}")
    ok = True
    if not counted:
        ok = False
        reasons.append(f"no task has {cfg.min_holdout} held-out labels: nothing shows the candidate is better")
    else:
        mean_delta = float(np.mean(list(counted.values())))
        if mean_delta <= 0:
            ok = False
            reasons.append(f"held-out labels: mean change {mean_delta:+.3f}, not better")
        for name, delta in counted.items():
            if delta < -cfg.tolerance:
                ok = False
                reasons.append(f"{name} fell by {-delta:.3f}, more than the tolerance {cfg.tolerance}")
    smallest = min((candidate["holdout"][task]["n"] for task in counted), default=0)
    if counted and smallest < SMALL_HOLDOUT:
        reasons.append(
            f"only {smallest} held-out labels: one label moves a score by {1 / smallest:.3f}; "
            "label more to let the gate see small gains"
        )
    for metric, theirs in current["public"].items():
        mine = candidate["public"].get(metric)
        if mine is None:
            continue
        if mine < theirs - cfg.tolerance:
            ok = False
            reasons.append(f"public {metric} fell {theirs:.3f} -> {mine:.3f}, beyond the tolerance {cfg.tolerance}")
        else:
            reasons.append(f"public {metric}: {theirs:.3f} -> {mine:.3f} (tolerance {cfg.tolerance})")
    return {"promote": ok, "reasons": reasons, "tolerance": cfg.tolerance, "min_holdout": cfg.min_holdout}


def report_table(
    current_id: str, candidate_id: str, current: dict[str, Any], candidate: dict[str, Any], decision: dict[str, Any]
) -> str:
    """The report as a readable Markdown table, per task and per label."""
    lines = [
        f"# Evaluation gate: {candidate_id} against {current_id}",
        "",
        f"**Decision: {'promote' if decision['promote'] else 'do not promote'}**",
        "",
        *[f"- {reason}" for reason in decision["reasons"]],
        "",
        "| set | task / label | n | current | candidate | change |",
        "|---|---|---|---|---|---|",
    ]
    for task in TASKS:
        mine, theirs = candidate["holdout"].get(task), current["holdout"].get(task)
        if not mine or not theirs:
            continue
        metric = PRIMARY[task]
        lines.append(_row("held-out labels", f"**{task}** ({metric})", mine["n"], theirs[metric], mine[metric]))
        value = "accuracy" if task == "touchpoint" else "f1"
        for label, figures in mine["per_label"].items():
            before = theirs["per_label"].get(label, {}).get(value, 0.0)
            lines.append(_row("held-out labels", f"{task}: {label}", figures["n"], before, figures[value]))
    for metric, theirs in current["public"].items():
        if metric in candidate["public"]:
            lines.append(_row("public test", metric, None, theirs, candidate["public"][metric]))
    return "\n".join(lines) + "\n"


def _row(where: str, what: str, n: int | None, before: float, after: float) -> str:
    return f"| {where} | {what} | {'' if n is None else n} | {before:.3f} | {after:.3f} | {after - before:+.3f} |"


def _round(value: Any) -> float:
    return round(float(value), 4)
