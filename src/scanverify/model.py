"""The data scanverify hands out: statuses, verdicts, trusted keys. All frozen."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from .decode import DecodedCode

__all__ = [
    "RESULT_SCHEMA",
    "Cause",
    "DocumentCheck",
    "Fact",
    "Finding",
    "LazyFacts",
    "Role",
    "Status",
    "TrustedKey",
    "VerificationResult",
    "quick_init",
]

#: The version of the JSON a result is written as (``schema`` in every --json row):
#: a reader checks it; a change that renames or removes a key gets a new one.
RESULT_SCHEMA = "scanverify.result.v1"
#: In a pickled TrustedKey: its public key is to be loaded from its `spki`.
_FROM_SPKI = "scanverify:public-key-from-spki"
#: How every verdict made with an expired trust list begins its warning.
STALE_TRUST = "the trust list is out of date"


def quick_init(cls: type[_T]) -> type[_T]:
    """Give a frozen dataclass an ``__init__`` that fills its ``__dict__`` in one go.

    The one dataclasses writes calls ``object.__setattr__`` once per field (a
    frozen class refuses plain assignment), which costs more than the rest of
    building the object: about 1,300 instructions a field, 30,000 for a
    verdict of 17 fields, on every seal verified (issue 15). This one has the
    same parameters, defaults and default factories, and sets the same
    attributes; the class stays frozen (assignment after ``__init__`` still
    raises) and ``dataclasses.replace`` and pickling go through it unchanged.
    tests/test_model.py compares both on every class it is used on.
    A class this cannot copy exactly (``__post_init__``, ``InitVar``,
    keyword-only fields, slots) is left as it is.
    """
    import dataclasses

    params = getattr(cls, "__dataclass_params__", None)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if (
        params is None
        or not params.frozen
        or hasattr(cls, "__post_init__")
        or hasattr(cls, "__slots__")
        or any(f.kw_only or not f.init for f in fields)
        or any(isinstance(f.type, dataclasses.InitVar) for f in fields)
    ):
        return cls
    names = [f.name for f in fields]
    if "__self" in names or any(not name.isidentifier() for name in names):
        return cls
    namespace: dict[str, Any] = {"__missing": _MISSING}
    parameters, lines = [], []
    for f in fields:
        if f.default is not dataclasses.MISSING:
            namespace[f"__default_{f.name}"] = f.default
            parameters.append(f"{f.name}=__default_{f.name}")
            lines.append(f"    __dict[{f.name!r}] = {f.name}")
        elif f.default_factory is not dataclasses.MISSING:
            namespace[f"__factory_{f.name}"] = f.default_factory
            parameters.append(f"{f.name}=__missing")
            lines.append(f"    __dict[{f.name!r}] = __factory_{f.name}() if {f.name} is __missing else {f.name}")
        else:
            parameters.append(f.name)
            lines.append(f"    __dict[{f.name!r}] = {f.name}")
    source = f"def __init__(__self, {', '.join(parameters)}):\n    __dict = __self.__dict__\n" + "\n".join(lines)
    exec(source, namespace)  # source made above from the class's own field names
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    init.__annotations__ = dict(cls.__init__.__annotations__)
    init.dataclass_init = cls.__init__  # kept for the test that compares both
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


class _Missing:
    def __repr__(self) -> str:
        return "<default factory>"


_MISSING = _Missing()
_T = TypeVar("_T")


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


class Cause(StrEnum):
    """Why a verdict is what it is, as data a program can act on (JSON ``cause``).

    Several causes share one status: "untrusted" because no key is known, because
    the key is bound to another state, or because its certificate does not chain
    are different problems with different remedies.
    """

    NONE = "none"
    """Genuine: every rule holds."""
    PARSE = "parse"
    """Malformed: the seal breaks its format."""
    UNKNOWN_KEY = "unknown_key"
    """Untrusted: no trusted key or certificate matches the seal's signer."""
    WRONG_STATE = "wrong_state"
    """Untrusted: the key is bound to another state or issuer than the seal names."""
    KEY_USAGE = "key_usage"
    """Untrusted: the signer may not sign this kind of seal (a certificate's key usage)."""
    CHAIN = "chain"
    """Untrusted: the signer's certificate does not chain to a trusted anchor."""
    SIGNATURE = "signature"
    """Forged: the signature does not verify with the trusted key."""
    REVOKED_KEY = "revoked_key"
    """Revoked: the key is revoked in a trust list, or its certificate is on a CRL."""
    REVOKED_SEAL = "revoked_seal"
    """Revoked: this very seal is on a revocation list."""
    SIGNED_IN_FUTURE = "signed_in_future"
    """Not yet valid: signed after the time of checking."""
    SEAL_NOT_YET_VALID = "seal_not_yet_valid"
    """Not yet valid: the seal's own start of validity is after the time of checking."""
    KEY_NOT_YET_VALID = "key_not_yet_valid"
    """Not yet valid: signed before its key (or certificate) was valid."""
    SEAL_EXPIRED = "seal_expired"
    """Expired: past the seal's own end of validity."""
    KEY_EXPIRED = "key_expired"
    """Expired: signed after its key (or certificate) ended, or, for a format with no
    signing time, the certificate is no longer valid at the time of checking."""
    NOT_A_SEAL = "not_a_seal"
    NO_CODE = "no_code"
    CODE_UNREADABLE = "code_unreadable"
    """No code: a symbol was seen in the image but could not be read (a closer or sharper photo may)."""
    INPUT_ERROR = "input_error"
    """Error: the input could not be read (missing, corrupt, too large)."""
    INTERNAL = "internal"
    """Error: a bug in scanverify met on this input (please report it)."""


#: seal-format.md section 6: the first status in this order that applies stands.
SECTION_6_ORDER: tuple[Status, ...] = (
    Status.MALFORMED,
    Status.UNTRUSTED,
    Status.FORGED,
    Status.REVOKED,
    Status.NOT_YET_VALID,
    Status.EXPIRED,
    Status.GENUINE,
)


@dataclass(frozen=True)
class Finding:
    """One rule's outcome on a seal: the verifier keeps the earliest in section 6's order."""

    status: Status
    cause: Cause
    reason: str
    """English, one line, in words a clerk can act on."""

    @property
    def stage(self) -> int:
        return SECTION_6_ORDER.index(self.status)


class Role(StrEnum):
    """What a trust entry may do."""

    SIGNER = "signer"
    """It may sign seals (of the formats in its scope)."""
    ANCHOR = "anchor"
    """A CA: it certifies the signers of chained formats and never signs a seal itself."""
    CERTIFICATE = "certificate"
    """A signer's certificate, trusted for chained formats only if it chains to an anchor."""


@dataclass(frozen=True)
class TrustedKey:
    """A public key that scanverify trusts, and the terms of that trust."""

    public_key: Any
    """A `cryptography` public key, or scanverify's own verify-only key for curves it lacks."""
    spki: bytes
    """DER SubjectPublicKeyInfo."""
    kids: frozenset[bytes]
    """Key identifiers that name this key: the CS1 kid, and one per certificate."""
    name: str = ""
    iss: str | None = None
    """The issuer whose seals this key may sign: a state code (CS1, HC1) or an issuer's
    own identifier (a SMART Health Card's URL); None: any."""
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
    role: Role = Role.SIGNER
    formats: frozenset[str] | None = None
    """The seal formats this entry serves; None: every format that takes its role.
    A key trusted for one format never verifies another format's seals by accident."""
    warnings: tuple[str, ...] = ()
    """What a verdict resting on this key must say (a stale CRL on its chain)."""
    origin: str = ""
    """Where the material was published (for built-in anchors: the upstream source)."""

    def serves(self, format_name: str) -> bool:
        return self.formats is None or format_name in self.formats

    # A `cryptography` key cannot be pickled: a Verifier sent to another process
    # (a worker, a server's) carries each key as its DER SubjectPublicKeyInfo and
    # loads it again there, through the same lenient reader as a trust file.
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if type(state["public_key"]).__module__.startswith("cryptography"):
            state["public_key"] = _FROM_SPKI
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("public_key") == _FROM_SPKI:
            from .x509 import load_public_key

            state = {**state, "public_key": load_public_key(state["spki"])}
        for name, value in state.items():
            object.__setattr__(self, name, value)

    @property
    def kid_hex(self) -> str:
        from .algorithms import kid_of

        try:
            return kid_of(self.public_key).hex()
        except (TypeError, ValueError, AttributeError):
            import hashlib

            return hashlib.sha256(self.spki).digest()[:8].hex()

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "iss": self.iss,
            "kid": self.kid_hex,
            "role": self.role.value,
            "formats": sorted(self.formats) if self.formats is not None else None,
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


class LazyFacts(Sequence[Fact]):
    """A seal's facts, built the first time they are read.

    A verdict does not depend on them and a JSON line does not show them: a
    program that verifies many payloads (a server, an archive check) never
    pays for turning each record into lines for a clerk. Reads like the tuple
    it stands for (equal to it, same repr); pickled, it is that tuple.
    """

    __slots__ = ("_facts", "_make")

    def __init__(self, make: Callable[[], Iterable[Fact]]) -> None:
        self._make: Callable[[], Iterable[Fact]] | None = make
        self._facts: tuple[Fact, ...] | None = None

    def built(self) -> tuple[Fact, ...]:
        facts = self._facts
        if facts is None:
            assert self._make is not None
            # Two threads may both build them: the same pure function, the same facts.
            facts = self._facts = tuple(self._make())
            self._make = None
        return facts

    def __len__(self) -> int:
        return len(self.built())

    @overload
    def __getitem__(self, index: int) -> Fact: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Fact, ...]: ...
    def __getitem__(self, index: int | slice) -> Fact | tuple[Fact, ...]:
        return self.built()[index]

    def __iter__(self) -> Iterator[Fact]:
        return iter(self.built())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyFacts):
            other = other.built()
        return self.built() == other

    def __hash__(self) -> int:
        return hash(self.built())

    def __repr__(self) -> str:
        return repr(self.built())

    def __reduce__(self) -> tuple[Any, ...]:
        return (tuple, (self.built(),))


@dataclass(frozen=True)
class DocumentCheck:
    """The document in hand compared with the hash its seal carries."""

    sha256: str
    """The SHA-256 of the file given, in hex."""
    match: bool | None
    """True: the file is the one sealed; False: it is not; None: the seal carries no hash."""

    def to_json(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "match": self.match}


@quick_init
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
    """The seal's key identifier, when its format has one in bytes (CS1, HC1)."""
    key: TrustedKey | None = None
    """The trusted key that verified the signature; None when none did."""
    claims: Mapping[str, Any] = field(default_factory=dict)
    record: Mapping[str, Any] = field(default_factory=dict)
    facts: Sequence[Fact] = ()
    """What the seal certifies, line by line (a tuple, or a :class:`LazyFacts` that reads like one)."""
    warnings: tuple[str, ...] = ()
    """Things the clerk must know that do not change the status (a stale trust list)."""
    cause: Cause = Cause.NONE
    """Why the status is what it is."""
    signature_valid: bool | None = None
    """Whether the signature verified with a trusted key; None when it was never checked
    (malformed, or no trusted key to check it with)."""
    kid_text: str | None = None
    """The seal's signer as its format names it, when that is not a byte kid (VDS: country,
    signer and certificate reference)."""
    document: DocumentCheck | None = None
    """The document in hand checked against the seal's document hash, when one was given."""

    @property
    def document_mismatch(self) -> bool:
        """True when a document was given and the seal names another (a rejection on its own)."""
        return self.document is not None and self.document.match is False

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

    def qualified(
        self, word: str, specimen: str = " (SPECIMEN)", stale: str = ", but the trust list is out of date"
    ) -> str:
        """``word`` (this verdict, in some view's words or language) with what must be said beside
        a genuine verdict: a specimen key, a stale trust list. Every view says it through here."""
        if self.genuine and self.specimen:
            word += specimen
        if self.genuine and self.trust_stale:
            word += stale
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
        personal = [f.value for f in self.facts if f.personal]
        return replace(
            self,
            payload=None,
            code=replace(self.code, payload=b"", text_hint=None) if self.code is not None else None,
            record=fmt.redact(self.record) if fmt is not None else {},
            facts=tuple(f for f in self.facts if not f.personal),
            # A reason may quote what it found wrong (a field's value): redaction
            # is total, so no word of the payload or of a personal fact stays in it.
            reason=_scrub(self.reason, personal),
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: the --json line of the command line."""
        out: dict[str, Any] = {
            "schema": RESULT_SCHEMA,
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
            if self.code.payload and (self.payload is None or not _is_utf8(self.code.payload)):
                # The exact bytes whenever `payload` is not them in UTF-8 (absent, or
                # read in the symbol's own character set).
                out["payload_base64"] = base64.b64encode(self.code.payload).decode()
        out["cause"] = self.cause.value
        if self.format is not None:
            out["kid"] = self.kid.hex() if self.kid else self.kid_text
            out["signature_valid"] = self.signature_valid
            out["issuer"] = self.key.describe() if self.key else None
            out["specimen"] = self.specimen
            out["claims"] = _jsonable(self.claims)
            out["record"] = _jsonable(self.record)
            out["facts"] = [{"label": f.label, "value": f.value, "personal": f.personal} for f in self.facts]
        if self.document is not None:
            out["document"] = self.document.to_json()
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out


def _scrub(text: str, personal: list[str]) -> str:
    """``text`` without anything it quotes, nor any word of a personal fact.

    Reasons quote what they found wrong as Python reprs ('…' or "…"): a value
    read from the seal, perhaps a name. Redacted, every quoted value goes, and
    so does every word (3 characters or more) of a holder's name or birth date.
    """
    import re

    text = re.sub(r"""(['"]).*?\1""", lambda m: f"{m.group(1)}[redacted]{m.group(1)}", text)
    words = {w for value in personal for w in re.findall(r"\w{3,}", value)}
    if words:
        text = re.sub(r"\w{3,}", lambda m: "[redacted]" if m.group(0) in words else m.group(0), text)
    return text


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


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
