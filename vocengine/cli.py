"""The `vocengine` command line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import TextIO

from vocengine.errors import VocengineError

# Offline by construction: models come from packages or local paths, never from a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

LONG_INPUT_ROWS = 200


def _progress_enabled(choice: str, total: int | None) -> bool:
    if choice == "always":
        return True
    if choice == "never":
        return False
    return sys.stderr.isatty() and (total is None or total >= LONG_INPUT_ROWS)


def cmd_analyze(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from vocengine.analyzer import Analyzer
    from vocengine.io.readers import Record, count_rows, read_records
    from vocengine.io.summary import RunSummary
    from vocengine.schemas import Flag, RowError

    analyzer = Analyzer.default(journey_map=args.journey_map)
    total = count_rows(args.input, args.format)
    records = read_records(args.input, args.format, args.text_column, args.id_column)
    summary = RunSummary(analyzer.journey)
    out: TextIO = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
    report = sys.stderr if args.out == "-" else sys.stdout
    bar = tqdm(
        total=total, unit="row", desc="analysing", disable=not _progress_enabled(args.progress, total), file=sys.stderr
    )

    chunk: list[Record] = []

    def flush(chunk: list[Record]) -> None:
        good = [r for r in chunk if r.error is None]
        results = iter(analyzer.analyze([r.text or "" for r in good], [r.id for r in good]))
        for record in chunk:
            if record.error is not None:
                print(record.error, file=sys.stderr)
                summary.add_error()
                line = RowError(id=record.id, row=record.row, error=Flag(code="E302", message=record.error))
                out.write(json.dumps(line.model_dump(mode="json"), ensure_ascii=False) + "\n")
            else:
                result = next(results)
                summary.add(result)
                out.write(json.dumps(result.to_json_dict(), ensure_ascii=False) + "\n")
        bar.update(len(chunk))

    try:
        for record in records:
            chunk.append(record)
            if len(chunk) >= args.chunk_size:
                flush(chunk)
                chunk = []
        flush(chunk)
    finally:
        bar.close()
        if out is not sys.stdout:
            out.close()
    print(summary.render(), file=report)
    if args.out != "-":
        print(f"\nwrote {summary.rows} rows to {args.out}", file=report)
    if args.chart:
        from vocengine.io.chart import journey_curve_svg

        args.chart.write_text(journey_curve_svg(summary), encoding="utf-8")
        print(f"wrote the journey curve to {args.chart}", file=report)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from vocengine.bench import run_benchmark

    run_benchmark(comments=args.comments, latency_samples=args.latency_samples, naive=not args.no_naive, out=args.json)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vocengine", description="Voice-of-customer analysis engine.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the engine does")
    sub = parser.add_subparsers(dest="command", required=True)

    analyze = sub.add_parser("analyze", help="sentiment, emotions and touchpoints for every comment and sentence")
    analyze.add_argument("input", help="CSV, JSONL or text file (one comment per line); '-' reads stdin")
    analyze.add_argument("--out", required=True, help="JSONL output file, one object per input row; '-' for stdout")
    analyze.add_argument("--journey-map", type=Path, default=None, help="journey map YAML (default: B2B SaaS)")
    analyze.add_argument("--text-column", default="text")
    analyze.add_argument("--id-column", default="id")
    analyze.add_argument(
        "--format", choices=["csv", "jsonl", "lines"], default=None, help="default: from the file name"
    )
    analyze.add_argument("--chart", type=Path, default=None, help="also draw the journey curve as an SVG file")
    analyze.add_argument("--progress", choices=["auto", "always", "never"], default="auto")
    analyze.add_argument("--chunk-size", type=int, default=256, help=argparse.SUPPRESS)
    analyze.set_defaults(func=cmd_analyze)

    bench = sub.add_parser("bench", help="measure throughput, latency and memory against the naive way")
    bench.add_argument("--comments", type=int, default=2000)
    bench.add_argument("--latency-samples", type=int, default=200)
    bench.add_argument("--no-naive", action="store_true", help="skip the naive baseline")
    bench.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    bench.set_defaults(func=cmd_bench)

    from vocengine import cli_learning, cli_service

    cli_service.add_parsers(sub)
    cli_learning.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    if not args.verbose:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    try:
        return int(args.func(args))
    except VocengineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
