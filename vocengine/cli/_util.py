"""What every command module shares: the runtime, progress bars, printing a secret, dates on the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # the runtime pulls in torch: `vocengine --help` should not wait for it
    from vocengine.io.readers import Record
    from vocengine.journey.maps import JourneyMap
    from vocengine.runtime import Runtime
    from vocengine.schemas import CommentAnalysis

LONG_INPUT_ROWS = 200


def runtime(*, trainer: bool = False) -> Runtime:
    """The command's runtime, from the VOCENGINE_* settings: one per command, as the API and the worker have.
    With `trainer`, for a command that runs a worker: the training code, which the library may not import
    itself, so that the worker runs training jobs (POST /v1/models/train)."""
    from vocengine.runtime import Runtime
    from vocengine.settings import get_settings

    if not trainer:
        return Runtime(get_settings())
    from training.learn import JobTrainer

    return Runtime(get_settings(), trainer=JobTrainer())


def analyse_input(
    args: argparse.Namespace,
) -> tuple[JourneyMap, Iterator[tuple[Record, CommentAnalysis | None]]]:
    """The journey map in use and the rows of `args.input` with their analyses (None for a row that could not
    be read), as `analyze` and `report` read them: `--journey-map`, the columns, `--format`, a progress bar on
    stderr for long inputs."""
    from tqdm import tqdm

    from vocengine.io.readers import count_rows, read_records
    from vocengine.io.run import analyse_records
    from vocengine.journey.maps import load_journey_map

    analyzer = runtime().analyzer
    if args.journey_map is not None:
        analyzer = analyzer.with_journey_map(load_journey_map(args.journey_map))
    total = count_rows(args.input, args.format)
    records = read_records(args.input, args.format, args.text_column, args.id_column)

    def rows() -> Iterator[tuple[Record, CommentAnalysis | None]]:
        bar = tqdm(
            total=total, unit="row", desc="analysing", disable=not progress_enabled(args.progress, total),
            file=sys.stderr,
        )  # fmt: skip
        try:
            yield from analyse_records(analyzer, records, args.chunk_size, bar.update)
        finally:
            bar.close()

    return analyzer.journey, rows()


def progress_enabled(choice: str, total: int | None) -> bool:
    if choice == "always":
        return True
    if choice == "never":
        return False
    return sys.stderr.isatty() and (total is None or total >= LONG_INPUT_ROWS)


def safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def instant(text: str) -> datetime:
    """An ISO 8601 date or date and time argument, UTC when it names no offset."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 date (YYYY-MM-DD) or date and time") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def day(text: str) -> datetime:
    """A YYYY-MM-DD argument as the start of that day, UTC."""
    return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)


def open_terminal() -> TextIO | None:
    """The terminal of the person who ran the command, even when its output is redirected to a file, or
    None when there is none (a service manager, CI): where a secret may be shown, and nowhere else."""
    if sys.stdout.isatty():
        return sys.stdout
    try:
        return open("/dev/tty", "w", encoding="utf-8")  # noqa: SIM115 - closed by the caller
    except OSError:
        return None
