"""The registry's tables, as SQLAlchemy Core sees them now.

The migrations (``migrations/versions``) make these tables; a test checks that
a freshly migrated database and this description agree.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = ["HEAD", "history", "keys", "lookups", "metadata", "seals"]

#: The migration revision this code reads and writes. A database at another
#: revision is refused (older: `registry init` upgrades it; newer: a newer
#: scanverify made it).
HEAD = "0001"

#: Text columns hold at most this much: a record's text values are at most 200
#: characters (seal-format.md section 5).
TEXT = 200

metadata = MetaData()

keys = Table(
    "keys",
    metadata,
    Column("kid", String(16), primary_key=True),
    Column("spki", Text, nullable=False),  # base64 DER SubjectPublicKeyInfo
    Column("alg", String(16), nullable=False),
    Column("first_used", DateTime(timezone=True), nullable=False),
)

seals = Table(
    "seals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("iss", String(2), nullable=False),
    Column("no", String(TEXT), nullable=False),
    Column("dt", String(10), nullable=False),
    Column("kind", String(TEXT), nullable=False),
    Column("authority", String(TEXT), nullable=False),
    Column("signed_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("kid", String(16), ForeignKey("keys.kid"), nullable=False),
    Column("record", Text, nullable=False),  # the record as signed, JSON (bytes as hex)
    Column("seal_sha256", String(64), nullable=False),
    Column("revoked", Boolean, nullable=False),
    # One seal per certificate number and issuing state: what makes a second
    # signing of a number fail inside the database, whoever races whom.
    UniqueConstraint("iss", "no", name="uq_seals_iss_no"),
)
Index("ix_seals_no", seals.c.no)

history = Table(
    "history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("iss", String(2), nullable=False),
    Column("no", String(TEXT), nullable=False),
    Column("action", String(16), nullable=False),  # issued, revoked, unrevoked
    Column("reason", Text, nullable=False),
    Column("actor", String(TEXT), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
Index("ix_history_iss_no", history.c.iss, history.c.no)

lookups = Table(
    "lookups",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # When, and whether anything was found: never the number or date asked
    # for (the log must not become a second copy of what people looked up).
    Column("at", DateTime(timezone=True), nullable=False),
    Column("found", Boolean, nullable=False),
)
