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
