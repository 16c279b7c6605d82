"""What every command module shares: the runtime, progress bars, printing a secret, dates on the command line."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # the runtime pulls in torch: `vocengine --help` should not wait for it
    from vocengine.runtime import Runtime

LONG_INPUT_ROWS = 200


def runtime() -> Runtime:
    """The command's runtime, from the VOCENGINE_* settings: one per command, as the API and the worker have."""
    from vocengine.runtime import Runtime
    from vocengine.settings import get_settings

    return Runtime(get_settings())


def progress_enabled(choice: str, total: int | None) -> bool:
    if choice == "always":
        return True
    if choice == "never":
        return False
    return sys.stderr.isatty() and (total is None or total >= LONG_INPUT_ROWS)


def safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


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
