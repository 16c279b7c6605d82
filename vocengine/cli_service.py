"""The service's commands: `serve`, `worker`, `import`, `keys create|list|revoke`."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vocengine.settings import Settings, get_settings

IMPORT_BATCH = 500
KNOWN_FIELDS = ("source", "channel", "persona", "account_id", "contact_id", "submitted_at", "score", "score_type")


def _engine(settings: Settings) -> Any:
    from vocengine.store.db import make_engine, migrate

    engine = make_engine(settings.resolved_database_url())
    migrate(engine)
    return engine


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from vocengine.store.keys import create_key

    settings = get_settings()
    engine = _engine(settings)
    from sqlmodel import Session, func, select

    from vocengine.store.tables import ApiKey

    with Session(engine) as session:
        if session.exec(select(func.count()).select_from(ApiKey)).one() == 0:
            key, _ = create_key(session, ["admin"], name="first admin key")
            print(f"First start: an admin key was made. Keep it, it is shown only once:\n\n    {key}\n", flush=True)
    print(f"database: {_safe_url(settings.resolved_database_url())}", flush=True)
    # By import string: the library never imports the api package (data flows one way).
    uvicorn.run("api.main:create_app", factory=True, host=args.host, port=args.port, log_level="info")
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def cmd_worker(args: argparse.Namespace) -> int:
    import signal

    from vocengine.analyzer import Analyzer
    from vocengine.worker import ActiveAnalyzer, ScoringWorker

    settings = get_settings()
    engine = _engine(settings)
    worker = ScoringWorker(engine, ActiveAnalyzer(engine, Analyzer.default(settings=settings)), settings)
    signal.signal(signal.SIGTERM, lambda *_: worker.stop())
    print(f"worker {worker.name} on {_safe_url(settings.resolved_database_url())}", file=sys.stderr, flush=True)
    if args.once:
        while worker.run_once():
            pass
        return 0
    try:
        worker.run_forever()
    except KeyboardInterrupt:
        worker.stop()
    return 0


def _import_items(args: argparse.Namespace, errors: list[str]) -> Iterator[tuple[int, Any]]:
    from pydantic import ValidationError

    from vocengine.ingest import ResponseCreate
    from vocengine.io.readers import read_records

    for record in read_records(args.input, args.format, args.text_column, args.id_column):
        if record.error:
            errors.append(record.error)
            continue
        text = record.text.decode("utf-8", "replace") if isinstance(record.text, bytes) else record.text
        fields = {k: v for k, v in record.fields.items() if v not in ("", None)}
        data: dict[str, Any] = {k: fields.pop(k) for k in KNOWN_FIELDS if k in fields}
        data.setdefault("source", args.source)
        data["segments"] = {k: v for k, v in fields.items() if isinstance(v, str | int | float | bool)}
        try:
            yield record.row, ResponseCreate(external_id=record.id or str(record.row), text=text or "", **data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "row"
            errors.append(f"[E302] Row {record.row} of {args.input}: {where}: {first['msg']}.")


def cmd_import(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from vocengine.cli import _progress_enabled
    from vocengine.ingest import DuplicateInBatch, ResponseCreate, store_responses
    from vocengine.io.readers import count_rows
    from vocengine.text.redact import Redactor

    settings = get_settings()
    engine = _engine(settings)
    redactor = Redactor(None)
    total = count_rows(args.input, args.format)
    errors: list[str] = []
    accepted = duplicates = 0
    bar = tqdm(total=total, unit="row", desc="importing", disable=not _progress_enabled(args.progress, total),
               file=sys.stderr)  # fmt: skip
    started = time.perf_counter()
    batch: list[tuple[int, ResponseCreate]] = []

    def flush() -> None:
        nonlocal accepted, duplicates
        if not batch:
            return
        try:
            results = store_responses(engine, [item for _, item in batch], redactor)
        except DuplicateInBatch as exc:
            errors.append(f"[E302] Row {batch[exc.index][0]} of {args.input}: repeats row {batch[exc.first][0]}.")
            del batch[exc.index]
            return flush()
        duplicates += sum(r.duplicate for r in results)
        accepted += sum(not r.duplicate for r in results)
        bar.update(len(batch))
        batch.clear()

    reported = 0
    for row in _import_items(args, errors):
        batch.append(row)
        if len(batch) >= IMPORT_BATCH:
            flush()
        for message in errors[reported:]:
            print(message, file=sys.stderr)
        reported = len(errors)
    flush()
    bar.close()
    for message in errors[reported:]:
        print(message, file=sys.stderr)
    seconds = time.perf_counter() - started
    print(f"accepted {accepted}, already stored {duplicates}, refused {len(errors)} in {seconds:.1f} s")
    return 1 if errors and not accepted and not duplicates else 0


def cmd_keys(args: argparse.Namespace) -> int:
    from sqlmodel import Session, select

    from vocengine.store.keys import create_key
    from vocengine.store.tables import ApiKey, utcnow

    engine = _engine(get_settings())
    with Session(engine) as session:
        if args.keys_command == "create":
            try:
                key, record = create_key(session, args.scope, name=args.name or "")
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            print(key)
            print(
                f"(key {record.prefix}, scopes {record.scopes}: shown once, only its hash is stored)", file=sys.stderr
            )
        elif args.keys_command == "list":
            for r in session.exec(select(ApiKey)):
                state = f"revoked {r.revoked_at:%Y-%m-%d}" if r.revoked_at else "active"
                print(f"{r.prefix}  {r.scopes:<24} {r.name:<30} {state}")
        else:
            found = session.exec(select(ApiKey).where(ApiKey.prefix == args.prefix)).first()
            if found is None:
                print(f"error: no key with prefix {args.prefix}", file=sys.stderr)
                return 2
            found.revoked_at = utcnow()
            session.add(found)
            session.commit()
            print(f"revoked {args.prefix}")
    return 0


def cmd_bench_service(args: argparse.Namespace) -> int:
    from vocengine.bench_service import run_service_benchmark

    run_service_benchmark(
        database_url=args.database_url,
        ingest_responses=args.ingest,
        scored_sample=args.scored,
        comments=args.comments,
        repeats=args.repeats,
        out=args.json,
    )
    return 0


def add_parsers(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the API and its scoring worker (SQLite in ./data by default)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="score pending responses (any number share a PostgreSQL database)")
    worker.add_argument("--once", action="store_true", help="stop when the queue is empty")
    worker.set_defaults(func=cmd_worker)

    imp = sub.add_parser("import", help="store responses from a CSV or JSONL file, as the batch endpoint does")
    imp.add_argument("input", help="CSV or JSONL; columns source, channel, persona, account_id, contact_id, "
                     "submitted_at, score, score_type are fields, any other column a segment attribute")  # fmt: skip
    imp.add_argument("--source", default="other", help="source of rows that name none (survey, ticket, review, chat)")
    imp.add_argument("--text-column", default="text")
    imp.add_argument("--id-column", default="id", help="the source's own id: re-importing a row is a no-op")
    imp.add_argument("--format", choices=["csv", "jsonl"], default=None)
    imp.add_argument("--progress", choices=["auto", "always", "never"], default="auto")
    imp.set_defaults(func=cmd_import)

    bench = sub.add_parser("bench-service", help="ingest, scoring and query figures of the service on a fresh database")
    bench.add_argument("--database-url", default=None, help="default: a new SQLite file in a temporary folder")
    bench.add_argument("--ingest", type=int, default=20_000, help="responses pushed through the batch endpoint")
    bench.add_argument("--scored", type=int, default=2_000, help="responses scored by the worker with the real models")
    bench.add_argument("--comments", type=int, default=100_000, help="scored comments stored before timing queries")
    bench.add_argument("--repeats", type=int, default=20, help="timed requests per query endpoint")
    bench.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    bench.set_defaults(func=cmd_bench_service)

    keys = sub.add_parser("keys", help="API keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="make a key and print it once")
    create.add_argument("--scope", action="append", required=True, help="ingest, read, label or admin; repeatable")
    create.add_argument("--name", default=None)
    keys_sub.add_parser("list", help="list keys (never their secrets)")
    revoke = keys_sub.add_parser("revoke", help="revoke a key by its prefix")
    revoke.add_argument("prefix")
    keys.set_defaults(func=cmd_keys)
