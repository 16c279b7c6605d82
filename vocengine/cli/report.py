"""`vocengine report`: analyse a file of comments and write the journey report, one self-contained HTML file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from vocengine.cli import _util


def cmd_report(args: argparse.Namespace) -> int:
    from vocengine.io.summary import RunSummary
    from vocengine.report.data import ReportBuilder
    from vocengine.report.html import write_report

    journey, rows = _util.analyse_input(args)
    summary = RunSummary(journey)
    builder = ReportBuilder(journey, source=args.input, date_column=args.date_column)
    for record, result in rows:
        if result is None:
            print(record.error, file=sys.stderr)
            summary.add_error()
        else:
            summary.add(result)
            builder.add(record, result)
    write_report(args.out, builder.build(summary))
    print(summary.render())
    print(f"\nwrote the journey report to {args.out}")
    return 0


def add_parsers(sub: Any) -> None:
    report = sub.add_parser(
        "report", help="the journey report: one HTML file with the map, the curve, personas, moments and trends"
    )
    report.add_argument("input", help="CSV, JSONL or text file (one comment per line); '-' reads stdin")
    report.add_argument("--out", type=Path, required=True, help="the HTML file to write, e.g. journey.html")
    report.add_argument("--journey-map", type=Path, default=None, help="journey map YAML (default: B2B SaaS)")
    report.add_argument("--text-column", default="text")
    report.add_argument("--id-column", default="id")
    report.add_argument("--date-column", default="submitted_at", help="when a comment was made, for the trends")
    report.add_argument("--format", choices=["csv", "jsonl", "lines"], default=None, help="default: from the file name")
    report.add_argument("--progress", choices=["auto", "always", "never"], default="auto")
    report.add_argument("--chunk-size", type=int, default=256, help=argparse.SUPPRESS)
    report.set_defaults(func=cmd_report)
