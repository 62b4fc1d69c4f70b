"""Seal formats as plug-ins.

A format recognises a code's exact bytes as its own (a text format decodes
them itself; a binary one such as the ICAO VDS reads them as they are), turns
them into a :class:`ParsedSeal` — the signed bytes, the signature, how it names
its signer, its times and claims — and finds the candidate keys for it in the
trust store (a kid, a certificate reference, a certificate inside the seal
chained to an anchor). The shared order of seal-format.md section 6 then
judges it (:func:`scanverify.verifier.judge`); a format adds its own rules as
:class:`~scanverify.model.Finding` objects, each ranked by its status.

Built-in formats and third-party ones alike register under the entry-point
group ``scanverify.formats`` (an object or a class called with no arguments).
A plug-in that fails to load is reported by ``scanverify doctor`` and in a
warning, and the others go on working. See docs/formats.md for a worked example.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..errors import ScanverifyError
from ..model import Fact, Finding, TrustedKey, quick_init

if TYPE_CHECKING:
    from ..algorithms import Algorithm
    from ..trust import TrustSource, TrustStore

__all__ = [
    "BaseFormat",
    "Chunk",
    "MalformedSeal",
    "ParsedSeal",
    "SealFormat",
    "TextFormat",
    "cwt_claims",
    "find_format",
    "format_named",
    "formats",
    "plugin_problems",
]

ENTRY_POINT_GROUP = "scanverify.formats"


class MalformedSeal(ScanverifyError):
    """A payload that claims to be a format's seal but breaks its rules."""

    def __init__(self, reason: str, *, kid: bytes | None = None) -> None:
        super().__init__(reason)
        self.kid = kid


@quick_init
@dataclass(frozen=True)
class ParsedSeal:
    """What a format found in a payload, ready for the shared checks."""

    format: str
    to_be_signed: bytes
    """The exact bytes the signature covers."""
    signature: bytes
    key_hint: Hashable
    """How the seal names its signer, in the format's own terms: a kid (CS1, HC1), a country
    + signer + certificate reference (VDS), a certificate (VDS-NC). An unauthenticated hint:
    it only picks which keys to try; the signature decides."""
    issued_at: datetime | None
    """When it was signed; None for a format without a signing time (VDS-NC)."""
    expires_at: datetime | None = None
    issuer: str | None = None
    """The issuer the seal claims (a state code, an issuer URL), checked against the key's ``iss``."""
    revocation_id: str | None = None
    """The seal's name on revocation lists ('CN/2021-BJ-0012345')."""
    algorithm: Algorithm | None = None
    """The signature algorithm the seal names; None when the key decides (VDS: its curve)."""
    kid: bytes | None = None
    """A byte kid, shown in hex (CS1, HC1)."""
    kid_text: str | None = None
    """The signer as shown when there is no byte kid."""
    not_before: datetime | None = None
    """The seal's own start of validity (a SMART Health Card's nbf), when it has one."""
    certificates: tuple[bytes, ...] = ()
    """DER certificates carried inside the seal (VDS-NC's signer certificate)."""
    claims: Mapping[str, Any] = field(default_factory=dict)
    record: Mapping[str, Any] = field(default_factory=dict)
    facts: Sequence[Fact] = ()
    """A tuple, or a :class:`~scanverify.model.LazyFacts` built when first read."""
    document_sha256: bytes | None = None
    """The SHA-256 of the document the seal is bound to, when the format carries one
    (CS1 ``doc.h``): compared with the file in hand given as ``document=``."""

    @property
    def signer_text(self) -> str:
        return self.kid.hex() if self.kid is not None else (self.kid_text or "?")


@dataclass(frozen=True)
class Chunk:
    """One code of a seal printed over several codes (a multi-chunk SMART Health Card)."""

    group: Hashable
    """Chunks with equal groups belong to one seal."""
    index: int
    """1-based position."""
    total: int


@runtime_checkable
class SealFormat(Protocol):
    """What a format plug-in provides. Subclass :class:`BaseFormat` for the defaults."""

    @property
    def name(self) -> str:
        """Short name shown in results: 'CS1', 'HC1', 'VDS'."""
        ...

    def recognise(self, data: bytes) -> bool:
        """True when the code's exact bytes claim to be this format's (then parse decides)."""
        ...

    def parse(self, data: bytes) -> ParsedSeal:
        """Parse a payload that :meth:`recognise` claimed; raise MalformedSeal."""
        ...

    def candidate_keys(self, seal: ParsedSeal, trust: TrustStore, at: datetime) -> Sequence[TrustedKey] | Finding:
        """The trusted keys that may have signed it, or an untrusted Finding (chain, usage)."""
        ...

    def verify_signature(self, seal: ParsedSeal, key: TrustedKey) -> bool:
        """True when ``seal.signature`` verifies with ``key``."""
        ...

    def policy(self, seal: ParsedSeal, key: TrustedKey, trust: TrustStore, at: datetime) -> Sequence[Finding]:
        """The format's own rules on the key that verified (any stage of section 6)."""
        ...

    def redact(self, record: Mapping[str, Any]) -> Mapping[str, Any]:
        """The record without personal data (names, birth dates), for --redact."""
        ...


class BaseFormat:
    """Defaults for a format: keys are the trust store's signers for this format whose
    :meth:`key_hints` include the seal's key hint; the signature is checked with the
    algorithm the seal names, which must be the one the key is pinned to (if any)."""

    name: str = ""
    trust_sources: Sequence[TrustSource] = ()
    """Kinds of --trust file this format adds (a JWKS, a trust-service list)."""

    @property
    def fact_labels(self) -> frozenset[str]:
        """The labels of the facts this format names itself (not taken from the seal): shown in
        full, while any other fact counts against the bound of render.MAX_EXTRA_FACTS."""
        return frozenset()

    def recognise(self, data: bytes) -> bool:
        raise NotImplementedError

    def parse(self, data: bytes) -> ParsedSeal:
        raise NotImplementedError

    def key_hints(self, key: TrustedKey) -> Iterable[Hashable]:
        """The key hints by which seals of this format name ``key``."""
        return ()

    def candidate_keys(self, seal: ParsedSeal, trust: TrustStore, at: datetime) -> Sequence[TrustedKey] | Finding:
        return trust.index(self.name, self.key_hints).get(seal.key_hint, ())

    def verify_signature(self, seal: ParsedSeal, key: TrustedKey) -> bool:
        algorithm = seal.algorithm
        # The seal's alg must be the key's own: an alg that does not fit the key's
        # type or curve (or the alg pinned in the bundle) never verifies.
        if algorithm is None or (key.alg is not None and key.alg != algorithm.name):
            return False
        return algorithm.verify(key.public_key, seal.to_be_signed, seal.signature)

    def policy(self, seal: ParsedSeal, key: TrustedKey, trust: TrustStore, at: datetime) -> Sequence[Finding]:
        return ()

    def redact(self, record: Mapping[str, Any]) -> Mapping[str, Any]:
        return record

    def chunk(self, data: bytes) -> Chunk | None:
        """The chunk this code is, for a format printed over several codes; None otherwise."""
        return None

    def join(self, parts: Sequence[bytes]) -> bytes:
        """One payload from all the chunks of a seal, in order."""
        raise NotImplementedError


class TextFormat(BaseFormat):
    """A format whose payload is text with a fixed prefix ('CS1:', 'HC1:')."""

    prefixes: tuple[str, ...] = ()

    def recognise(self, data: bytes) -> bool:
        return data.startswith(_encoded(tuple(self.prefixes)))

    def parse(self, data: bytes | str) -> ParsedSeal:
        if isinstance(data, str):
            return self.parse_text(data)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedSeal(f"a {self.name} seal is text, but these bytes are not UTF-8") from None
        return self.parse_text(text)

    def parse_text(self, payload: str) -> ParsedSeal:
        raise NotImplementedError


@cache
def _encoded(prefixes: tuple[str, ...]) -> tuple[bytes, ...]:
    """A text format's prefixes as UTF-8, made once (find_format runs on every payload)."""
    return tuple(prefix.encode() for prefix in prefixes)


_problems: list[str] = []


@cache
def _first_formats() -> tuple[SealFormat, ...]:
    """CS1 and HC1, always the first of :func:`formats` (a plug-in cannot replace them)."""
    from .cs1 import CS1
    from .hc1 import HC1

    return (CS1(), HC1())


@cache
def formats() -> tuple[SealFormat, ...]:
    """The formats installed: the built-in ones, then those other packages register.

    Each entry point is loaded on its own: one that is broken is reported (see
    :func:`plugin_problems`) and left out, so it cannot stop every verification.
    """
    from importlib.metadata import entry_points

    found: dict[str, SealFormat] = {fmt.name: fmt for fmt in _first_formats()}
    for entry_point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            plugin = entry_point.load()
            fmt = plugin() if isinstance(plugin, type) else plugin
            name = fmt.name
            if not isinstance(name, str) or not name or not callable(getattr(fmt, "recognise", None)):
                raise TypeError("it does not provide a name and recognise()")
        except Exception as exc:  # a third party's bug must not take the verifier down
            problem = f"format plug-in {entry_point.name!r} ({entry_point.value}) failed to load: {exc}"
            _problems.append(problem)
            warnings.warn(f"scanverify: {problem}", RuntimeWarning, stacklevel=2)
            continue
        # A plug-in may not replace a format already registered (a built-in one, say):
        # the first registration of a name stands.
        found.setdefault(name, fmt)
    return tuple(found.values())


def plugin_problems() -> tuple[str, ...]:
    """Why any format plug-in could not be loaded."""
    formats()
    return tuple(_problems)


def format_named(name: str) -> SealFormat | None:
    # CS1 and HC1 stand whatever plug-ins register: found without loading any.
    first = next((fmt for fmt in _first_formats() if fmt.name == name), None)
    return first if first is not None else next((fmt for fmt in formats() if fmt.name == name), None)


def find_format(data: bytes | str) -> SealFormat | None:
    """The format whose seal these exact bytes claim to be, if any."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    first = _first_formats()
    # The formats are tried in formats()' order, which begins with these two:
    # a CS1 or HC1 seal is theirs before any plug-in is looked for or loaded
    # (cold start, and no entry-point scan per payload).
    for fmt in first:
        if fmt.recognise(data):
            return fmt
    for fmt in formats():
        if fmt in first:
            continue
        try:
            if fmt.recognise(data):
                return fmt
        except Exception:  # a plug-in that cannot even say "not mine" is skipped
            continue
    return None


def cwt_claims(payload: bytes, kid: bytes | None, decoded: tuple[Any, ...] = ()) -> dict[Any, Any]:
    """The CWT claims map in a COSE payload, strictly decoded (shared by the COSE formats).

    ``decoded``: ``(the payload already decoded,)`` by the same strict decoder
    (:attr:`scanverify.cose.CoseSign1.decoded_payload`), or ``()``.
    """
    from .._codec import CodecError, cbor_decode

    try:
        claims = decoded[0] if decoded else cbor_decode(payload)
    except CodecError as exc:
        raise MalformedSeal(f"CWT claims: {exc}", kid=kid) from None
    if not isinstance(claims, dict):
        raise MalformedSeal("the COSE payload is not a CWT claims map", kid=kid)
    return claims
