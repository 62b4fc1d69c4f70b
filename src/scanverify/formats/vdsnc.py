"""ICAO VDS-NC: the visible digital seal for non-constrained environments (a JSON seal in a QR).

    {"data": {"hdr": {"t": "icao.vacc", "v": 1, "is": "AUS"}, "msg": {...}},
     "sig":  {"alg": "ES256", "cer": "<base64url DER BSC>", "sigvl": "<base64url r||s>"}}

The signature covers the RFC 8785 (JCS) canonical form of ``data``. The
signer (the barcode signer certificate, BSC) travels inside the seal and is
trusted only if it chains to a trusted CSCA, has the VDS-NC extended key
usage, belongs to the state the header names, is valid at the time of
checking and is on no CRL of its CSCA.

The module has three layers: the seal itself (strict JSON, canonical form,
facts), the certificate rules (``check_bsc``, ``check_validity``: pure
functions of certificates, CRLs and a time, on the chain of
``scanverify.x509``), and the :class:`VDSNC` plug-in that maps them onto the
format seam.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..countries import alpha2
from ..errors import TrustError
from ..model import Fact, Status
from ..x509 import Certificate, ChainFailure, certificate_of, chain, load_certificate
from . import BaseFormat, MalformedSeal, ParsedSeal

if TYPE_CHECKING:
    from ..model import Finding, TrustedKey
    from ..trust import TrustStore

__all__ = [
    "FORMAT",
    "MAX_SEAL_BYTES",
    "VDSNC",
    "VDSNC_EKU",
    "BscTrust",
    "Problem",
    "VdsNc",
    "check_bsc",
    "check_validity",
    "claims_vdsnc",
    "facts_of",
    "parse_vdsnc",
    "read_certificate",
    "redact_record",
    "verify_vdsnc_signature",
]

FORMAT = "VDS-NC"
#: Extended key usage a barcode signer needs to sign VDS-NC (ICAO TR "VDS-NC", 2.23.136.1.1.14.2).
VDSNC_EKU = "2.23.136.1.1.14.2"
#: A QR holds under 3 KB; anything much larger is not a seal and is not parsed.
MAX_SEAL_BYTES = 16 * 1024
#: Real seals nest 5 deep; a deeper document is refused before it is canonicalised.
MAX_DEPTH = 16
_ALGORITHMS = ("ES256", "ES384", "ES512")
_B64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")
_ALPHA3 = re.compile(r"[A-Z]{3}")
_TYPES = {"icao.vacc": "proof of vaccination", "icao.test": "proof of testing"}


# ---- the seal -----------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A rule a seal breaks: its status, the seam's cause name and a clerk's reason."""

    status: Status
    cause: str
    reason: str


@dataclass(frozen=True)
class VdsNc:
    """A VDS-NC seal, parsed: what is signed, the signature and the signer certificate."""

    data: Mapping[str, Any]
    header: Mapping[str, Any]
    message: Mapping[str, Any]
    alg: str
    signature: bytes
    certificate: Certificate
    to_be_signed: bytes
    """The RFC 8785 canonical form of ``data``: the bytes the signature covers."""

    @property
    def kind(self) -> str:
        return str(self.header["t"])

    @property
    def issuing_state(self) -> str:
        """The header's alpha-3 issuing state ("AUS")."""
        return str(self.header["is"])


def _load_json(data: bytes, *, strict: bool) -> Any:
    """JSON from a code's bytes, or None when it is not JSON at all.

    Strict: a key twice in one object is an error (parsers disagree on which
    one counts, so the clerk could be shown another name than was signed);
    not strict (only to see what the code claims to be) the last one counts.
    """
    if len(data) > MAX_SEAL_BYTES:
        if strict:
            raise MalformedSeal(f"the seal is larger than {MAX_SEAL_BYTES} bytes")
        return None
    from ..trust import _unique_keys  # the trust files' rule: a key twice in one object is an error

    try:
        text = data.decode("utf-8")  # strict UTF-8: no replacement characters
        return json.loads(
            text,
            object_pairs_hook=_unique_keys if strict else dict,
            # NaN and Infinity are not JSON and have no canonical form.
            parse_constant=_refuse_constant,
        )
    # ValueError covers JSONDecodeError, duplicate keys and integers past
    # Python's 4300-digit limit; RecursionError a document nested too deep.
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        if strict:
            raise MalformedSeal(f"not valid JSON ({exc})") from None
        return None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _depth(value: Any, limit: int = MAX_DEPTH) -> int:
    if limit < 0:
        return 1
    if isinstance(value, dict):
        return 1 + max((_depth(v, limit - 1) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v, limit - 1) for v in value), default=0)
    return 0


def claims_vdsnc(data: bytes) -> bool:
    """True when a code's bytes are a JSON object that claims to be a VDS-NC (has ``data.hdr``).

    JSON that claims nothing of VDS-NC (``{"isThisAVDS": false}``) is not a seal.
    """
    document = _load_json(data, strict=False)
    if document is not None:
        return isinstance(document, dict) and isinstance(document.get("data"), dict) and "hdr" in document["data"]
    # Not JSON that can be read: larger than a seal may be, nested past what
    # the parser takes, a number past Python's digit limit, or broken. When it
    # still reads as a VDS-NC (an object naming "data" and "hdr"), it is a
    # malformed VDS-NC, not "no seal": the clerk must learn that a seal is
    # there and broken (a linear scan of the bytes, nothing is parsed).
    return data.lstrip()[:1] == b"{" and b'"data"' in data and b'"hdr"' in data


def parse_vdsnc(data: bytes) -> VdsNc:
    """A seal that claims to be VDS-NC, strictly parsed; MalformedSeal says what is broken."""
    import rfc8785

    document = _load_json(data, strict=True)
    if not isinstance(document, dict):
        raise MalformedSeal("a VDS-NC seal is a JSON object")
    if _depth(document) > MAX_DEPTH:
        raise MalformedSeal(f"the JSON is nested deeper than {MAX_DEPTH} levels")
    # Only data is signed: a field beside it could be shown as if it were.
    extra = sorted(set(document) - {"data", "sig"})
    if extra:
        raise MalformedSeal(f"unexpected top-level field {extra[0]!r} (a VDS-NC has only data and sig)")
    body, sig = document.get("data"), document.get("sig")
    if not isinstance(body, dict):
        raise MalformedSeal("data is not a JSON object")
    header, message = body.get("hdr"), body.get("msg")
    if not isinstance(header, dict):
        raise MalformedSeal("data.hdr is not a JSON object")
    if not isinstance(message, dict):
        raise MalformedSeal("data.msg is missing or not a JSON object")
    kind = header.get("t")
    if not isinstance(kind, str) or not kind:
        raise MalformedSeal("data.hdr.t (the seal type) is missing")
    if header.get("v") != 1 or type(header.get("v")) is not int:
        raise MalformedSeal(f"data.hdr.v is {header.get('v')!r}; only version 1 is known")
    state = header.get("is")
    if not isinstance(state, str) or not _ALPHA3.fullmatch(state):
        raise MalformedSeal("data.hdr.is (the issuing state) is not a three-letter code")
    if not isinstance(sig, dict):
        raise MalformedSeal("sig is missing or not a JSON object")
    alg = sig.get("alg")
    if alg not in _ALGORITHMS:
        raise MalformedSeal(f"sig.alg {alg!r} is not one of {', '.join(_ALGORITHMS)}")
    signature = _b64url(sig.get("sigvl"), "sig.sigvl")
    certificate = read_certificate(_b64url(sig.get("cer"), "sig.cer"), "sig.cer")
    try:
        to_be_signed = rfc8785.dumps(body)
    # A lone surrogate in a string, or a number JCS cannot express, has no
    # canonical form, so no signature can cover it.
    except (rfc8785.CanonicalizationError, ValueError, UnicodeError) as exc:
        raise MalformedSeal(f"data has no RFC 8785 canonical form ({exc})") from None
    return VdsNc(body, header, message, str(alg), signature, certificate, to_be_signed)


def _b64url(text: Any, what: str) -> bytes:
    if not isinstance(text, str) or not text or not _B64URL.fullmatch(text):
        raise MalformedSeal(f"{what} is not base64url text")
    try:
        return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        raise MalformedSeal(f"{what} is not valid base64url") from None


def verify_vdsnc_signature(seal: VdsNc, public_key: Any) -> bool:
    """True when ``sig.sigvl`` is a valid ``sig.alg`` signature of the canonical data by the key.

    An alg that does not fit the key (ES384 on a P-256 key) never verifies:
    the key decides the curve and the hash, the seal only repeats them.
    """
    from ..algorithms import ALGORITHMS

    return ALGORITHMS[seal.alg].verify(public_key, seal.to_be_signed, seal.signature)


# ---- facts for the clerk ---------------------------------------------------------


def _text(value: Any) -> str | None:
    """A field as a clerk sees it: text and numbers as they are, anything else as JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)[:200]


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _join(*parts: str | None, sep: str = ", ") -> str:
    return sep.join(p for p in parts if p)


#: The labels of the facts VDS-NC names itself ("Vaccination, dose N" takes N from the seal).
FACT_LABELS = frozenset(
    {
        "Document",
        "Issuing state",
        "Name",
        "Date of birth",
        "Sex",
        "Travel document number",
        "Other document number",
        "Travel document type",
        "Document number",
        "Vaccination certificate (UVCI)",
        "Test certificate (UTCI)",
        "Test result",
        "Sample collected",
        "Result issued",
        "Testing facility",
    }
)


def facts_of(seal: VdsNc) -> tuple[Fact, ...]:
    """What a VDS-NC certifies, line by line (personal data marked so --redact hides it)."""
    message = seal.message
    pid = _obj(message.get("pid"))
    facts = [
        Fact("Document", _TYPES.get(seal.kind, f"VDS-NC of type {seal.kind}")),
        Fact("Issuing state", seal.issuing_state),
    ]

    def add(label: str, value: Any, personal: bool = False) -> None:
        text = _text(value)
        if text:
            facts.append(Fact(label, text, personal))

    add("Name", pid.get("n"), personal=True)
    add("Date of birth", pid.get("dob"), personal=True)
    add("Sex", pid.get("sex"), personal=True)
    add("Travel document number", pid.get("i"), personal=True)
    add("Other document number", pid.get("ai"), personal=True)
    add("Travel document type", pid.get("dt"))
    add("Document number", pid.get("dn"), personal=True)
    if seal.kind == "icao.vacc":
        add("Vaccination certificate (UVCI)", message.get("uvci"))
        for event in _list(message.get("ve")):
            event = _obj(event)
            vaccine = _join(_text(event.get("nam")), _text(event.get("des")), sep=" ")
            for dose in _list(event.get("vd")):
                dose = _obj(dose)
                add(
                    f"Vaccination, dose {_text(dose.get('seq')) or '?'}",
                    _join(
                        vaccine,
                        _text(dose.get("dvc")),
                        _text(dose.get("ctr")),
                        _text(dose.get("adm")),
                        (lot := _text(dose.get("lot"))) and f"lot {lot}",
                    ),
                )
    elif seal.kind == "icao.test":
        add("Test certificate (UTCI)", message.get("utci"))
        result = _obj(message.get("tr"))
        when = _obj(message.get("dat"))
        provider = _obj(message.get("sp"))
        add("Test result", _join(_text(result.get("r")), _text(result.get("tc")), _text(result.get("m"))))
        add("Sample collected", when.get("sc"))
        add("Result issued", when.get("ri"))
        add("Testing facility", _join(_text(provider.get("spn")), _text(provider.get("ctr"))))
    return tuple(facts)


#: The holder's fields inside msg.pid that --redact removes.
_PERSONAL = ("n", "dob", "sex", "i", "ai", "dn")


def redact_record(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """The record (``{"hdr":..., "msg":...}``) without the holder's name, birth date and document numbers."""
    out = copy.deepcopy(dict(record))
    message = out.get("msg")
    if isinstance(message, dict) and isinstance(message.get("pid"), dict):
        message["pid"] = {k: v for k, v in message["pid"].items() if k not in _PERSONAL}
    return out


# ---- trust ---------------------------------------------------------------------


def read_certificate(der: bytes, what: str) -> Certificate:
    """A certificate from a seal or the trust store; MalformedSeal when it cannot be read."""
    try:
        return load_certificate(der)
    except TrustError as exc:
        raise MalformedSeal(f"{what} is not a usable X.509 certificate ({exc})") from None


@dataclass(frozen=True)
class BscTrust:
    """What the trust store says of a seal's BSC: the CSCA that certified it and what is wrong."""

    csca: Certificate | None
    untrusted: Problem | None
    """Chain, key usage or state: the seal cannot be trusted whatever its signature."""
    revoked: Problem | None
    warnings: tuple[str, ...]


def check_bsc(
    bsc: Certificate, anchors: Sequence[Certificate], crls: Iterable[Any], state: str, at: datetime
) -> BscTrust:
    """The BSC against the trusted CSCAs, in this order: a chain to one of them, the VDS-NC
    extended key usage, the issuing state ``state`` (alpha-3) being the BSC's and the CSCA's
    country, and the CSCA's CRLs."""
    result = chain(bsc, anchors, crls, at, required_eku=VDSNC_EKU)
    if result.failure in (ChainFailure.CHAIN, ChainFailure.KEY_USAGE):
        what = (
            "is not issued by a trusted CSCA" if result.failure is ChainFailure.CHAIN else "may not sign VDS-NC seals"
        )
        reason = f"the seal's signer certificate ({bsc.subject_text}) {what}: {result.reason}"
        return BscTrust(result.anchor, Problem(Status.UNTRUSTED, result.failure.value, reason), None, result.warnings)
    csca = result.anchor
    assert csca is not None
    # A CSCA vouches only for its own state: AU's must not make a seal "from" FRA genuine.
    expected = alpha2(state)
    if expected is None or {bsc.country, csca.country} != {expected}:
        reason = (
            f"the seal claims to be issued by {state}, but its signer certificate is of"
            f" {bsc.country or 'no country'} under the CSCA of {csca.country or 'no country'}"
        )
        return BscTrust(csca, Problem(Status.UNTRUSTED, "wrong_state", reason), None, result.warnings)
    revoked = None
    if result.failure is ChainFailure.REVOKED:
        revoked = Problem(Status.REVOKED, "revoked_key", result.reason)
    return BscTrust(csca, None, revoked, result.warnings)


def check_validity(
    start: datetime | None, end: datetime | None, at: datetime, what: str = "the signer certificate"
) -> Problem | None:
    """VDS-NC has no signing time: its signer must be valid at the time of checking."""
    if start is not None and at < start:
        return Problem(
            Status.NOT_YET_VALID,
            "key_not_yet_valid",
            f"{what} is valid only from {_fmt(start)}, after the time of checking",
        )
    if end is not None and at > end:
        return Problem(Status.EXPIRED, "key_expired", f"{what} expired at {_fmt(end)}")
    return None


def _fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# ---- the plug-in -------------------------------------------------------------------


class VDSNC(BaseFormat):
    """The VDS-NC seal format plug-in (entry point ``scanverify.formats: vdsnc``)."""

    name = FORMAT
    fact_labels = FACT_LABELS
    #: Built-in certificates (data/public_certificates.json), loaded when the first seal is verified.
    built_in_trust = "scanverify.formats._builtin_trust:for_vdsnc"

    def recognise(self, data: bytes) -> bool:
        return claims_vdsnc(data)

    def parse(self, data: bytes) -> ParsedSeal:
        from ..algorithms import ALGORITHMS

        seal = parse_vdsnc(data)
        bsc = seal.certificate
        return ParsedSeal(
            format=FORMAT,
            to_be_signed=seal.to_be_signed,
            signature=seal.signature,
            # The BSC names the signer; its hash is a stable, hashable hint.
            key_hint=hashlib.sha256(bsc.der).digest(),
            kid_text=f"{bsc.subject_text} (serial {bsc.serial:X})",
            issued_at=None,
            expires_at=None,
            not_before=None,
            # Compared with TrustedKey.iss, which holds alpha-2 state codes.
            issuer=alpha2(seal.issuing_state) or seal.issuing_state,
            revocation_id=None,
            # sig.alg as the seal states it: one that does not fit the key fails.
            algorithm=ALGORITHMS[seal.alg],
            certificates=(bsc.der,),
            claims=dict(seal.header),
            record={"hdr": dict(seal.header), "msg": dict(seal.message)},
            facts=facts_of(seal),
        )

    def candidate_keys(self, seal: ParsedSeal, trust: TrustStore, at: datetime) -> Sequence[TrustedKey] | Finding:
        bsc = read_certificate(seal.certificates[0], "sig.cer")
        # A BSC pinned on its own by a bundle entry that names VDS-NC (how the
        # ICAO "Utopia" samples, whose CA is not published, can be verified).
        pinned = [
            k for k in trust.signers(FORMAT) if bsc.der in k.certificates[:1] or (bsc.spki and k.spki == bsc.spki)
        ]
        if pinned:
            return pinned
        anchors = _anchors(trust.anchors(FORMAT))
        verdict = check_bsc(bsc, list(anchors), trust.crls, str(seal.claims["is"]), at)
        if verdict.untrusted is not None:
            return _finding(verdict.untrusted)
        assert verdict.csca is not None
        return [_signer_key(bsc, verdict.csca, anchors[verdict.csca], verdict.warnings)]

    def policy(self, seal: ParsedSeal, key: TrustedKey, trust: TrustStore, at: datetime) -> Sequence[Finding]:
        bsc = read_certificate(seal.certificates[0], "sig.cer")
        problems = []
        if len(key.certificates) > 1:  # chained through this CSCA: is the BSC on its CRL?
            csca = read_certificate(key.certificates[1], "the CSCA")
            problems.append(check_bsc(bsc, [csca], trust.crls, str(seal.claims["is"]), at).revoked)
        problems.append(check_validity(bsc.not_before, bsc.not_after, at))
        if len(key.certificates) <= 1:
            # A signer pinned by a bundle entry: the certificate in the seal is
            # not vouched for by a CSCA, so its dates alone could be stretched by
            # whoever holds the key; the entry's own bounds hold as well.
            problems.append(check_validity(key.not_before, key.not_after, at, f"the trusted signer '{key.name}'"))
        return [_finding(p) for p in problems if p is not None]

    def redact(self, record: Mapping[str, Any]) -> Mapping[str, Any]:
        return redact_record(record)


def _finding(problem: Problem) -> Finding:
    from ..model import Cause, Finding

    return Finding(problem.status, Cause(problem.cause), problem.reason)


def _anchors(keys: Iterable[TrustedKey]) -> dict[Certificate, TrustedKey]:
    """The CSCA certificates of the trust store's anchors (one that cannot be read anchors nothing)."""
    found: dict[Certificate, TrustedKey] = {}
    for key in keys:
        certificate = certificate_of(key)
        if certificate is not None:
            found.setdefault(certificate, key)
    return found


def _signer_key(bsc: Certificate, csca: Certificate, anchor: TrustedKey, warnings: tuple[str, ...]) -> TrustedKey:
    """The BSC as the key that may verify this seal, trusted through ``anchor``."""
    from dataclasses import replace

    from ..model import Role

    return replace(
        anchor,
        public_key=bsc.public_key,
        spki=bsc.spki,
        kids=frozenset({hashlib.sha256(bsc.der).digest()}),
        name=f"{bsc.common_name or bsc.subject_text} (CSCA: {anchor.name or csca.subject_text})",
        iss=bsc.country,
        alg=None,
        not_before=bsc.not_before,
        not_after=bsc.not_after,
        certificates=(bsc.der, csca.der),
        role=Role.CERTIFICATE,
        formats=frozenset({FORMAT}),
        warnings=(*anchor.warnings, *warnings),
    )
