"""Learning commands: `labels import|export`, `train`, `models list|promote|rollback`, `rescore`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from vocengine.cli import _util


def cmd_labels(args: argparse.Namespace) -> int:
    from vocengine.learning import labels

    runtime = _util.runtime()
    if args.labels_command == "export":
        out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
        count = 0
        with out:
            if args.effective:
                for entry in labels.effective_labels(runtime.engine):
                    out.write(json.dumps(entry.__dict__, ensure_ascii=False) + "\n")
                    count += 1
            else:
                for label in labels.history(runtime.engine):
                    out.write(json.dumps(labels.export_record(label), ensure_ascii=False) + "\n")
                    count += 1
        print(f"exported {count} labels", file=sys.stderr)
        return 0

    from vocengine.usecases.labels import import_labels

    with open(args.input, encoding="utf-8") as handle:
        report = import_labels(runtime, enumerate(handle, start=1), str(args.input))
    for line in report.refused:
        print(line, file=sys.stderr)
    print(f"imported {report.imported}, already stored {report.already_stored}, refused {len(report.refused)}")
    return 1 if report.refused and not report.imported and not report.already_stored else 0


def cmd_train(args: argparse.Namespace) -> int:
    from training.datasets import DEFAULT_DATASET_DIR
    from training.learn import train
    from vocengine.learning.registry import ensure_registered_dir
    from vocengine.learning.training import NothingToLearn, TrainRequest

    runtime = _util.runtime()
    ensure_registered_dir(runtime.engine, runtime.settings.model_dir)
    # The same request, and the same `train`, as a run started from the API as a job (POST /v1/models/train).
    request = TrainRequest(
        promote=not args.no_promote, tolerance=args.tolerance, min_holdout=args.min_holdout,
        public_limit=args.public_limit or None, public_examples=args.public_examples, epochs=args.epochs,
        seed=args.seed,
    )  # fmt: skip
    try:
        result = train(runtime.engine, runtime.settings, request, dataset_dir=args.dataset_dir or DEFAULT_DATASET_DIR)
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
    from vocengine.learning.registry import PromotionRefused
    from vocengine.usecases import models

    runtime = _util.runtime()
    try:
        if args.models_command == "list":
            for version in models.list_models(runtime):
                print(_version_line(version))
            return 0
        if args.models_command == "promote":
            version = models.promote_model(runtime, args.version, force=args.force)
        else:
            version = models.rollback_model(runtime)
    except (LookupError, PromotionRefused) as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    print(f"active: {version.id} (stored responses are rescored in the background, or now: vocengine rescore)")
    return 0


def cmd_rescore(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from vocengine.jobs.runner import run_job
    from vocengine.store import jobs
    from vocengine.usecases.models import start_rescore
    from vocengine.worker import worker_name

    runtime = _util.runtime()
    job = start_rescore(runtime, args.since)
    version = job.params["model_version"]
    total = job.progress_total or 0
    if job.status == "done":
        print(f"rescore job {job.id}: done, 0 of 0 responses (all are scored by {version} already)")
        return 0
    bar = tqdm(total=total, unit="response", desc=f"rescoring with {version}",
               disable=not _util.progress_enabled(args.progress, total), file=sys.stderr)  # fmt: skip
    ran = run_job(runtime, job.id or 0, worker_name(), progress=bar.update)
    bar.close()
    if not ran:
        print(f"rescore job {job.id} queued ({total} responses); a running worker holds it", file=sys.stderr)
        return 0
    finished = jobs.get(runtime.engine, job.id or 0)
    print(f"rescore job {finished.id}: {finished.status}, {finished.progress_done} of {total} responses")
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
    rescore.add_argument("--since", type=_util.day, default=None,
                         help="only responses submitted on or after this date (YYYY-MM-DD)")  # fmt: skip
    rescore.add_argument("--progress", choices=["auto", "always", "never"], default="auto")
    rescore.set_defaults(func=cmd_rescore)
