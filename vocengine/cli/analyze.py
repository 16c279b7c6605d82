"""`vocengine analyze`: score a file of comments, write one JSON object per row."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from vocengine.cli import _util


def cmd_analyze(args: argparse.Namespace) -> int:
    from vocengine.io.summary import RunSummary
    from vocengine.schemas import Flag, RowError

    journey, rows = _util.analyse_input(args)
    summary = RunSummary(journey)
    builder = None
    if args.report is not None:
        from vocengine.report.data import ReportBuilder

        builder = ReportBuilder(journey, source=args.input, date_column=args.date_column)
    out: TextIO = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
    report = sys.stderr if args.out == "-" else sys.stdout
    try:
        for record, result in rows:
            if result is None:
                print(record.error, file=sys.stderr)
                summary.add_error()
                line = RowError(id=record.id, row=record.row, error=Flag(code="E302", message=record.error or ""))
                out.write(json.dumps(line.model_dump(mode="json"), ensure_ascii=False) + "\n")
            else:
                summary.add(result)
                out.write(json.dumps(result.to_json_dict(), ensure_ascii=False) + "\n")
                if builder is not None:
                    builder.add(record, result)
    finally:
        if out is not sys.stdout:
            out.close()
    print(summary.render(), file=report)
    if args.out != "-":
        print(f"\nwrote {summary.rows} rows to {args.out}", file=report)
    if builder is not None:
        from vocengine.report.html import write_report

        write_report(args.report, builder.build(summary))
        print(f"wrote the journey report to {args.report}", file=report)
    return 0


def add_parsers(sub: Any) -> None:
    analyze = sub.add_parser("analyze", help="sentiment, emotions and touchpoints for every comment and sentence")
    analyze.add_argument("input", help="CSV, JSONL or text file (one comment per line); '-' reads stdin")
    analyze.add_argument("--out", required=True, help="JSONL output file, one object per input row; '-' for stdout")
    analyze.add_argument("--journey-map", type=Path, default=None, help="journey map YAML (default: B2B SaaS)")
    analyze.add_argument("--text-column", default="text")
    analyze.add_argument("--id-column", default="id")
    analyze.add_argument(
        "--format", choices=["csv", "jsonl", "lines"], default=None, help="default: from the file name"
    )
    analyze.add_argument(
        "--report", type=Path, default=None, help="also write the journey report (one HTML file, see `report`)"
    )
    analyze.add_argument("--date-column", default="submitted_at", help="the report's trends: when a comment was made")
    analyze.add_argument("--progress", choices=["auto", "always", "never"], default="auto")
    analyze.add_argument("--chunk-size", type=int, default=256, help=argparse.SUPPRESS)
    analyze.set_defaults(func=cmd_analyze)
