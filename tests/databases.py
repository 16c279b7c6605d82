"""The test databases: the embedded SQLite, and a fresh schema in the PostgreSQL server this machine runs.

Without a reachable PostgreSQL the tests that need it fail loudly; VOCENGINE_SKIP_POSTGRES=1 turns that
into a visible skip on a machine that has none."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text

POSTGRES_URL = os.environ.get("VOCENGINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def require_postgres() -> None:
    engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect means the same to the tests
        message = f"PostgreSQL is not reachable at {POSTGRES_URL} ({type(exc).__name__}: {str(exc).splitlines()[0]})"
        if os.environ.get("VOCENGINE_SKIP_POSTGRES") == "1":
            pytest.skip(message + "; skipped because VOCENGINE_SKIP_POSTGRES=1")
        pytest.fail(message + ". Start one, or set VOCENGINE_SKIP_POSTGRES=1 to skip these tests.", pytrace=False)
    finally:
        engine.dispose()


@contextmanager
def postgres_schema(prefix: str = "t") -> Iterator[str]:
    """The URL of a new, empty schema (through search_path), dropped with everything in it afterwards."""
    require_postgres()
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
