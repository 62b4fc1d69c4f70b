"""The first registry: keys, seals, the append-only history, the lookup log.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_APPEND_ONLY = {
    # A seal row is never deleted (a revocation is a flag plus a history row),
    # and the history is never changed at all: who revoked what, when and why
    # must survive a mistaken or malicious UPDATE/DELETE from any client.
    "history": ("UPDATE", "DELETE"),
    "seals": ("DELETE",),
}


def upgrade() -> None:
    op.create_table(
        "keys",
        sa.Column("kid", sa.String(16), primary_key=True),
        sa.Column("spki", sa.Text, nullable=False),
        sa.Column("alg", sa.String(16), nullable=False),
        sa.Column("first_used", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "seals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("iss", sa.String(2), nullable=False),
        sa.Column("no", sa.String(200), nullable=False),
        sa.Column("dt", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(200), nullable=False),
        sa.Column("authority", sa.String(200), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kid", sa.String(16), sa.ForeignKey("keys.kid"), nullable=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("seal_sha256", sa.String(64), nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False),
        sa.UniqueConstraint("iss", "no", name="uq_seals_iss_no"),
    )
    op.create_index("ix_seals_no", "seals", ["no"])
    op.create_table(
        "history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("iss", sa.String(2), nullable=False),
        sa.Column("no", sa.String(200), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_history_iss_no", "history", ["iss", "no"])
    op.create_table(
        "lookups",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("found", sa.Boolean, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION scanverify_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION '% on % refused: the registry keeps every row', TG_OP, TG_TABLE_NAME; END $$"
        )
        for table, operations in _APPEND_ONLY.items():
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE {' OR '.join(operations)} ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION scanverify_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION scanverify_append_only()"
            )
    else:
        for table, operations in _APPEND_ONLY.items():
            for operation in operations:
                op.execute(
                    f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{operation} on {table} refused: the registry keeps every row'); END"
                )


def downgrade() -> None:
    for table in ("lookups", "history", "seals", "keys"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION scanverify_append_only()")
