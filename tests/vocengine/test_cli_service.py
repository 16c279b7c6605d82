"""`vocengine import` and `vocengine keys`: the command line does what the API does, on the same database."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session

from vocengine.cli import main
from vocengine.settings import get_settings
from vocengine.store.db import make_engine
from vocengine.store.keys import verify_key
from vocengine.store.tables import Response

CSV = """id,text,source,persona,account_id,score,score_type,region
a1,"Sales were great, onboarding was slow.",survey,admin,acme,7,nps,EMEA
a2,"Mail jane@example.com about the refund",ticket,buyer,acme,,,AMER
a3,"A score out of range",survey,admin,acme,12,nps,EMEA
a4,"broken row",survey
a5,"  ",chat,,,,,
a6,"Support fixed it the same day.",chat,end_user,globex,5,csat,APAC
"""


@pytest.fixture
def cli_database(database_url, monkeypatch):
    monkeypatch.setenv("VOCENGINE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield make_engine(database_url)
    get_settings.cache_clear()


def test_import_stores_good_rows_names_bad_ones_and_is_idempotent(cli_database, tmp_path, capsys):
    path = tmp_path / "responses.csv"
    path.write_text(CSV)
    assert main(["import", str(path), "--progress", "never"]) == 0
    out, err = capsys.readouterr()
    assert "accepted 3, already stored 0, refused 3" in out
    assert "Row 3 of" in err and "between 0 and 10" in err
    assert "Row 4 of" in err and "fields where the header has" in err
    assert "Row 5 of" in err and "empty" in err
    table = Response.__table__
    with cli_database.connect() as connection:
        rows = {r.external_id: r for r in connection.execute(select(table))}
    assert set(rows) == {"a1", "a2", "a6"}
    assert rows["a1"].persona == "admin" and rows["a1"].score == 7 and rows["a1"].segments == {"region": "EMEA"}
    assert rows["a2"].source == "ticket" and "jane@example.com" not in rows["a2"].text
    assert main(["import", str(path), "--progress", "never"]) == 0
    assert "accepted 0, already stored 3" in capsys.readouterr().out


def test_keys_create_prints_the_key_once_and_stores_its_hash(cli_database, capsys):
    assert main(["keys", "create", "--scope", "ingest", "--scope", "read"]) == 0
    key = capsys.readouterr().out.strip()
    with Session(cli_database) as session:
        record = verify_key(session, key)
        assert record is not None and record.scopes == "ingest,read" and key not in record.key_hash
    assert main(["keys", "create", "--scope", "superuser"]) == 2
    assert "scopes must be some of" in capsys.readouterr().err


def test_requeue_puts_failed_responses_back_with_their_attempts_reset(cli_database, tmp_path, capsys):
    from sqlalchemy import update

    path = tmp_path / "responses.csv"
    path.write_text(CSV)
    assert main(["import", str(path), "--progress", "never"]) == 0
    table = Response.__table__
    with cli_database.begin() as connection:
        connection.execute(
            update(table).values(status="failed", attempts=3, lease_expiries=2, last_error="the model failed")
        )
    capsys.readouterr()
    assert main(["requeue", "--source", "ticket"]) == 0
    assert "put 1 failed responses back" in capsys.readouterr().out
    assert main(["requeue", "--since", "2999-01-01"]) == 0
    assert "put 0 failed responses back" in capsys.readouterr().out
    assert main(["requeue"]) == 0
    assert "put 2 failed responses back" in capsys.readouterr().out
    with cli_database.connect() as connection:
        rows = connection.execute(select(table.c.status, table.c.attempts, table.c.lease_expiries, table.c.last_error))
        assert set(rows) == {("pending", 0, 0, None)}


def test_the_first_admin_key_is_shown_on_the_terminal_and_nowhere_else(cli_database, capsys, caplog):
    """Not on standard output (a service manager keeps it as a log), not through logging: on the terminal."""
    import logging
    import os
    import pty

    from vocengine.cli.service import show_first_admin_key
    from vocengine.runtime import Runtime

    caplog.set_level(logging.DEBUG)
    master, replica = pty.openpty()
    terminal = os.fdopen(replica, "w")
    runtime = Runtime(get_settings())
    key = show_first_admin_key(runtime, terminal=lambda: terminal)
    assert key is not None and key in os.read(master, 4096).decode()
    os.close(master)
    out, err = capsys.readouterr()
    assert key not in out + err + caplog.text
    with Session(cli_database) as session:
        assert verify_key(session, key).scopes == "admin"
    assert show_first_admin_key(runtime, terminal=lambda: None) is None  # a key exists: none is made again
    runtime.close()


def test_with_no_terminal_no_first_key_is_made_and_none_is_printed(cli_database, capsys, monkeypatch):
    import builtins
    import sys

    from vocengine.cli import _util
    from vocengine.cli.service import show_first_admin_key
    from vocengine.runtime import Runtime

    real_open = builtins.open

    def no_tty(file, *args, **kwargs):
        if file == "/dev/tty":
            raise OSError("no controlling terminal")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", no_tty)
    assert not sys.stdout.isatty() and _util.open_terminal() is None  # pytest captures the output
    runtime = Runtime(get_settings())
    assert show_first_admin_key(runtime) is None
    out, err = capsys.readouterr()
    assert "voc_" not in out + err and "vocengine keys create --scope admin" in err
    from vocengine.usecases.keys import has_keys

    assert not has_keys(runtime)
    runtime.close()
