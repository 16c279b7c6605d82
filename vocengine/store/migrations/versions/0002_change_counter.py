"""Change counters kept by the database, so that in-memory copies (the insight frame, the segment index) see
every write, from any process, without counting rows.

`data_change` holds one counter per kind of change; triggers move them in the writing transaction:
  - sentence_result.updated: every UPDATE of sentence_result; each updated row's `changed` column is set to
    the counter's new value, so a reader fetches just the rows changed since the value it last saw;
  - sentence_result.deleted: every deleted row (a response's deletion cascades here), and TRUNCATE;
  - response.rewritten: a deleted response, or one whose segments were rewritten, and TRUNCATE;
  - sentence_result.inserted, response.inserted: INSERT statements, on PostgreSQL only (see below).
An INSERT needs no counter to be seen: new rows have ids above the last one read.

Order: a reader that has seen a counter value must have seen every change that took a lower one, and a
reader that has seen an id every row with a lower one. On SQLite both hold by themselves: there is one
writer at a time. On PostgreSQL, transactions can commit in another order than they drew counter values or
ids from a sequence, so the counters are moved once per statement before its rows are written: the update
holds the counter's row lock until commit, and the transactions that write a table commit one after the
other, in the order of their stamps and ids. Only writers of the same kind wait on each other, and only
for the rest of the other's transaction (the worker's is a few milliseconds).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COUNTERS = (
    "sentence_result.inserted",
    "sentence_result.updated",
    "sentence_result.deleted",
    "response.inserted",
    "response.rewritten",
)

# (trigger, table, when, counter); the row-level stamp trigger of sentence_result is made apart.
POSTGRESQL_TRIGGERS = (
    ("sentence_result_inserted", "sentence_result", "BEFORE INSERT", "STATEMENT", "sentence_result.inserted"),
    ("sentence_result_updated", "sentence_result", "BEFORE UPDATE", "STATEMENT", "sentence_result.updated"),
    # Per row, so that a DELETE that matches nothing (the worker's, on first scoring) changes nothing.
    ("sentence_result_deleted", "sentence_result", "AFTER DELETE", "ROW", "sentence_result.deleted"),
    ("sentence_result_truncated", "sentence_result", "AFTER TRUNCATE", "STATEMENT", "sentence_result.deleted"),
    ("response_inserted", "response", "BEFORE INSERT", "STATEMENT", "response.inserted"),
    ("response_deleted", "response", "AFTER DELETE", "ROW", "response.rewritten"),
    ("response_segments", "response", "AFTER UPDATE OF segments", "ROW", "response.rewritten"),
    ("response_truncated", "response", "AFTER TRUNCATE", "STATEMENT", "response.rewritten"),
)

SQLITE_TRIGGERS = {
    # Stamping the row is an UPDATE of it too; the WHEN clause keeps the trigger from answering its own.
    "sentence_result_updated": """
        AFTER UPDATE ON sentence_result WHEN NEW.changed IS OLD.changed
        BEGIN
            UPDATE data_change SET counter = counter + 1 WHERE name = 'sentence_result.updated';
            UPDATE sentence_result
            SET changed = (SELECT counter FROM data_change WHERE name = 'sentence_result.updated')
            WHERE id = NEW.id;
        END""",
    "sentence_result_deleted": """
        AFTER DELETE ON sentence_result
        BEGIN
            UPDATE data_change SET counter = counter + 1 WHERE name = 'sentence_result.deleted';
        END""",
    "response_deleted": """
        AFTER DELETE ON response
        BEGIN
            UPDATE data_change SET counter = counter + 1 WHERE name = 'response.rewritten';
        END""",
    "response_segments": """
        AFTER UPDATE OF segments ON response
        BEGIN
            UPDATE data_change SET counter = counter + 1 WHERE name = 'response.rewritten';
        END""",
}


def upgrade() -> None:
    counters = op.create_table(
        "data_change",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("counter", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(counters, [{"name": name, "counter": 0} for name in COUNTERS])
    op.add_column("sentence_result", sa.Column("changed", sa.BigInteger))
    op.create_index("ix_sentence_result_changed", "sentence_result", ["changed"])
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        _create_postgresql_triggers()
    elif dialect == "sqlite":
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    else:
        raise NotImplementedError(f"no change-counter triggers for the {dialect!r} database")


def _create_postgresql_triggers() -> None:
    # The functions name the schema they were made in: a session with another search_path still counts here.
    schema = op.get_bind().exec_driver_sql("SELECT quote_ident(current_schema())").scalar_one()
    op.execute(f"""
        CREATE FUNCTION vocengine_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE {schema}.data_change SET counter = counter + 1 WHERE name = TG_ARGV[0];
            RETURN NULL;
        END $$""")
    # Runs after the statement trigger has moved the counter (statement triggers fire before row ones).
    op.execute(f"""
        CREATE FUNCTION vocengine_stamp_sentence() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.changed := (SELECT counter FROM {schema}.data_change WHERE name = 'sentence_result.updated');
            RETURN NEW;
        END $$""")
    for name, table, when, level, counter in POSTGRESQL_TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {name} {when} ON {table} FOR EACH {level} EXECUTE FUNCTION vocengine_count_change('{counter}')"
        )
    op.execute(
        "CREATE TRIGGER sentence_result_stamp BEFORE UPDATE ON sentence_result "
        "FOR EACH ROW EXECUTE FUNCTION vocengine_stamp_sentence()"
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for name, table, *_ in (*POSTGRESQL_TRIGGERS, ("sentence_result_stamp", "sentence_result")):
            op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute("DROP FUNCTION vocengine_count_change()")
        op.execute("DROP FUNCTION vocengine_stamp_sentence()")
    elif dialect == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_index("ix_sentence_result_changed", "sentence_result")
    op.drop_column("sentence_result", "changed")
    op.drop_table("data_change")
