"""The service under test (`tests.support.service`) on each test database, with the tiny model."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import Engine

from vocengine.runtime import Runtime
from vocengine.settings import Settings


@pytest.fixture
def service_settings() -> Settings:
    return Settings(touchpoint_threshold=-1.0, max_batch_items=50, max_body_bytes=256 * 1024, worker_batch_size=8)


@pytest.fixture
def service(db_engine: Engine, tiny_analyzer: Any, service_settings: Settings):
    """The API without its background worker: tests score with `service.drain()`, deterministically."""
    from tests.support.service import serve

    service, stop = serve(Runtime(service_settings, engine=db_engine, analyzer=tiny_analyzer))
    yield service
    stop()


# Cases the contract test (test_contract.py) ran, per database, for the summary.
CONTRACT_CASES: Counter[str] = Counter()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    CASES = CONTRACT_CASES
    for database in ("sqlite", "postgresql"):
        if CASES[database]:
            terminalreporter.write_line(
                f"OpenAPI contract (schemathesis): {CASES[database]} cases over "
                f"{CASES[f'{database} operations']} operations on {database}"
            )
