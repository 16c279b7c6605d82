"""`vocengine bench` (the engine) and `vocengine bench-service` (the service on a fresh database)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vocengine.cli import _util


def cmd_bench(args: argparse.Namespace) -> int:
    from vocengine.bench import run_benchmark

    runtime = _util.runtime()
    run_benchmark(
        comments=args.comments, latency_samples=args.latency_samples, naive=not args.no_naive, out=args.json,
        load=lambda: runtime.analyzer,
    )  # fmt: skip
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


def cmd_bench_redact(args: argparse.Namespace) -> int:
    from vocengine.bench_redact import run_redaction_benchmark

    run_redaction_benchmark(sizes=tuple(args.sizes), cap=args.cap, out=args.json)
    return 0


def add_parsers(sub: Any) -> None:
    bench = sub.add_parser("bench", help="measure throughput, latency and memory against the naive way")
    bench.add_argument("--comments", type=int, default=2000)
    bench.add_argument("--latency-samples", type=int, default=200)
    bench.add_argument("--no-naive", action="store_true", help="skip the naive baseline")
    bench.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    bench.set_defaults(func=cmd_bench)

    service = sub.add_parser(
        "bench-service", help="ingest, scoring and query figures of the service on a fresh database"
    )
    service.add_argument("--database-url", default=None, help="default: a new SQLite file in a temporary folder")
    service.add_argument("--ingest", type=int, default=20_000, help="responses pushed through the batch endpoint")
    service.add_argument(
        "--scored", type=int, default=2_000, help="responses scored by the worker with the real models"
    )
    service.add_argument("--comments", type=int, default=100_000, help="scored comments stored before timing queries")
    service.add_argument("--repeats", type=int, default=20, help="timed requests per query endpoint")
    service.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    service.set_defaults(func=cmd_bench_service)

    redact = sub.add_parser(
        "bench-redact", help="cleaning and redaction times on adversarial text, before and after RE2"
    )
    redact.add_argument("--sizes", type=int, nargs="+", default=[10_000, 20_000, 40_000], help="characters")
    redact.add_argument("--cap", type=float, default=20.0, help="seconds after which a slow step stops growing")
    redact.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    redact.set_defaults(func=cmd_bench_redact)
