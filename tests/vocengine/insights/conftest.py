"""Insight tests run on a migrated SQLite and, where one answers, PostgreSQL; each test starts empty.

The databases are migrated once per session and emptied before each test, which keeps the ~100 runs
quick on a small machine. Without a reachable PostgreSQL its half fails loudly; VOCENGINE_SKIP_POSTGRES=1
turns that into a visible skip.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete

from tests.databases import postgres_schema
from tests.vocengine.insights.builders import Feedback
from vocengine.insights.filters import response
from vocengine.store.db import make_engine, migrate
from vocengine.store.tables import sentence_result


@pytest.fixture(scope="session")
def sqlite_engine() -> Iterator[Engine]:
    engine = make_engine("sqlite://")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgresql_engine() -> Iterator[Engine]:
    with postgres_schema("insights") as url:
        engine = make_engine(url)
        try:
            migrate(engine)
            yield engine
        finally:
            engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    engine: Engine = request.getfixturevalue(f"{request.param}_engine")
    with engine.begin() as connection:
        connection.execute(delete(sentence_result))
        connection.execute(delete(response))
    return engine


@pytest.fixture
def feedback(engine: Engine) -> Feedback:
    return Feedback(engine)
