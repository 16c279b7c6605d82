"""The real components some tests need (PostgreSQL, the public datasets, later a browser), and one rule for all:

- used when present (or, for PostgreSQL, brought by the tests themselves when no server answers);
- when one cannot be had on a developer's machine, the tests that need it are skipped with the reason, and the
  run ends with a notice saying what was skipped and why;
- in CI (the `CI` environment variable set, as `.ci/run` does) a missing component fails those tests instead:
  a green CI must never hide a path that was not tested.

Each component is looked for once per test session, on the first test that asks for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


class Unavailable(Exception):
    """The component cannot be had here; the message says why and what to do about it."""


@dataclass
class Component:
    name: str
    find: Callable[[], tuple[Any, str]]  # returns (handle, how it was found) or raises Unavailable
    may_skip_locally: bool = True
    handle: Any = None
    used: str | None = None
    missing: str | None = None
    skipped_tests: int = 0
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    def get(self) -> Any:
        """The component's handle for a test; skips or fails the test (see the module docstring) without one."""
        if self.used is None and self.missing is None:
            try:
                self.handle, self.used = self.find()
            except Unavailable as exc:
                self.missing = str(exc)
        if self.missing is not None:
            if in_ci() or not self.may_skip_locally:
                pytest.fail(f"{self.name} is required here and unavailable: {self.missing}", pytrace=False)
            pytest.skip(self.skip_reason())
        return self.handle

    def skip_reason(self) -> str:
        return f"{self.name} unavailable: {self.missing}"

    def close(self) -> None:
        for cleanup in reversed(self.cleanups):
            cleanup()
        self.cleanups.clear()


REGISTRY: dict[str, Component] = {}


def register(component: Component) -> Component:
    REGISTRY[component.name] = component
    return component


def count_skip(report: pytest.TestReport) -> None:
    """Counts a skipped test against the component it lacked (a fixture's skip is reported once per test)."""
    if not report.skipped or not isinstance(report.longrepr, tuple):
        return
    message = str(report.longrepr[2])
    for component in REGISTRY.values():
        if component.missing is not None and component.skip_reason() in message:
            component.skipped_tests += 1


def summary_lines() -> list[str]:
    """What each component was in this run: which one was used, or what was skipped and why."""
    lines = []
    for component in REGISTRY.values():
        if component.used is not None:
            lines.append(f"{component.name}: {component.used}")
        elif component.missing is not None:
            lines.append(
                f"{component.name}: NOT AVAILABLE, {component.skipped_tests} test(s) skipped: {component.missing}"
            )
    return lines
