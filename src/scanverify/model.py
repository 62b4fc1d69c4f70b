"""The data scanverify hands out: statuses, verdicts, trusted keys. All frozen."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .algorithms import PublicKey
    from .decode import DecodedCode

__all__ = ["Fact", "Status", "TrustedKey", "VerificationResult"]

#: How every verdict made with an expired trust list begins its warning.
STALE_TRUST = "the trust list is out of date"


class Status(StrEnum):
    """One verdict per code. The values are seal-format.md section 6's words."""

    GENUINE = "genuine"
    MALFORMED = "malformed"
    UNTRUSTED = "untrusted"
    FORGED = "forged"
    REVOKED = "revoked"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    NOT_A_SEAL = "not_a_seal"
    """A code with no known seal prefix: shown, not a verdict on the document."""
    NO_CODE = "no_code"
    """An image in which no code was found."""
    ERROR = "error"
    """The input could not be read at all (a missing or corrupt file)."""

    @property
    def is_seal_verdict(self) -> bool:
        """True for the statuses that judge a seal (all but not_a_seal, no_code, error)."""
        return self not in (Status.NOT_A_SEAL, Status.NO_CODE, Status.ERROR)


@dataclass(frozen=True)
class TrustedKey:
    """A public key that scanverify trusts to sign seals, and the terms of that trust."""

    public_key: PublicKey
    spki: bytes
    """DER SubjectPublicKeyInfo."""
    kids: frozenset[bytes]
    """Key identifiers that name this key: the CS1 kid, and one per certificate."""
    name: str = ""
    iss: str | None = None
    """The state whose seals this key may sign; None: any."""
    alg: str | None = None
    """The only algorithm this key may be used with; None: whichever fits its type."""
    not_before: datetime | None = None
    not_after: datetime | None = None
    revoked: bool = False
    specimen: bool = False
    source: str = ""
    """Where the key came from: the bundle or file, for messages and `trust show`."""
    certificates: tuple[bytes, ...] = ()
    """DER X.509 certificates, signer first, when the key came with them."""

    @property
    def kid_hex(self) -> str:
        from .algorithms import kid_of

        return kid_of(self.public_key).hex()

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "iss": self.iss,
            "kid": self.kid_hex,
            "specimen": self.specimen,
            "revoked": self.revoked,
            "source": self.source,
        }


@dataclass(frozen=True)
class Fact:
    """One line of what a seal certifies, for the clerk to compare with the paper."""

    label: str
    value: str
    personal: bool = False
    """Personal data (name, birth date): hidden when output is redacted."""


@dataclass(frozen=True)
class VerificationResult:
    """The verdict on one decoded code (or on an image without one)."""

    status: Status
    reason: str
    """Why, in words a clerk can act on."""
    source: str
    """The image path, '<text>' or '<stdin>:N' the code came from."""
    checked_at: datetime
    """The verification time the rules were applied at."""
    format: str | None = None
    """The seal format ('CS1', 'HC1'), None when none was recognised."""
    payload: str | None = None
    """The decoded text of the code (None if it is not text)."""
    code: DecodedCode | None = None
    """Where and how the code was found in an image."""
    kid: bytes | None = None
    key: TrustedKey | None = None
    """The trusted key that has the seal's kid (the one that verified it, if any)."""
    claims: Mapping[str, Any] = field(default_factory=dict)
    record: Mapping[str, Any] = field(default_factory=dict)
    facts: tuple[Fact, ...] = ()
    warnings: tuple[str, ...] = ()
    """Things the clerk must know that do not change the status (a stale trust list)."""

    @property
    def genuine(self) -> bool:
        return self.status is Status.GENUINE

    @property
    def specimen(self) -> bool:
        return self.key is not None and self.key.specimen

    @property
    def is_seal(self) -> bool:
        return self.status.is_seal_verdict

    @property
    def polygon(self) -> tuple[tuple[float, float], ...] | None:
        return self.code.polygon if self.code is not None else None

    @property
    def verdict_text(self) -> str:
        """The status as a clerk reads it; a specimen key is always named."""
        return self.qualified(self.status.value.replace("_", " "))

    def qualified(self, word: str, specimen: str = " (SPECIMEN)") -> str:
        """``word`` (this verdict, in some view's words) with what must be said beside a
        genuine verdict: a specimen key, a stale trust list. Every view says it through here."""
        if self.genuine and self.specimen:
            word += specimen
        if self.genuine and self.trust_stale:
            word += ", but the trust list is out of date"
        return word

    @property
    def trust_stale(self) -> bool:
        return any(w.startswith(STALE_TRUST) for w in self.warnings)

    def redacted(self) -> VerificationResult:
        """A copy without personal data (holder name, birth date) and without the payload
        that encodes it: for logs."""
        from dataclasses import replace

        from .formats import format_named

        fmt = format_named(self.format) if self.format else None
        return replace(
            self,
            payload=None,
            code=replace(self.code, payload=b"") if self.code is not None else None,
            record=fmt.redact(self.record) if fmt is not None else {},
            facts=tuple(f for f in self.facts if not f.personal),
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: the --json line of the command line."""
        out: dict[str, Any] = {
            "source": self.source,
            "status": self.status.value,
            "reason": self.reason,
            "format": self.format,
            "payload": self.payload,
            "polygon": [[round(x, 1), round(y, 1)] for x, y in self.polygon] if self.polygon else None,
            "checked_at": _iso(self.checked_at),
        }
        if self.code is not None:
            out["symbology"] = self.code.symbology
            out["decoder"] = self.code.decoder
            if self.payload is None and self.code.payload:
                out["payload_base64"] = base64.b64encode(self.code.payload).decode()
        if self.format is not None:
            out["kid"] = self.kid.hex() if self.kid else None
            out["issuer"] = self.key.describe() if self.key else None
            out["specimen"] = self.specimen
            out["claims"] = _jsonable(self.claims)
            out["record"] = _jsonable(self.record)
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _jsonable(value: Any) -> Any:
    """Turn CBOR-decoded data into JSON: bytes as hex, datetimes as ISO-8601."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, datetime):
        return _iso(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
