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


def _serve_in_thread(runtime: Any) -> tuple[str, Any]:
    """The API with its embedded worker on a free loopback port, in a thread of this process."""
    import socket
    import threading
    import time

    from api.main import create_app
    from api.server import build_server

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = build_server(create_app(runtime, run_worker=True), runtime.settings, port=port, log_level="warning")
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True

    return f"http://127.0.0.1:{port}", stop


def cmd_bench_alerts(args: argparse.Namespace) -> int:
    from vocengine.bench_alerts import run_alerts_benchmark

    run_alerts_benchmark(
        serve=_serve_in_thread,
        database_url=args.database_url, responses=args.responses, messages=args.messages, samples=args.samples,
        out=args.json,
    )  # fmt: skip
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

    alerts = sub.add_parser(
        "bench-alerts", help="alert evaluation, webhook delivery, and push-to-alert latency on a fresh database"
    )
    alerts.add_argument("--database-url", default=None, help="default: a new SQLite file in a temporary folder")
    alerts.add_argument("--responses", type=int, default=1000, help="responses scored, then evaluated by the rules")
    alerts.add_argument("--messages", type=int, default=2000, help="webhook messages delivered to a local receiver")
    alerts.add_argument("--samples", type=int, default=50, help="responses pushed one at a time for the latency")
    alerts.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    alerts.set_defaults(func=cmd_bench_alerts)
