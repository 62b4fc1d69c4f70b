"""Alembic's environment for the registry: run on the connection scanverify hands over.

`scanverify registry init --registry URL` runs the migrations; an office that
manages its schema with Alembic's own command can point ``script_location`` at
``scanverify.registry:migrations`` and set ``sqlalchemy.url``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

connection = context.config.attributes.get("connection")
if connection is None:  # Alembic's command line: the URL comes from its configuration
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set sqlalchemy.url, or run 'scanverify registry init --registry URL'")
    with create_engine(url).begin() as own:
        context.configure(connection=own)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
