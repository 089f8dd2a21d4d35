"""Alembic environment: migrations run on the connection the store hands over.

The store opens the connection (and, for SQLite, the write lock) itself, so migrations run in
the caller's transaction: two processes opening a new store at once never both create it.
"""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
