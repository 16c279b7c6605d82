"""The test databases: the embedded SQLite, and a fresh schema in a PostgreSQL server.

PostgreSQL is the server at VOCENGINE_TEST_POSTGRES_URL (default: this machine's, 127.0.0.1:5432) when one
answers there. When none does, the tests bring their own: an embedded PostgreSQL from the `pgserver` package
(binaries in a wheel, a test dependency), started in a temporary folder for the session and deleted after it.
VOCENGINE_SKIP_POSTGRES=1 skips the PostgreSQL tests instead, visibly, on a developer's machine; in CI nothing
is skipped (see tests/components.py)."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import quote

from sqlalchemy import create_engine, text

from tests.components import Component, Unavailable, register

CONFIGURED_URL = os.environ.get("VOCENGINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _answers(url: str) -> str | None:
    """None when a server answers at `url`, else why not."""
    engine = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        return None
    except Exception as exc:  # noqa: BLE001 - any failure to connect means the same to the tests
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()


def start_embedded() -> tuple[str, str, Callable[[], None]]:
    """Start an embedded PostgreSQL: its URL, a line saying what it is, and how to stop and delete it."""
    try:
        import pgserver  # type: ignore[import-untyped]
    except ImportError as exc:
        raise Unavailable(f"the pgserver package is not installed ({exc}); run `make setup`") from exc
    # pgserver logs every step at INFO; the tests only need to hear about failures.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    folder = tempfile.mkdtemp(prefix="vocengine-test-pg-")
    try:
        server = pgserver.get_server(os.path.join(folder, "data"), cleanup_mode="delete")
    except Exception as exc:  # noqa: BLE001 - whatever stops it, the tests cannot use it
        shutil.rmtree(folder, ignore_errors=True)
        raise Unavailable(f"the embedded PostgreSQL (pgserver) did not start: {type(exc).__name__}: {exc}") from exc

    def stop() -> None:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)

    socket_dir = server.get_postmaster_info().socket_dir
    url = f"postgresql+psycopg://postgres@/postgres?host={quote(str(socket_dir), safe='/')}"
    problem = _answers(url)
    if problem is not None:
        stop()
        raise Unavailable(f"the embedded PostgreSQL started but does not answer at {url}: {problem}")
    version = server.psql("show server_version;").splitlines()[2].strip()
    return url, f"embedded PostgreSQL {version} started by the tests (pgserver, data in {folder}), at {url}", stop


def _find_postgres() -> tuple[str, str]:
    if os.environ.get("VOCENGINE_SKIP_POSTGRES") == "1":
        raise Unavailable("VOCENGINE_SKIP_POSTGRES=1 is set")
    problem = _answers(CONFIGURED_URL)
    if problem is None:
        return CONFIGURED_URL, f"the server at {CONFIGURED_URL}"
    try:
        url, description, stop = start_embedded()
    except Unavailable as exc:
        raise Unavailable(f"no server answers at {CONFIGURED_URL} ({problem}), and {exc}") from exc
    POSTGRES.cleanups.append(stop)
    return url, description


POSTGRES = register(Component("PostgreSQL", _find_postgres))


def postgres_url() -> str:
    """The URL of the session's PostgreSQL server; skips or fails the calling test when there is none."""
    url: str = POSTGRES.get()
    return url


@contextmanager
def postgres_schema(prefix: str = "t") -> Iterator[str]:
    """The URL of a new, empty schema (through search_path), dropped with everything in it afterwards."""
    server_url = postgres_url()
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in server_url else "?"
    try:
        yield f"{server_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
