"""The migrations and the table definitions the code uses describe the same schema, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import vocengine.store.tables  # noqa: F401  (registers every table on SQLModel.metadata)


def test_migrated_schema_matches_the_table_definitions(db_engine):
    with db_engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []
