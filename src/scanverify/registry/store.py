"""The registry of issued seals: one small interface over SQLAlchemy Core, SQLite or PostgreSQL.

>>> registry = Registry.open("sqlite:////tmp/x.sqlite3", create=True)   # doctest: +SKIP
>>> registry.record_seal(seal_text, private_key.public_key())             # doctest: +SKIP
"""

from __future__ import annotations

import base64
import contextlib
import getpass
import hashlib
import hmac
import json
import os
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import RegistryError, UsageError
from ..i18n import N_
from ..i18n import gettext as _

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.engine.url import URL

    from ..algorithms import PublicKey

__all__ = [
    "EXTRA_MESSAGE",
    "Change",
    "ConflictError",
    "DuplicateSeal",
    "IssuedSeal",
    "Registry",
    "default_url",
]

#: Said (translated: ``_(EXTRA_MESSAGE)``) when the registry's extra is not installed.
EXTRA_MESSAGE = N_("the registry needs the 'registry' extra: pip install 'scanverify[registry]'")
#: A certificate number or reason longer than this is refused (a record's text is at most 200).
MAX_TEXT = 200
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: Connections wait this long for another writer's lock (SQLite) before giving up.
BUSY_SECONDS = 30


class ConflictError(RegistryError):
    """The database refused a change that would break one of its rules (a unique number, an append-only row)."""


class DuplicateSeal(ConflictError):
    """This certificate number of this issuing state is in the registry already."""


@dataclass(frozen=True)
class IssuedSeal:
    """One seal the registry holds."""

    iss: str
    no: str
    dt: str
    kind: str
    authority: str
    signed_at: datetime
    kid: str
    record: Mapping[str, Any]
    seal_sha256: str
    revoked: bool

    @property
    def name(self) -> str:
        """The seal's name on revocation lists: ISS/NO."""
        return f"{self.iss}/{self.no}"


@dataclass(frozen=True)
class Change:
    """One row of the append-only history."""

    iss: str
    no: str
    action: str
    reason: str
    actor: str
    at: datetime


def default_url() -> str:
    """The embedded default: a SQLite file in the user's data directory."""
    from ..trustlist import data_dir

    return f"sqlite:///{data_dir() / 'registry.sqlite3'}"


def os_user() -> str:
    """Who is making a change, as the operating system knows them."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME (a bare container)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def check_number(no: object) -> str:
    if not isinstance(no, str) or not no.strip() or len(no) > MAX_TEXT:
        raise UsageError(_("a certificate number is 1 to {max} characters").format(max=MAX_TEXT))
    # A number printed on paper has no control characters; and a NUL or a lone
    # surrogate is text PostgreSQL cannot hold at all: refused alike on both
    # engines (a 400 for the web query, never a database error).
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in no):
        raise UsageError(_("a certificate number has no control characters"))
    return no


def check_date(dt: object) -> str:
    """A date of the act as printed on the certificate: YYYY-MM-DD."""
    if not isinstance(dt, str) or not _DATE.fullmatch(dt):
        raise UsageError(_("the date of the act is given as YYYY-MM-DD"))
    try:
        date.fromisoformat(dt)
    except ValueError:
        raise UsageError(_("the date of the act is given as YYYY-MM-DD")) from None
    return dt


def _reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_TEXT:
        raise UsageError(_("give a reason of 1 to {max} characters (--reason)").format(max=MAX_TEXT))
    return reason.strip()


def _jsonable(value: Any) -> Any:
    """A record as JSON: bytes (doc.h) as hex, as `scanverify sign` takes them."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # an unknown CBOR value (a tag): kept readable


def _utc(moment: datetime) -> datetime:
    # SQLite keeps no zone: every time is written in UTC and read back as UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# A row that exists in no registry: a lookup for a number that is not there
# compares the date and parses a record exactly as one for a wrong date does.
_DECOY_RECORD = json.dumps(
    {"v": 1, "no": "0" * 16, "t": "legalization", "dt": "1970-01-01", "au": "x" * 40, "doc": {"ti": "x" * 40}}
)


class Registry:
    """A registry of issued seals at a database URL (sqlite:///PATH or postgresql://...)."""

    def __init__(self, engine: Engine, shown_url: str) -> None:
        self.engine = engine
        self.url = shown_url
        """The URL with any password hidden: for messages."""

    # ------------------------------------------------------------ opening
    @classmethod
    def open(cls, url: str | None = None, *, create: bool = False) -> Registry:
        """Open the registry at ``url`` (default: :func:`default_url`).

        ``create`` makes it (or upgrades an older one) by running the
        migrations; otherwise a database that is missing, not a registry, or
        at another schema revision is refused with one line.
        """
        try:
            import sqlalchemy  # noqa: F401
        except ImportError:
            raise RegistryError(_(EXTRA_MESSAGE)) from None
        parsed, shown_url = _parse_url(url or default_url())
        engine = _engine(parsed, shown_url, create=create)
        registry = cls(engine, shown_url)
        try:
            if create:
                registry._migrate()
            else:
                registry._check_revision()
        except BaseException:
            engine.dispose()
            raise
        return registry

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", "scanverify.registry:migrations")
        from alembic.util import CommandError

        try:
            with self._transaction(write=True) as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except CommandError as exc:  # e.g. a revision this scanverify does not know: a newer one made it
            raise RegistryError(
                _("{url}: cannot bring this registry up to date ({error})").format(url=self.url, error=_first_line(exc))
            ) from None

    def _check_revision(self) -> None:
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        from .schema import HEAD

        try:
            with self._transaction() as connection:
                revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except RegistryError as exc:
            if isinstance(exc.__cause__, SQLAlchemyError) and "alembic_version" in str(exc.__cause__):
                raise RegistryError(
                    _("{url}: not a scanverify registry (make one with 'scanverify registry init --registry {url}')").format(
                        url=self.url
                    )
                ) from None
            raise
        if revision != HEAD:
            if revision and revision < HEAD:
                why = _("{url}: this registry was made by an older scanverify: upgrade it with 'scanverify registry init'")
            else:
                why = _("{url}: this registry was made by a newer scanverify")
            raise RegistryError(why.format(url=self.url))

    @contextlib.contextmanager
    def _transaction(self, *, write: bool = False) -> Iterator[Connection]:
        """One transaction; every database error leaves as a one-line RegistryError.

        ``write`` takes SQLite's write lock at the start (BEGIN IMMEDIATE), so
        two writers queue instead of one failing half-way when it upgrades a
        read lock.
        """
        from sqlalchemy.exc import IntegrityError, SQLAlchemyError

        try:
            with self.engine.connect() as connection:
                connection = connection.execution_options(scanverify_write=write)
                with connection.begin():
                    yield connection
        except IntegrityError as exc:
            raise ConflictError(_("registry {url}: {error}").format(url=self.url, error=_first_line(exc))) from exc
        except SQLAlchemyError as exc:
            raise RegistryError(_("registry {url}: {error}").format(url=self.url, error=_first_line(exc))) from exc

    # ------------------------------------------------------------ issuing
    def record_seal(
        self, text: str, public_key: PublicKey, *, by: str | None = None, now: datetime | None = None
    ) -> IssuedSeal:
        """Record a seal just made, committed when this returns; DuplicateSeal if its number is in already.

        The row is read from the seal text itself, so the registry holds
        exactly what was signed. ``public_key`` is the key that signed it, kept
        for `export`; it must match the seal's kid.
        """
        from sqlalchemy import select

        from ..algorithms import algorithm_for_key, kid_of, spki_der
        from ..formats.cs1 import CS1
        from .schema import history, keys, seals

        parsed = CS1().parse_text(text)
        kid = kid_of(public_key)
        algorithm = algorithm_for_key(public_key)
        if parsed.kid != kid or algorithm is None or parsed.issuer is None or parsed.issued_at is None:
            raise UsageError(_("this key did not sign this seal"))
        record = _jsonable(parsed.record)
        check_number(record["no"])  # a number that could not be looked up or revoked is not sealed
        now = now or datetime.now(UTC)
        row = {
            "iss": parsed.issuer,
            "no": record["no"],
            "dt": record["dt"],
            "kind": record["t"],
            "authority": record["au"],
            "signed_at": parsed.issued_at,
            "recorded_at": now,
            "kid": kid.hex(),
            "record": json.dumps(record, ensure_ascii=False, sort_keys=True),
            "seal_sha256": hashlib.sha256(text.encode("ascii")).hexdigest(),
            "revoked": False,
        }
        try:
            with self._transaction(write=True) as connection:
                key_row = {
                    "kid": kid.hex(),
                    "spki": base64.b64encode(spki_der(public_key)).decode(),
                    "alg": algorithm.name,
                    "first_used": now,
                }
                connection.execute(_insert_or_ignore(connection, keys, key_row))
                connection.execute(seals.insert().values(row))
                connection.execute(
                    history.insert().values(
                        iss=row["iss"], no=row["no"], action="issued", reason="signed", actor=by or os_user(), at=now
                    )
                )
        except ConflictError:
            with self._transaction() as connection:
                earlier = connection.execute(
                    select(seals.c.signed_at).where(seals.c.iss == row["iss"], seals.c.no == row["no"])
                ).scalar()
            if earlier is None:  # the conflict was not this number: say what the database said
                raise
            raise DuplicateSeal(
                _("{seal} is in the registry already (signed {signed} UTC): a certificate number is sealed once").format(
                    seal=f"{row['iss']}/{row['no']}", signed=f"{_utc(earlier):%Y-%m-%d %H:%M}"
                )
            ) from None
        return self._issued(row)

    # ------------------------------------------------------------ revocation
    def revoke(self, no: str, *, reason: str, iss: str | None = None, by: str | None = None) -> IssuedSeal:
        """Mark a seal revoked, with a history row saying who, when and why."""
        return self._set_revoked(no, True, reason=reason, iss=iss, by=by)

    def unrevoke(self, no: str, *, reason: str, iss: str | None = None, by: str | None = None) -> IssuedSeal:
        """Lift a revocation (only with a reason), with a history row."""
        return self._set_revoked(no, False, reason=reason, iss=iss, by=by)

    def _set_revoked(self, no: str, revoked: bool, *, reason: str, iss: str | None, by: str | None) -> IssuedSeal:
        from sqlalchemy import select

        from .schema import history, seals

        check_number(no)
        reason = _reason(reason)
        with self._transaction(write=True) as connection:
            query = select(seals).where(seals.c.no == no)
            if iss is not None:
                query = query.where(seals.c.iss == iss)
            rows = connection.execute(query).mappings().all()
            if not rows:
                if iss:
                    raise RegistryError(_("no seal numbered {no} for {iss} in the registry").format(no=repr(no), iss=iss))
                raise RegistryError(_("no seal numbered {no} in the registry").format(no=repr(no)))
            if len(rows) > 1:
                states = ", ".join(sorted(r["iss"] for r in rows))
                raise UsageError(
                    _("{no} was sealed for several issuing states ({states}): say which with --iss").format(
                        no=repr(no), states=states
                    )
                )
            row = rows[0]
            if row["revoked"] == revoked:
                already = _("{seal} is revoked already") if revoked else _("{seal} is not revoked already")
                raise RegistryError(already.format(seal=f"{row['iss']}/{no}"))
            connection.execute(seals.update().where(seals.c.id == row["id"]).values(revoked=revoked))
            connection.execute(
                history.insert().values(
                    iss=row["iss"],
                    no=no,
                    action="revoked" if revoked else "unrevoked",
                    reason=reason,
                    actor=by or os_user(),
                    at=datetime.now(UTC),
                )
            )
        return self._issued({**row, "revoked": revoked})

    def history(self, no: str | None = None) -> list[Change]:
        """Every change, oldest first (of one certificate number, if given)."""
        from sqlalchemy import select

        from .schema import history

        query = select(history).order_by(history.c.id)
        if no is not None:
            query = query.where(history.c.no == no)
        with self._transaction() as connection:
            rows = connection.execute(query).mappings().all()
        return [Change(r["iss"], r["no"], r["action"], r["reason"], r["actor"], _utc(r["at"])) for r in rows]

    def seal(self, no: str, *, iss: str | None = None) -> IssuedSeal | None:
        from sqlalchemy import select

        from .schema import seals

        query = select(seals).where(seals.c.no == no)
        if iss is not None:
            query = query.where(seals.c.iss == iss)
        with self._transaction() as connection:
            row = connection.execute(query.order_by(seals.c.iss)).mappings().first()
        return None if row is None else self._issued(dict(row))

    # ------------------------------------------------------------ export
    def bundle(
        self, *, version: int, expires: datetime, name: str = "", base: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """A trust bundle (seal-format.md section 7): the keys that signed the registry's seals
        and its revoked seals, added to ``base`` (another bundle) when given."""
        from cryptography.hazmat.primitives.serialization import load_der_public_key
        from sqlalchemy import select

        from ..issuer import trust_entry
        from .schema import keys, seals

        if type(version) is not int or version < 1:
            raise UsageError(_("the bundle's version is a positive integer"))
        with self._transaction() as connection:
            key_rows = connection.execute(select(keys).order_by(keys.c.first_used, keys.c.kid)).mappings().all()
            states: dict[str, set[str]] = {}
            for kid, iss in connection.execute(select(seals.c.kid, seals.c.iss).group_by(seals.c.kid, seals.c.iss)):
                states.setdefault(kid, set()).add(iss)
            revoked = connection.execute(select(seals.c.iss, seals.c.no).where(seals.c.revoked.is_(True))).all()
        entries = list((base or {}).get("keys", []))
        known = {entry.get("kid") for entry in entries if isinstance(entry, Mapping)}
        for row in key_rows:
            if row["kid"] in known:
                continue
            public_key = load_der_public_key(base64.b64decode(row["spki"]))
            # A key that sealed for one state is trusted for that state only; one
            # used for several (unusual) is entered without iss rather than
            # leaving some of its seals unverifiable.
            iss = next(iter(states[row["kid"]])) if len(states.get(row["kid"], ())) == 1 else None
            entries.append(trust_entry(public_key, name=name, iss=iss))  # type: ignore[arg-type]
        names = set((base or {}).get("revoked_seals", [])) | {f"{iss}/{no}" for iss, no in revoked}
        return {
            "format": "scanverify.trust.v1",
            "version": version,
            "expires": _utc(expires).isoformat().replace("+00:00", "Z"),
            "keys": entries,
            "revoked_seals": sorted(names),
        }

    # ------------------------------------------------------------ lookup
    def lookup(self, no: str, dt: str, *, iss: str | None = None, now: datetime | None = None) -> dict[str, Any]:
        """The online query: ``{"found": true, "status": "valid"|"revoked", "record": {...}}`` when a
        seal has this number *and* this date of the act, else ``{"found": false}``.

        "No such number" and "wrong date" give the same answer after the same
        work: the row (or a decoy) is read, its date compared in constant time
        and its record parsed either way, and one lookup is logged. So numbers
        cannot be walked to learn which exist, let alone whose they are.
        """
        from sqlalchemy import select

        from .schema import seals

        check_number(no)
        check_date(dt)
        query = select(seals.c.dt, seals.c.record, seals.c.revoked).where(seals.c.no == no)
        if iss is not None:
            query = query.where(seals.c.iss == iss)
        with self._transaction() as connection:
            rows: list[tuple[Any, ...]] = [tuple(row) for row in connection.execute(query.order_by(seals.c.iss))]
        real = bool(rows)
        wanted = hashlib.sha256(dt.encode()).digest()
        answer: dict[str, Any] = {"found": False}
        for row_dt, record_json, revoked in rows or [("", _DECOY_RECORD, False)]:
            # Hashes of equal length, compared in constant time: how far the
            # dates agree does not show in the time taken.
            same = hmac.compare_digest(hashlib.sha256(row_dt.encode()).digest(), wanted)
            record = json.loads(record_json)
            if same and real and not answer["found"]:
                answer = {"found": True, "status": "revoked" if revoked else "valid", "record": record}
        self._log_lookup(bool(answer["found"]), now)
        return answer

    def _log_lookup(self, found: bool, now: datetime | None) -> None:
        from .schema import lookups

        try:
            with self._transaction(write=True) as connection:
                connection.execute(lookups.insert().values(at=now or datetime.now(UTC), found=found))
        except RegistryError:
            # A read-only copy of the registry (a web replica) still answers;
            # only its lookup count stays unknown.
            pass

    # ------------------------------------------------------------ statistics
    def stats(self) -> dict[str, Any]:
        """Seals per day, per kind of act and per issuing post; revoked; lookups."""
        from sqlalchemy import func, select

        from .schema import lookups, seals

        with self._transaction() as connection:
            day = _day(connection, seals.c.signed_at)
            per_day = connection.execute(select(day, func.count()).group_by(day).order_by(day)).all()
            per_kind = connection.execute(
                select(seals.c.kind, func.count()).group_by(seals.c.kind).order_by(seals.c.kind)
            ).all()
            per_post = connection.execute(
                select(seals.c.authority, func.count()).group_by(seals.c.authority).order_by(seals.c.authority)
            ).all()
            total = connection.execute(select(func.count()).select_from(seals)).scalar() or 0
            revoked = connection.execute(select(func.count()).where(seals.c.revoked.is_(True))).scalar() or 0
            lookup_day = _day(connection, lookups.c.at)
            lookup_rows = connection.execute(
                select(lookup_day, lookups.c.found, func.count())
                .group_by(lookup_day, lookups.c.found)
                .order_by(lookup_day)
            ).all()
        lookup_days: dict[str, dict[str, int]] = {}
        for when, found, count in lookup_rows:
            counts = lookup_days.setdefault(str(when), {"found": 0, "not_found": 0})
            counts["found" if found else "not_found"] += count
        return {
            "seals": total,
            "revoked": revoked,
            "per_day": {str(when): count for when, count in per_day},
            "per_kind": {kind: count for kind, count in per_kind},
            "per_authority": {post: count for post, count in per_post},
            "lookups": {
                "total": sum(c["found"] + c["not_found"] for c in lookup_days.values()),
                "found": sum(c["found"] for c in lookup_days.values()),
                "per_day": lookup_days,
            },
        }

    # ------------------------------------------------------------ rows
    @staticmethod
    def _issued(row: Mapping[str, Any]) -> IssuedSeal:
        return IssuedSeal(
            iss=row["iss"],
            no=row["no"],
            dt=row["dt"],
            kind=row["kind"],
            authority=row["authority"],
            signed_at=_utc(row["signed_at"]),
            kid=row["kid"],
            record=json.loads(row["record"]),
            seal_sha256=row["seal_sha256"],
            revoked=bool(row["revoked"]),
        )


# ---------------------------------------------------------------- the engine
def _parse_url(url: str) -> tuple[URL, str]:
    """The URL to connect with, and the one to show (as given, its password hidden)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UsageError(_("a registry is given as a URL: sqlite:///PATH or postgresql://USER@HOST/DB")) from None
    shown_url = parsed.render_as_string(hide_password=True)
    backend = parsed.get_backend_name()
    if backend == "postgres":
        backend = "postgresql"
    if backend == "postgresql":
        # psycopg 3, the maintained driver, whatever the URL names.
        return parsed.set(drivername="postgresql+psycopg"), shown_url
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise UsageError(_("a SQLite registry is a file: sqlite:///PATH"))
        return parsed.set(drivername="sqlite+pysqlite"), shown_url
    raise UsageError(_("a registry is SQLite or PostgreSQL, not {backend}").format(backend=repr(backend)))


def _engine(url: URL, shown_url: str, *, create: bool) -> Engine:
    from sqlalchemy import create_engine

    if url.get_backend_name() == "postgresql":
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise RegistryError(_(EXTRA_MESSAGE)) from None
        return create_engine(url, connect_args={"connect_timeout": 10})
    return _sqlite_engine(url, shown_url, create=create)


def _sqlite_engine(url: URL, shown_url: str, *, create: bool) -> Engine:
    import sqlite3
    from urllib.parse import quote

    from sqlalchemy import create_engine, event

    path = Path(str(url.database)).expanduser()
    mode = url.query.get("mode", "rw")
    if mode not in ("rw", "ro"):
        raise UsageError(_("a SQLite registry's mode is rw or ro"))
    if create and mode == "rw":
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            # The registry holds names of certificate holders: readable by its
            # owner only, from the moment it exists.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    elif not path.is_file():
        # Opening a missing file would make an empty registry in which every
        # number is free again: refused, never created on the way.
        raise RegistryError(_("{url}: no registry there (make one with 'scanverify registry init')").format(url=shown_url))

    def connect() -> sqlite3.Connection:
        # mode=rw never creates a file (a registry whose file went away is an
        # error, not a fresh start); mode=ro opens a read-only copy.
        return sqlite3.connect(
            f"file:{quote(str(path))}?mode={mode}", uri=True, timeout=BUSY_SECONDS, check_same_thread=False
        )

    engine = create_engine("sqlite+pysqlite://", creator=connect)

    @event.listens_for(engine, "connect")
    def _connected(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun below, not by the driver
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        write = connection.get_execution_options().get("scanverify_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _insert_or_ignore(connection: Connection, table: Any, row: Mapping[str, Any]) -> Any:
    """INSERT that leaves an existing row (same primary key) alone, race-free on both engines."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).values(row).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).values(row).on_conflict_do_nothing()


def _day(connection: Connection, column: Any) -> Any:
    """The UTC calendar day of a time column, as the engine spells it."""
    from sqlalchemy import Date, cast, func

    if connection.dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def _first_line(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    return lines[0] if lines else type(original).__name__
