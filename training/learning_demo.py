"""Show that the engine learns a journey map it has never seen from a few labels per touchpoint.

    python -m training.learning_demo --per-touchpoint 5 20 [--json out/learning_demo.json]

For each label budget, on a fresh database and a real API server (`vocengine serve` without its worker):
1. put the pet-care practice map (training/data/learning_demo/journey_map.yaml) through the API;
2. score the evaluation sentences through `POST /v1/analyze`: the zero-shot assignment;
3. give `per_touchpoint` labelled sentences per touchpoint (and as many "none of these") through
   `POST /v1/labels` (texts not stored as responses);
4. `vocengine train` (in this process, same database): candidate, evaluation gate, promotion;
5. score the evaluation sentences again through the same running server, which has switched to the
   promoted version without a restart.

The evaluation sentences are the same 20 per touchpoint (and 20 "none") in every run and are never
labels. Labels the gate holds out (a fixed ~20%, by text hash) are not trained on either.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from training.gate import GateSettings, PublicSets, measure
from training.learn import learn
from training.retrain import RetrainSettings
from vocengine.journey.learned import NONE

DEMO_DIR = Path(__file__).resolve().parent / "data" / "learning_demo"
EVAL_PER_TOUCHPOINT = 20


def demo_split(per_touchpoint: int, seed: int = 13) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(labels, evaluation): a seeded shuffle per touchpoint; the last 20 evaluate, the first N label."""
    by_touchpoint: dict[str, list[dict[str, str]]] = defaultdict(list)
    for line in (DEMO_DIR / "sentences.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            by_touchpoint[row["touchpoint"]].append(row)
    labels, evaluation = [], []
    for touchpoint in sorted(by_touchpoint):
        rows = by_touchpoint[touchpoint][:]
        random.Random(f"{seed}-{touchpoint}").shuffle(rows)
        if per_touchpoint > len(rows) - EVAL_PER_TOUCHPOINT:
            raise ValueError(
                f"{touchpoint} has {len(rows)} sentences: at most {len(rows) - EVAL_PER_TOUCHPOINT} can be labels"
            )
        evaluation += rows[-EVAL_PER_TOUCHPOINT:]
        labels += rows[:per_touchpoint]
    return labels, evaluation


def accuracy(client: Any, evaluation: list[dict[str, str]]) -> dict[str, Any]:
    """Touchpoint accuracy of the running service on the evaluation sentences, via POST /v1/analyze."""
    guesses: list[str] = []
    version = ""
    for start in range(0, len(evaluation), 100):
        chunk = evaluation[start : start + 100]
        reply = client.post("/v1/analyze", json={"texts": [r["text"] for r in chunk]})
        reply.raise_for_status()
        for result in reply.json()["results"]:
            version = result["model_version"]
            sentence = result["sentences"][0] if result["sentences"] else {}
            guesses.append(sentence.get("touchpoint") or NONE)
    truth = [r["touchpoint"] for r in evaluation]
    hits = [g == t for g, t in zip(guesses, truth, strict=True)]
    touchpoint_rows = [i for i, t in enumerate(truth) if t != NONE]
    per_touchpoint = {
        t: round(sum(hits[i] for i, x in enumerate(truth) if x == t) / truth.count(t), 3) for t in sorted(set(truth))
    }
    return {
        "model_version": version,
        "accuracy": round(sum(hits) / len(hits), 3),
        "accuracy_touchpoints_only": round(sum(hits[i] for i in touchpoint_rows) / len(touchpoint_rows), 3),
        "n": len(hits),
        "per_touchpoint": per_touchpoint,
    }


def candidate_accuracy(model_dir: str, settings: Any, evaluation: list[dict[str, str]]) -> dict[str, Any]:
    """The candidate's accuracy on the evaluation sentences, promoted or not, computed as the gate does."""
    from vocengine.journey.maps import load_journey_map
    from vocengine.learning.labels import EffectiveLabel

    rows = [
        EffectiveLabel(f"e{i}", r["text"], "eval", None, None, r["touchpoint"], None, None)
        for i, r in enumerate(evaluation)
    ]
    gate = GateSettings(touchpoint_threshold=settings.touchpoint_threshold, touchpoint_top_k=settings.touchpoint_top_k)
    journey = load_journey_map(DEMO_DIR / "journey_map.yaml")
    scores = measure(Path(model_dir), settings.base_model_path, journey, rows, PublicSets(), gate)["holdout"][
        "touchpoint"
    ]
    return {"accuracy": scores["accuracy"], "n": scores["n"]}


def run_demo(
    api_url: str,
    admin_key: str,
    engine: Any,
    settings: Any,
    per_touchpoint: int,
    *,
    dataset_dir: Path | None = None,
    public_limit: int | None = 500,
    retrain: RetrainSettings | None = None,
    with_sentiment: bool = False,
) -> dict[str, Any]:
    import httpx

    labels, evaluation = demo_split(per_touchpoint)
    journey = yaml.safe_load((DEMO_DIR / "journey_map.yaml").read_text(encoding="utf-8"))
    with httpx.Client(base_url=api_url, headers={"X-API-Key": admin_key}, timeout=300) as client:
        client.put("/v1/journey-maps", json=journey).raise_for_status()
        before = accuracy(client, evaluation)
        for row in labels:
            body = {"text": row["text"], "touchpoint": row["touchpoint"]}
            if with_sentiment:
                body["sentiment"] = row["sentiment"]
            client.post("/v1/labels", json=body).raise_for_status()
        started = time.perf_counter()
        kwargs: dict[str, Any] = {"dataset_dir": dataset_dir} if dataset_dir else {}
        result = learn(
            engine,
            settings,
            public_limit=public_limit,
            retrain=retrain,
            gate=GateSettings(
                touchpoint_threshold=settings.touchpoint_threshold, touchpoint_top_k=settings.touchpoint_top_k
            ),
            **kwargs,
        )
        train_seconds = time.perf_counter() - started
        after = accuracy(client, evaluation)
    report = result.version.report or {}
    candidate = candidate_accuracy(result.version.path or "", settings, evaluation)
    return {
        "per_touchpoint": per_touchpoint,
        "labels_given": len(labels),
        "labels": report.get("labels"),
        "zero_shot": before,
        "after": after,
        "candidate": candidate,
        "gate": report.get("decision"),
        "promoted": result.promoted,
        "version": result.version.id,
        "train_and_gate_seconds": round(train_seconds, 1),
        "gate_table": result.table,
    }


def main(argv: list[str] | None = None) -> None:
    import logging

    from sqlmodel import Session

    from vocengine.bench_service import start_server
    from vocengine.settings import Settings
    from vocengine.store.db import make_engine, migrate
    from vocengine.store.keys import create_key

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-touchpoint", type=int, nargs="+", default=[5, 20])
    parser.add_argument("--public-limit", type=int, default=500, help="public test examples per set for the gate")
    parser.add_argument("--with-sentiment", action="store_true", help="labels carry the sentiment too (fine-tuning)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    runs = []
    for budget in args.per_touchpoint:
        folder = Path(tempfile.mkdtemp(prefix=f"vocengine-demo-{budget}-"))
        url = f"sqlite:///{folder}/vocengine.db"
        settings = Settings(database_url=url, data_dir=folder)
        engine = make_engine(url)
        migrate(engine)
        with Session(engine) as session:
            key, _ = create_key(session, ["admin"])
        server, api = start_server(url)
        try:
            run = run_demo(
                api, key, engine, settings, budget, public_limit=args.public_limit, with_sentiment=args.with_sentiment
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
        print(run.pop("gate_table"))
        print(json.dumps(run, indent=2))
        runs.append(run)
    print("\n| labels per touchpoint | zero-shot | candidate | gate: held-out labels | promoted | served after |")
    print("|---|---|---|---|---|---|")
    for run in runs:
        z, c, a = run["zero_shot"], run["candidate"], run["after"]
        print(f"| {run['per_touchpoint']} | {z['accuracy']:.3f} | {c['accuracy']:.3f} | {run['gate']['reasons'][0]} | "
              f"{run['promoted']} | {a['accuracy']:.3f} ({a['model_version']}) |")  # fmt: skip
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(runs, indent=2) + "\n")


if __name__ == "__main__":
    main()
