"""The service's commands: `serve`, `worker`, `import`, `requeue`."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

from vocengine.cli import _util
from vocengine.errors import message

if TYPE_CHECKING:
    from vocengine.runtime import Runtime

IMPORT_BATCH = 500
KNOWN_FIELDS = ("source", "channel", "persona", "account_id", "contact_id", "submitted_at", "score", "score_type")


def show_first_admin_key(runtime: Runtime, terminal: Callable[[], TextIO | None] = _util.open_terminal) -> str | None:
    """On a database with no key at all, make an admin key and show it on the terminal, and only there:
    never through logging, and never on a redirected output, which a service manager keeps as a log. With no
    terminal to show it on, no key is made; the person who runs the service makes one with `keys create`."""
    from vocengine.usecases.keys import create_key, has_keys

    if has_keys(runtime):
        return None
    out = terminal()
    if out is None:
        print(
            "No API key exists yet, and none was made: there is no terminal to show it on (a key never goes "
            "to a log). Make one with: vocengine keys create --scope admin",
            file=sys.stderr,
            flush=True,
        )
        return None
    key, _ = create_key(runtime, ["admin"], name="first admin key")
    try:
        out.write(f"First start: an admin key was made. Keep it, it is shown only once:\n\n    {key}\n\n")
        out.flush()
    finally:
        if out is not sys.stdout:
            out.close()
    return key


def cmd_serve(args: argparse.Namespace) -> int:
    from api.main import create_app
    from api.server import build_server

    runtime = _util.runtime(trainer=True)
    show_first_admin_key(runtime)
    print(f"database: {_util.safe_url(runtime.settings.resolved_database_url())}", flush=True)
    print(f"web app: http://{args.host}:{args.port}/ (sign in with an API key); API documents: /docs", flush=True)
    build_server(create_app(runtime), runtime.settings, host=args.host, port=args.port, log_level="info").run()
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    import signal

    from vocengine.worker import ScoringWorker

    runtime = _util.runtime(trainer=True)
    worker = ScoringWorker(runtime)
    signal.signal(signal.SIGTERM, lambda *_: worker.stop())
    worker.warm_up()
    print(f"worker {worker.name} on {_util.safe_url(runtime.settings.resolved_database_url())}", file=sys.stderr,
          flush=True)  # fmt: skip
    if args.once:
        worker.drain()
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
            errors.append(message("E302", row=record.row, source=args.input, detail=f"{where}: {first['msg']}"))


def cmd_import(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from vocengine.ingest import DuplicateInBatch, ResponseCreate
    from vocengine.io.readers import count_rows
    from vocengine.usecases.responses import store_responses

    runtime = _util.runtime()
    total = count_rows(args.input, args.format)
    errors: list[str] = []
    accepted = duplicates = 0
    bar = tqdm(total=total, unit="row", desc="importing", disable=not _util.progress_enabled(args.progress, total),
               file=sys.stderr)  # fmt: skip
    started = time.perf_counter()
    batch: list[tuple[int, ResponseCreate]] = []

    def flush() -> None:
        nonlocal accepted, duplicates
        if not batch:
            return
        try:
            # Exempt from max_pending: an operator's bulk load, run beside the workers, waits in the
            # durable queue; refusing it half way would only make them run it again.
            results = store_responses(runtime, [item for _, item in batch], respect_queue_limit=False)
        except DuplicateInBatch as exc:
            detail = f"repeats row {batch[exc.first][0]}"
            errors.append(message("E302", row=batch[exc.index][0], source=args.input, detail=detail))
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
        for line in errors[reported:]:
            print(line, file=sys.stderr)
        reported = len(errors)
    flush()
    bar.close()
    for line in errors[reported:]:
        print(line, file=sys.stderr)
    seconds = time.perf_counter() - started
    print(f"accepted {accepted}, already stored {duplicates}, refused {len(errors)} in {seconds:.1f} s")
    return 1 if errors and not accepted and not duplicates else 0


def cmd_requeue(args: argparse.Namespace) -> int:
    from vocengine.usecases.responses import requeue_failed

    count = requeue_failed(_util.runtime(), since=args.since, source=args.source)
    print(f"put {count} failed responses back in the queue")
    return 0


def add_parsers(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the API and its scoring worker (SQLite in ./data by default)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser(
        "worker", help="score pending responses and run background jobs (any number share PostgreSQL)"
    )
    worker.add_argument("--once", action="store_true", help="stop when there is nothing left to do")
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

    requeue = sub.add_parser("requeue", help="put failed responses back in the queue, their attempts reset")
    requeue.add_argument("--since", type=_util.day, default=None, help="only those received on or after YYYY-MM-DD")
    requeue.add_argument("--source", default=None, help="only those of this source (survey, ticket, ...)")
    requeue.set_defaults(func=cmd_requeue)
