"""Insight tests run on a migrated SQLite and, where one answers, PostgreSQL; each test starts empty.

The databases are migrated once per session and emptied before each test, which keeps the ~100 runs
quick on a small machine. Without a reachable PostgreSQL its half fails loudly; VOCENGINE_SKIP_POSTGRES=1
turns that into a visible skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, delete, text

from tests.vocengine.insights.builders import Feedback
from vocengine.insights.filters import response
from vocengine.store.db import make_engine, migrate
from vocengine.store.tables import sentence_result

POSTGRES_URL = os.environ.get("VOCENGINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def sqlite_engine() -> Iterator[Engine]:
    engine = make_engine("sqlite://")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgresql_engine() -> Iterator[Engine]:
    admin = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect means the same here
        admin.dispose()
        message = f"PostgreSQL is not reachable at {POSTGRES_URL} ({type(exc).__name__}: {str(exc).splitlines()[0]})"
        if os.environ.get("VOCENGINE_SKIP_POSTGRES") == "1":
            pytest.skip(message + "; skipped because VOCENGINE_SKIP_POSTGRES=1")
        pytest.fail(message + ". Start one, or set VOCENGINE_SKIP_POSTGRES=1 to skip these tests.", pytrace=False)
    schema = f"insights_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in POSTGRES_URL else "?"
    engine = make_engine(f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}")
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


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
