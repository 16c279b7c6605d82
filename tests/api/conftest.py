"""The service under test (`tests.support.service`) on each test database, with the tiny model."""

from __future__ import annotations

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
