"""`vocengine maps list|put`: journey map versions."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vocengine.cli import _util


def cmd_maps(args: argparse.Namespace) -> int:
    from vocengine.usecases import maps

    runtime = _util.runtime()
    if args.maps_command == "put":
        from vocengine.journey.maps import load_journey_map

        version = maps.adopt_map_version(runtime, load_journey_map(args.file))
        print(f"active: journey map version {version.id} ({version.name}); stored sentences are re-assigned "
              "by a worker in the background (vocengine jobs list)")  # fmt: skip
        return 0
    for view in maps.map_versions(runtime):
        v, job = view.version, view.reassignment
        state = "" if job is None else f"  re-assignment: {job.status}, {job.progress_done} sentences"
        print(f"{v.id:>4}  {'active' if v.active else '      '}  {v.name:<30} {v.created_at:%Y-%m-%d %H:%M}{state}")
    return 0


def add_parsers(sub: Any) -> None:
    maps = sub.add_parser("maps", help="journey map versions")
    maps_sub = maps.add_subparsers(dest="maps_command", required=True)
    maps_sub.add_parser("list", help="versions, newest first")
    put = maps_sub.add_parser("put", help="make a journey map (YAML) the active one, as PUT /v1/journey-maps does")
    put.add_argument("file", type=Path)
    maps.set_defaults(func=cmd_maps)
