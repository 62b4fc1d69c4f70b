"""The registry of issued seals: what an issuing office signed, revoked, and is asked about.

- :class:`Registry` — a database (SQLite file or PostgreSQL) of the seals
  `scanverify sign --registry URL` made: revocation with an append-only
  history, a trust bundle of the registry's keys and revoked seals, the
  online lookup by certificate number and date of the act, statistics.
- :func:`lookup_answer` — the web query as status code and JSON, for any
  HTTP front end, with a per-client :class:`RateLimiter`.

Needs the ``registry`` extra (SQLAlchemy, Alembic, psycopg). See docs/registry.md.
"""

from __future__ import annotations

from .lookup import RateLimiter, lookup_answer
from .store import (
    EXTRA_MESSAGE,
    Change,
    ConflictError,
    DuplicateSeal,
    IssuedSeal,
    Registry,
    default_url,
)

__all__ = [
    "EXTRA_MESSAGE",
    "Change",
    "ConflictError",
    "DuplicateSeal",
    "IssuedSeal",
    "RateLimiter",
    "Registry",
    "default_url",
    "lookup_answer",
]
