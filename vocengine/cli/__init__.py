"""The `vocengine` command line: one module per command group, each with its `add_parsers`; what they share
is in `_util`, and no command module imports another."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from vocengine.cli import analyze, bench, jobs, keys, learning, maps, report, service
from vocengine.errors import VocengineError

# Offline by construction: models come from packages or local paths, never from a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

GROUPS = (analyze, report, bench, service, keys, learning, jobs, maps)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vocengine", description="Voice-of-customer analysis engine.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the engine does")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.add_parsers(sub)
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
