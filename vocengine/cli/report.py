"""`vocengine report`: the journey report, one self-contained HTML file, of a file of comments it analyses, or
(`--from-db`) of the responses the service has stored and scored, with the insight queries' filters."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from vocengine.cli import _util

FILTERS = ("date_from", "date_to", "source", "channel", "persona", "segment")


def cmd_report(args: argparse.Namespace) -> int:
    given = [name for name in FILTERS if getattr(args, name)]
    if args.from_db:
        if args.input is not None:
            return _usage(f"give INPUT or --from-db, not both ({args.input!r} and --from-db)")
        if args.journey_map is not None:
            return _usage("--journey-map: a report --from-db uses the database's journey map in force")
        return _report_from_db(args)
    if args.input is None:
        return _usage("give INPUT (a file of comments) or --from-db")
    if given:
        flags = ", ".join("--" + name.removeprefix("date_") for name in given)
        return _usage(f"{flags}: filters apply to --from-db; filter a file before reporting on it")
    return _report_from_file(args)


def _usage(message: str) -> int:
    print(f"vocengine report: error: {message}", file=sys.stderr)
    return 2


def _report_from_db(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from vocengine.insights.filters import InsightFilter, parse_segments
    from vocengine.report.html import write_report
    from vocengine.report.stored import report_from_db
    from vocengine.store.journeys import active_map

    try:
        f = InsightFilter(
            date_from=args.date_from, date_to=args.date_to, source=args.source, channel=args.channel,
            persona=args.persona, segment=parse_segments(args.segment),
        )  # fmt: skip
    except (ValueError, ValidationError) as exc:
        detail = str(exc.errors()[0]["msg"]) if isinstance(exc, ValidationError) else str(exc)
        return _usage(detail.removeprefix("Value error, "))
    runtime = _util.runtime()
    journey, _ = active_map(runtime.engine, runtime.settings.journey_map)
    shown = f.model_dump(exclude_none=True, exclude_defaults=True)
    source = "the service's database" + "".join(f", {name}={value}" for name, value in shown.items())
    data = report_from_db(runtime.engine, journey, f, source)
    write_report(args.out, data)
    totals = data["totals"]
    print(f"responses: {totals['rows']}  sentences: {totals['sentences']}")
    print(f"\nwrote the journey report to {args.out}")
    return 0


def _report_from_file(args: argparse.Namespace) -> int:
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
    report.add_argument(
        "input", nargs="?", default=None, help="CSV, JSONL or text file (one comment per line); '-' reads stdin"
    )
    report.add_argument(
        "--from-db", action="store_true",
        help="report on the responses stored and scored in the service's database (VOCENGINE_DATABASE_URL) instead",
    )  # fmt: skip
    stored = report.add_argument_group("filters of --from-db (as the API's insight queries take them)")
    stored.add_argument("--from", dest="date_from", type=_util.instant, default=None,
                        help="from this date or instant, inclusive (ISO 8601; naive means UTC)")  # fmt: skip
    stored.add_argument("--to", dest="date_to", type=_util.instant, default=None, help="until then, exclusive")
    stored.add_argument("--source", choices=["survey", "ticket", "review", "chat", "other"], default=None)
    stored.add_argument("--channel", default=None)
    stored.add_argument("--persona", default=None)
    stored.add_argument("--segment", action="append", default=[], metavar="NAME:VALUE",
                        help="a segment attribute's value (repeatable: all must hold)")  # fmt: skip
    report.add_argument("--out", type=Path, required=True, help="the HTML file to write, e.g. journey.html")
    report.add_argument("--journey-map", type=Path, default=None, help="journey map YAML (default: B2B SaaS)")
    report.add_argument("--text-column", default="text")
    report.add_argument("--id-column", default="id")
    report.add_argument("--date-column", default="submitted_at", help="when a comment was made, for the trends")
    report.add_argument("--format", choices=["csv", "jsonl", "lines"], default=None, help="default: from the file name")
    report.add_argument("--progress", choices=["auto", "always", "never"], default="auto")
    report.add_argument("--chunk-size", type=int, default=256, help=argparse.SUPPRESS)
    report.set_defaults(func=cmd_report)
