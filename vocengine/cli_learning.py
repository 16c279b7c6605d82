"""Learning commands: `labels import|export`, `train`, `models list|promote|rollback`, `rescore`."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vocengine.cli_service import _engine
from vocengine.settings import get_settings


def cmd_labels(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from vocengine.learning import labels
    from vocengine.store.journeys import active_version, as_journey_map

    settings = get_settings()
    engine = _engine(settings)
    if args.labels_command == "export":
        out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
        count = 0
        with out:
            if args.effective:
                for entry in labels.effective_labels(engine):
                    out.write(json.dumps(entry.__dict__, ensure_ascii=False) + "\n")
                    count += 1
            else:
                for label in labels.history(engine):
                    out.write(json.dumps(labels.export_record(label), ensure_ascii=False) + "\n")
                    count += 1
        print(f"exported {count} labels", file=sys.stderr)
        return 0

    from vocengine.learning.labels import LabelError
    from vocengine.text.language import LanguageDetector
    from vocengine.text.redact import Redactor

    version = active_version(engine)
    if version is None:
        from vocengine.journey.maps import load_journey_map

        journey, map_id = load_journey_map(settings.journey_map), None
    else:
        journey, map_id = as_journey_map(version), version.id
    redactor = Redactor(None)
    detector = LanguageDetector()
    imported = skipped = refused = 0
    with open(args.input, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = labels.LabelRecord.model_validate_json(line)
                record.text, _ = redactor(record.text)
                if labels.import_record(engine, record, journey, map_id, settings.holdout_percent, detector):
                    imported += 1
                else:
                    skipped += 1
            except (ValidationError, LabelError) as exc:
                refused += 1
                message = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
                print(f"[E303] Line {number} of {args.input}: {message}", file=sys.stderr)
    print(f"imported {imported}, already stored {skipped}, refused {refused}")
    return 1 if refused and not imported and not skipped else 0


def cmd_train(args: argparse.Namespace) -> int:
    from training.datasets import DEFAULT_DATASET_DIR
    from training.gate import GateSettings
    from training.learn import NothingToLearn, learn
    from training.retrain import RetrainSettings
    from vocengine.learning.registry import ensure_registered_dir

    settings = get_settings()
    engine = _engine(settings)
    ensure_registered_dir(engine, settings.model_dir)
    retrain = RetrainSettings(epochs=args.epochs, public_examples=args.public_examples, seed=args.seed)
    gate = GateSettings(
        tolerance=args.tolerance,
        min_holdout=args.min_holdout,
        touchpoint_threshold=settings.touchpoint_threshold,
        touchpoint_top_k=settings.touchpoint_top_k,
    )
    try:
        result = learn(
            engine,
            settings,
            dataset_dir=args.dataset_dir or DEFAULT_DATASET_DIR,
            public_limit=args.public_limit or None,
            retrain=retrain,
            gate=gate,
            promote=not args.no_promote,
        )
    except NothingToLearn as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(result.table)
    state = (
        "promoted: it scores from now on; stored responses are rescored in the background"
        if result.promoted
        else result.version.status
    )
    print(f"model version {result.version.id}: {state}")
    print(f"files: {result.version.path}")
    return 0


def _version_line(v: Any) -> str:
    gate = (v.report or {}).get("decision", {})
    verdict = "" if not gate else ("gate: better" if gate.get("promote") else "gate: not better")
    return f"{v.id:<28} {v.status:<10} parent={v.parent_id or '-':<26} labels={v.labels_used:<5} {v.created_at:%Y-%m-%d %H:%M}  {verdict}"


def cmd_models(args: argparse.Namespace) -> int:
    from vocengine.learning import registry

    settings = get_settings()
    engine = _engine(settings)
    registry.ensure_registered_dir(engine, settings.model_dir)
    try:
        if args.models_command == "list":
            for version in registry.list_versions(engine):
                print(_version_line(version))
            return 0
        if args.models_command == "promote":
            version = registry.promote(engine, args.version, force=args.force)
        else:
            version = registry.rollback(engine)
    except (LookupError, registry.PromotionRefused) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"active: {version.id} (stored responses are rescored in the background, or now: vocengine rescore)")
    return 0


def cmd_rescore(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from vocengine.analyzer import Analyzer
    from vocengine.cli import _progress_enabled
    from vocengine.learning import registry, rescore
    from vocengine.worker import ActiveAnalyzer, ScoringWorker

    settings = get_settings()
    engine = _engine(settings)
    worker = ScoringWorker(engine, ActiveAnalyzer(engine, Analyzer.default(settings=settings)), settings)
    active = registry.active_model(engine)
    assert active is not None  # ActiveAnalyzer registers the default model on first use
    since = datetime.combine(args.since, datetime.min.time(), UTC) if args.since else None
    job = rescore.start_job(engine, active.id, since)
    if job.status == "done":
        print(f"rescore job {job.id}: done, 0 of 0 responses (all are scored by {active.id} already)")
        return 0
    claimed = rescore.claim_job(engine, worker.name, active.id, settings.worker_lease_seconds)
    if claimed is None:
        print(f"rescore job {job.id} queued ({job.total} responses); a running worker holds it", file=sys.stderr)
        return 0
    bar = tqdm(total=claimed.total, unit="response", desc=f"rescoring with {active.id}",
               disable=not _progress_enabled(args.progress, claimed.total), file=sys.stderr)  # fmt: skip
    finished = rescore.run_job(
        engine, claimed, worker.name, worker.rescore_rows, settings.rescore_batch_size,
        settings.worker_lease_seconds, progress=bar.update,
    )  # fmt: skip
    bar.close()
    print(f"rescore job {finished.id}: {finished.status}, {finished.done} of {finished.total} responses")
    return 0


def add_parsers(sub: Any) -> None:
    labels = sub.add_parser("labels", help="import or export CX leads' labels (JSONL)")
    labels_sub = labels.add_subparsers(dest="labels_command", required=True)
    export = labels_sub.add_parser("export", help="every label row (the history), one JSON object per line")
    export.add_argument("--out", default="-", help="file, or '-' for stdout")
    export.add_argument("--effective", action="store_true", help="the labels in force per text instead")
    imp = labels_sub.add_parser("import", help="labels from JSONL: text + sentiment/emotions/touchpoint per line")
    imp.add_argument("input", type=Path)
    labels.set_defaults(func=cmd_labels)

    train = sub.add_parser("train", help="train a candidate model on the labels; promote it if the gate says better")
    train.add_argument("--no-promote", action="store_true", help="register the candidate but leave the active one")
    train.add_argument("--tolerance", type=float, default=0.02, help="largest allowed fall of a public metric")
    train.add_argument("--min-holdout", type=int, default=5, help="held-out labels a task needs to count")
    train.add_argument("--public-limit", type=int, default=2000, help="public test examples per set (0: all)")
    train.add_argument("--public-examples", type=int, default=2000, help="public training examples mixed in")
    train.add_argument("--epochs", type=float, default=2.0)
    train.add_argument("--seed", type=int, default=13)
    train.add_argument("--dataset-dir", type=Path, default=None, help="public datasets (default: ../shared/datasets)")
    train.set_defaults(func=cmd_train)

    models = sub.add_parser("models", help="the model registry")
    models_sub = models.add_subparsers(dest="models_command", required=True)
    models_sub.add_parser("list", help="versions, newest first, with status and gate verdict")
    promote = models_sub.add_parser("promote", help="make a version active (rescoring follows)")
    promote.add_argument("version")
    promote.add_argument("--force", action="store_true", help="even a version the gate rejected")
    models_sub.add_parser("rollback", help="make the version active before the current one active again")
    models.set_defaults(func=cmd_models)

    rescore = sub.add_parser("rescore", help="rescore stored responses with the active model now, with progress")
    rescore.add_argument("--since", type=lambda s: datetime.strptime(s, "%Y-%m-%d").date(), default=None,
                         help="only responses submitted on or after this date (YYYY-MM-DD)")  # fmt: skip
    rescore.add_argument("--progress", choices=["auto", "always", "never"], default="auto")
    rescore.set_defaults(func=cmd_rescore)
