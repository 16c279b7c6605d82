"""`vocengine jobs list|show`: background jobs (rescoring, re-assignment, ...) and their progress."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from vocengine.cli import _util


def _line(job: Any) -> str:
    total = "?" if job.progress_total is None else str(job.progress_total)
    held = f" held by {job.claimed_by}" if job.claimed_by else ""
    return (
        f"{job.id:>6}  {job.kind:<16} {job.status:<10} {job.progress_done:>8} of {total:<8} "
        f"attempts={job.attempts} expiries={job.lease_expiries}  {job.created_at:%Y-%m-%d %H:%M}{held}"
    )


def cmd_jobs(args: argparse.Namespace) -> int:
    from vocengine.store import jobs

    runtime = _util.runtime()
    if args.jobs_command == "list":
        for job in jobs.list_jobs(runtime.engine, kind=args.kind, status=args.status, limit=args.limit):
            print(_line(job))
        return 0
    try:
        job = jobs.get(runtime.engine, args.id)
    except LookupError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    print(json.dumps(job.model_dump(mode="json"), indent=2, ensure_ascii=False))
    return 0


def add_parsers(sub: Any) -> None:
    jobs = sub.add_parser("jobs", help="background jobs and their progress")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", required=True)
    listing = jobs_sub.add_parser("list", help="newest first")
    listing.add_argument("--kind", default=None, help="rescore, reassign_map, ...")
    listing.add_argument("--status", default=None, choices=["queued", "running", "done", "failed", "cancelled"])
    listing.add_argument("--limit", type=int, default=50)
    show = jobs_sub.add_parser("show", help="one job, all its fields")
    show.add_argument("id", type=int)
    jobs.set_defaults(func=cmd_jobs)
