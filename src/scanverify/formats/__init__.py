"""Seal formats as plug-ins.

A format says which payloads are its own (by prefix) and turns one into a
:class:`ParsedSeal` — the signed bytes, the signature, the kid and the claims —
that the shared verification steps then judge. Third-party formats register
an object with the same shape under the entry-point group
``scanverify.formats``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, Protocol, runtime_checkable

from ..algorithms import Algorithm
from ..errors import ScanverifyError
from ..model import Fact, Status, TrustedKey

__all__ = ["MalformedSeal", "ParsedSeal", "SealFormat", "cwt_claims", "find_format", "format_named", "formats"]


class MalformedSeal(ScanverifyError):
    """A payload that carries a format's prefix but breaks its rules."""

    def __init__(self, reason: str, *, kid: bytes | None = None) -> None:
        super().__init__(reason)
        self.kid = kid


@dataclass(frozen=True)
class ParsedSeal:
    """What a format found in a payload, ready for the shared checks."""

    format: str
    kid: bytes
    algorithm: Algorithm
    to_be_signed: bytes
    signature: bytes
    issued_at: datetime
    expires_at: datetime | None
    issuer_state: str | None
    """The issuing state the seal claims (iss), checked against the key's."""
    revocation_id: str | None
    """The seal's name on a bundle's revoked list ('CN/2021-BJ-0012345')."""
    claims: Mapping[str, Any] = field(default_factory=dict)
    record: Mapping[str, Any] = field(default_factory=dict)
    facts: tuple[Fact, ...] = ()


@runtime_checkable
class SealFormat(Protocol):
    @property
    def name(self) -> str:
        """Short name shown in results: 'CS1', 'HC1'."""
        ...

    @property
    def prefixes(self) -> Sequence[str]:
        """Payload prefixes that make a payload this format's own."""
        ...

    def parse(self, payload: str) -> ParsedSeal:
        """Parse a payload that starts with one of ``prefixes``; raise MalformedSeal."""
        ...

    def key_policy(self, seal: ParsedSeal, key: TrustedKey) -> tuple[Status, str] | None:
        """A format's own rule on a key that verified the seal, or None when it has none."""
        ...

    def redact(self, record: Mapping[str, Any]) -> Mapping[str, Any]:
        """The record without personal data (names, birth dates), for --redact."""
        ...


@cache
def formats() -> tuple[SealFormat, ...]:
    """The built-in formats, then those registered by other packages."""
    from importlib.metadata import entry_points

    from .cs1 import CS1
    from .hc1 import HC1

    found: list[SealFormat] = [CS1(), HC1()]
    for entry_point in entry_points(group="scanverify.formats"):
        plugin = entry_point.load()
        found.append(plugin() if isinstance(plugin, type) else plugin)
    return tuple(found)


def cwt_claims(payload: bytes, kid: bytes | None) -> dict[Any, Any]:
    """The CWT claims map in a COSE payload, strictly decoded (shared by the COSE formats)."""
    from .._codec import CodecError, cbor_decode

    try:
        claims = cbor_decode(payload)
    except CodecError as exc:
        raise MalformedSeal(f"CWT claims: {exc}", kid=kid) from None
    if not isinstance(claims, dict):
        raise MalformedSeal("the COSE payload is not a CWT claims map", kid=kid)
    return claims


def format_named(name: str) -> SealFormat | None:
    return next((fmt for fmt in formats() if fmt.name == name), None)


def find_format(payload: str) -> SealFormat | None:
    for fmt in formats():
        if any(payload.startswith(prefix) for prefix in fmt.prefixes):
            return fmt
    return None
