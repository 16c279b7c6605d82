"""Alembic environment: run by `vocengine.store.db.migrate`, which hands over the connection to use."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import vocengine.store.tables  # noqa: F401  (registers the tables on SQLModel.metadata for autogenerate)

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=SQLModel.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
