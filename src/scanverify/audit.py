"""An audit trail of verdicts: one JSON line per result, each bound to the line before.

Every line carries ``prev``, the SHA-256 (hex) of the line before it (its bytes,
without the line end); the first line carries :data:`GENESIS`. Removing,
changing or moving a line breaks the chain at the line after it, and
:func:`verify_log` says where. What a chain cannot show alone is a change to
its *last* line (or lines cut from its end): keep the tip that ``scanverify
audit verify`` prints somewhere else, and give it back with ``--tip``.

Appending takes an exclusive lock on the file (``flock``) around reading the
last line, writing the new ones in one ``write`` and ``fsync``: writers in
several processes (a live scan and a batch) never interleave or fork the chain.
Results are redacted (no holder name, birth date or payload) unless the log is
opened with ``full=True``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .i18n import gettext as _

if TYPE_CHECKING:
    from .model import VerificationResult

__all__ = ["AUDIT_SCHEMA", "GENESIS", "AuditLog", "AuditReport", "line_hash", "verify_log"]

AUDIT_SCHEMA = "scanverify.audit.v1"
#: What the first line's ``prev`` is: a fixed value, so that a log whose first
#: lines were cut away does not start a chain of its own unnoticed.
GENESIS = hashlib.sha256(b"scanverify.audit.v1 genesis").hexdigest()
#: The last line is looked for in at most this many bytes from the end (a line
#: is a result's JSON: a few KB).
TAIL_LIMIT = 1 << 20


def line_hash(line: bytes) -> str:
    """The hash the next line carries as ``prev``: SHA-256 of the line without its line end."""
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


@dataclass(frozen=True)
class AuditLog:
    """Appends results to the audit log at ``path`` (created mode 0600 if missing)."""

    path: str | os.PathLike[str]
    full: bool = False
    """Keep personal data (names, birth dates, payloads); redacted by default."""

    def append(self, results: Iterable[VerificationResult]) -> None:
        """One chained line per result, all written under one lock, then fsynced."""
        results = list(results)
        if not results:
            return
        fd = _open_log(self.path)
        try:
            _lock(fd)
            prev, torn = _tail(fd)
            lines: list[bytes] = []
            for result in results:
                public = result if self.full else result.redacted()
                record = {
                    "schema": AUDIT_SCHEMA,
                    "prev": prev,
                    "logged_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                    "redacted": not self.full,
                    "result": public.to_json(),
                }
                # ASCII only, compact: one line whatever the names hold (\u escapes).
                line = json.dumps(record, ensure_ascii=True, separators=(",", ":"), sort_keys=True).encode("ascii")
                lines.append(line + b"\n")
                prev = line_hash(line)
            # A line left without its end by a crash is closed, not glued onto: the
            # chain then breaks there and `audit verify` says so.
            data = (b"\n" if torn else b"") + b"".join(lines)
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)  # closing releases the lock


def _open_log(path: str | os.PathLike[str]) -> int:
    from ._files import special_file_problem

    problem = special_file_problem(path)
    if problem is not None:
        raise UsageError(_("audit log {path}: {problem}").format(path=os.fspath(path), problem=problem))
    # O_APPEND: every write lands at the end, whoever else has the file open;
    # 0600: a full log holds personal data. O_NOFOLLOW is not used: a log kept
    # behind a symbolic link (on another disk) is a normal set-up.
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        return os.open(path, flags, 0o600)
    except OSError as exc:
        raise UsageError(
            _("audit log {path}: cannot open for appending ({error})").format(path=os.fspath(path), error=exc.strerror or exc)
        ) from None


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined]
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def _tail(fd: int) -> tuple[str, bool]:
    """The hash of the last line (GENESIS for an empty log), and whether it lacks its line end."""
    size = os.fstat(fd).st_size
    if size == 0:
        return GENESIS, False
    start = max(0, size - TAIL_LIMIT)
    data = os.pread(fd, size - start, start) if hasattr(os, "pread") else _read_at(fd, start, size - start)
    torn = not data.endswith(b"\n")
    body = data if torn else data[:-1]
    cut = body.rfind(b"\n")
    if cut < 0 and start > 0:
        raise UsageError(_("audit log: its last line is longer than 1 MiB: not a log scanverify wrote"))
    return line_hash(body[cut + 1 :]), torn


def _read_at(fd: int, offset: int, length: int) -> bytes:
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, length)


def _write_all(fd: int, data: bytes) -> None:
    while data:
        written = os.write(fd, data)
        data = data[written:]


@dataclass(frozen=True)
class AuditReport:
    """What :func:`verify_log` found."""

    lines: int
    """Lines read (up to the first break)."""
    tip: str
    """The hash of the last intact line (GENESIS for an empty log): keep it elsewhere."""
    broken_at: int | None = None
    """The 1-based number of the first line that does not follow from the one before."""
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify_log(path: str | os.PathLike[str], *, tip: str | None = None) -> AuditReport:
    """Check the chain of the audit log at ``path``; ``tip``: the last line's hash kept elsewhere.

    Raises UsageError when the file cannot be read at all.
    """
    from ._files import open_regular

    name = os.fspath(path)
    try:
        fd, problem = open_regular(path)
    except FileNotFoundError:
        raise UsageError(_("audit log {path}: no such file").format(path=name)) from None
    except (OSError, ValueError) as exc:
        raise UsageError(
            _("audit log {path}: cannot open ({error})").format(path=name, error=getattr(exc, "strerror", None) or exc)
        ) from None
    if problem is not None:
        raise UsageError(_("audit log {path}: {problem}; refused").format(path=name, problem=problem))
    prev, number = GENESIS, 0
    with os.fdopen(fd, "rb") as file:
        for number, raw in enumerate(file, start=1):
            if not raw.endswith(b"\n"):
                return AuditReport(number - 1, prev, number, "the line is incomplete (no line end): a write was cut short")
            found = _prev_of(raw)
            if isinstance(found, _Bad):
                return AuditReport(number - 1, prev, number, found.why)
            if found != prev:
                if number == 1:
                    why = "it does not start from the genesis value: lines were removed from the beginning"
                else:
                    why = (
                        f"it does not follow line {number - 1}: a line before it was changed, "
                        "removed or moved, or this one was moved"
                    )
                return AuditReport(number - 1, prev, number, why)
            prev = line_hash(raw)
    if tip is not None and tip.lower() != prev:
        return AuditReport(
            number, prev, number + 1 if number else 1,
            "the log does not end at the tip given: its last line was changed, or lines were removed from its end"
        )
    return AuditReport(number, prev)


@dataclass(frozen=True)
class _Bad:
    why: str


def _prev_of(raw: bytes) -> str | _Bad:
    try:
        record: Any = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _Bad("the line is not valid JSON (changed by hand, or not written by scanverify)")
    if not isinstance(record, dict) or not isinstance(record.get("prev"), str):
        return _Bad("the line has no 'prev' hash: not a line of a scanverify audit log")
    return str(record["prev"])
