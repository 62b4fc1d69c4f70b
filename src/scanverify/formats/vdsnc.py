"""ICAO VDS-NC: the visible digital seal for non-constrained environments (a JSON seal in a QR).

    {"data": {"hdr": {"t": "icao.vacc", "v": 1, "is": "AUS"}, "msg": {...}},
     "sig":  {"alg": "ES256", "cer": "<base64url DER BSC>", "sigvl": "<base64url r||s>"}}

The signature covers the RFC 8785 (JCS) canonical form of ``data``. The
signer (the barcode signer certificate, BSC) travels inside the seal and is
trusted only if it chains to a trusted CSCA, has the VDS-NC extended key
usage, belongs to the state the header names, is valid at the time of
checking and is on no CRL of its CSCA.

The module has three layers: the seal itself (strict JSON, canonical form,
facts), the certificate checks (``check_chain``, ``check_validity``,
``check_crls``, all pure functions of certificates and a time), and the
:class:`VDSNC` plug-in that maps them onto the format seam.
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
from ..model import Fact, Status
from . import MalformedSeal, ParsedSeal

if TYPE_CHECKING:
    from cryptography import x509

    from ..model import Finding, TrustedKey
    from ..trust import TrustStore

__all__ = [
    "FORMAT",
    "MAX_SEAL_BYTES",
    "VDSNC",
    "VDSNC_EKU",
    "Certificate",
    "Problem",
    "VdsNc",
    "check_chain",
    "check_crls",
    "check_validity",
    "claims_vdsnc",
    "facts_of",
    "load_certificate",
    "parse_vdsnc",
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


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


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
    return isinstance(document, dict) and isinstance(document.get("data"), dict) and "hdr" in document["data"]


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
    certificate = load_certificate(_b64url(sig.get("cer"), "sig.cer"), "sig.cer")
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
    add("Document type", pid.get("dt"))
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


# ---- certificates (a thin local layer until scanverify.x509 lands) --------------


@dataclass(frozen=True)
class Certificate:
    """An X.509 certificate read leniently: the exact signed bytes kept beside `cryptography`'s view.

    ICAO certificates in the field break DER rules `cryptography` enforces
    (ecdsa-with-SHA256 with a NULL parameter, in the UT test BSCs); they are
    read from a copy with that parameter dropped, while the signature is
    checked over the original ``tbs`` bytes.
    """

    der: bytes
    tbs: bytes
    signature_oid: str
    signature: bytes
    parsed: x509.Certificate
    public_key: Any
    """A `cryptography` public key, or None when its type is not supported (explicit EC parameters)."""

    @property
    def country(self) -> str | None:
        from cryptography.x509.oid import NameOID

        values = self.parsed.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
        return str(values[0].value).upper() if values else None

    @property
    def subject(self) -> str:
        return self.parsed.subject.rfc4514_string()

    @property
    def fingerprint(self) -> bytes:
        return hashlib.sha256(self.der).digest()

    def extended_key_usages(self) -> frozenset[str] | None:
        """The EKU OIDs, None when the certificate has no EKU extension."""
        from cryptography import x509

        try:
            eku = self.parsed.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            return None
        return frozenset(oid.dotted_string for oid in eku)

    def signed_by(self, issuer: Certificate) -> bool:
        """True when ``issuer`` names this certificate's issuer and its key signed it."""
        if self.parsed.issuer != issuer.parsed.subject or issuer.public_key is None:
            return False
        return _verify_x509_signature(issuer.public_key, self.signature_oid, self.tbs, self.signature)


def load_certificate(der: bytes, what: str) -> Certificate:
    """A DER certificate, leniently read; MalformedSeal when it is not one."""
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm

    try:
        tbs, algorithm, signature = _der_sequence(der, 3)
        signature_oid = _der_oid(_der_sequence(algorithm, None)[0])
        if signature[:1] != b"\x03" or _der_value(signature)[:1] != b"\x00":
            raise ValueError("the signature is not a BIT STRING")
        try:
            parsed = x509.load_der_x509_certificate(der)
        except ValueError:
            parsed = x509.load_der_x509_certificate(_without_null_ecdsa_parameters(der))
    except ValueError as exc:
        raise MalformedSeal(f"{what} is not a readable X.509 certificate ({exc})") from None
    try:
        public_key: Any = parsed.public_key()
    except (ValueError, UnsupportedAlgorithm):
        public_key = None
    return Certificate(der, tbs, signature_oid, _der_value(signature)[1:], parsed, public_key)


_ECDSA_SIGNATURES = {"1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4"}


def _verify_x509_signature(public_key: Any, oid: str, message: bytes, signature: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    digests: dict[str, hashes.HashAlgorithm] = {
        "1.2.840.113549.1.1.11": hashes.SHA256(),
        "1.2.840.113549.1.1.12": hashes.SHA384(),
        "1.2.840.113549.1.1.13": hashes.SHA512(),
        "1.2.840.10045.4.3.2": hashes.SHA256(),
        "1.2.840.10045.4.3.3": hashes.SHA384(),
        "1.2.840.10045.4.3.4": hashes.SHA512(),
    }
    digest = digests.get(oid)
    # Only the algorithms named here verify; anything else (SHA-1, PSS not yet)
    # is a chain that does not verify, never one accepted unchecked.
    if digest is None:
        return False
    try:
        if oid in _ECDSA_SIGNATURES and isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, message, ec.ECDSA(digest))
        elif oid not in _ECDSA_SIGNATURES and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, message, padding.PKCS1v15(), digest)
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _der_header(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the DER element at ``pos``."""
    if pos + 2 > len(data):
        raise ValueError("truncated DER")
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise ValueError("truncated DER")
    return tag, pos, pos + length


def _der_value(element: bytes) -> bytes:
    _, start, end = _der_header(element, 0)
    return element[start:end]


def _der_sequence(element: bytes, count: int | None) -> list[bytes]:
    """The whole elements inside a SEQUENCE (exactly ``count`` of them if given)."""
    tag, start, end = _der_header(element, 0)
    if tag != 0x30 or end != len(element):
        raise ValueError("not a DER SEQUENCE")
    items, pos = [], start
    while pos < end:
        _, _, item_end = _der_header(element, pos)
        items.append(element[pos:item_end])
        pos = item_end
    if count is not None and len(items) != count:
        raise ValueError(f"a SEQUENCE of {len(items)} elements where {count} belong")
    return items


def _der_oid(element: bytes) -> str:
    if element[:1] != b"\x06":
        raise ValueError("not an OBJECT IDENTIFIER")
    value = _der_value(element)
    if not value:
        raise ValueError("empty OBJECT IDENTIFIER")
    parts, number = [min(value[0] // 40, 2), value[0] - 40 * min(value[0] // 40, 2)], 0
    for byte in value[1:]:
        number = (number << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(number)
            number = 0
    return ".".join(map(str, parts))


def _der(tag: int, value: bytes) -> bytes:
    size = len(value)
    if size < 0x80:
        return bytes((tag, size)) + value
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + value


_NULL = b"\x05\x00"


def _without_null_ecdsa_parameters(der: bytes) -> bytes:
    """The certificate re-encoded with ecdsa-with-SHA* AlgorithmIdentifiers that carry a NULL
    parameter written without it, for `cryptography` to read (not to verify: tbs stays the original)."""

    def fix(algorithm: bytes) -> bytes:
        parts = _der_sequence(algorithm, None)
        if len(parts) == 2 and parts[1] == _NULL and _der_oid(parts[0]) in _ECDSA_SIGNATURES:
            return _der(0x30, parts[0])
        return algorithm

    tbs, algorithm, signature = _der_sequence(der, 3)
    fields = _der_sequence(tbs, None)
    at = 2 if fields and fields[0][:1] == b"\xa0" else 1  # after [0] version and serialNumber
    if len(fields) <= at:
        raise ValueError("a TBSCertificate without a signature algorithm")
    fields[at] = fix(fields[at])
    return _der(0x30, _der(0x30, b"".join(fields)) + fix(algorithm) + signature)


# ---- trust ---------------------------------------------------------------------


def check_chain(
    bsc: Certificate, anchors: Iterable[Certificate], state: str
) -> tuple[Certificate | None, Problem | None]:
    """The CSCA anchor that signed ``bsc``, or the Problem that makes the seal untrusted.

    In this order: a chain to a trusted CSCA, the VDS-NC extended key usage,
    the issuing state ``state`` (alpha-3) matching the BSC's and the CSCA's country.
    """
    csca = next((a for a in anchors if bsc.signed_by(a)), None)
    if csca is None:
        return None, Problem(
            Status.UNTRUSTED,
            "chain",
            f"the seal's signer certificate ({bsc.subject}) is not issued by a trusted CSCA",
        )
    # A BSC must say it may sign VDS-NC: a document signer or a visa seal
    # signer of the same CSCA must not be able to issue health proofs.
    usages = bsc.extended_key_usages()
    if usages is None or VDSNC_EKU not in usages:
        return csca, Problem(
            Status.UNTRUSTED,
            "key_usage",
            f"the signer certificate ({bsc.subject}) is not allowed to sign VDS-NC seals"
            f" (no extended key usage {VDSNC_EKU})",
        )
    # A CSCA vouches only for its own state: AU's must not make a seal "from" FRA genuine.
    expected = alpha2(state)
    countries = {bsc.country, csca.country}
    if expected is None or countries != {expected}:
        return csca, Problem(
            Status.UNTRUSTED,
            "wrong_state",
            f"the seal claims to be issued by {state}, but its signer certificate is of"
            f" {bsc.country or 'no country'} under the CSCA of {csca.country or 'no country'}",
        )
    return csca, None


def check_validity(bsc: Certificate, at: datetime) -> Problem | None:
    """VDS-NC has no signing time: the BSC must be valid at the time of checking."""
    start, end = bsc.parsed.not_valid_before_utc, bsc.parsed.not_valid_after_utc
    if at < start:
        return Problem(
            Status.NOT_YET_VALID,
            "key_not_yet_valid",
            f"the signer certificate is valid only from {_fmt(start)}, after the time of checking",
        )
    if at > end:
        return Problem(Status.EXPIRED, "key_expired", f"the signer certificate expired at {_fmt(end)}")
    return None


def check_crls(
    bsc: Certificate, csca: Certificate, crls: Iterable[x509.CertificateRevocationList], at: datetime
) -> tuple[Problem | None, tuple[str, ...]]:
    """Whether a CRL of ``csca`` (signed by it) lists ``bsc``, and warnings on stale CRLs."""
    warnings: list[str] = []
    for crl in crls:
        # A CRL counts only if the CSCA itself signed it: anyone can write one.
        if crl.issuer != csca.parsed.subject or csca.public_key is None:
            continue
        try:
            if not crl.is_signature_valid(csca.public_key):
                continue
        except (TypeError, ValueError):
            continue
        if crl.get_revoked_certificate_by_serial_number(bsc.parsed.serial_number) is not None:
            return Problem(
                Status.REVOKED,
                "revoked_key",
                f"the signer certificate ({bsc.subject}) has been revoked by the CSCA of {csca.country}",
            ), ()
        next_update = crl.next_update_utc
        if next_update is not None and next_update < at:
            warnings.append(
                f"the CRL of the CSCA of {csca.country} is out of date (next update was {_fmt(next_update)});"
                " a revocation since then would not be known"
            )
    return None, tuple(warnings)


def _fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# ---- the plug-in -------------------------------------------------------------------


class VDSNC:
    """The VDS-NC seal format plug-in (entry point ``scanverify.formats: vdsnc``)."""

    name = FORMAT
    trust_sources: Sequence[Any] = ()

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
            key_hint=bsc.fingerprint,
            kid_text=f"{bsc.subject} (serial {bsc.parsed.serial_number:X})",
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
        bsc = load_certificate(seal.certificates[0], "sig.cer")
        # A BSC pinned on its own by a bundle entry that names VDS-NC (how the
        # ICAO "Utopia" samples, whose CA is not published, can be verified).
        spki = _spki(bsc)
        pinned = [k for k in trust.signers(FORMAT) if bsc.der in k.certificates[:1] or (spki and k.spki == spki)]
        if pinned:
            return pinned
        anchors = [(c, k) for k in trust.anchors(FORMAT) if (c := _anchor_certificate(k)) is not None]
        csca, problem = check_chain(bsc, [c for c, _ in anchors], str(seal.claims["is"]))
        if problem is not None:
            return _finding(problem)
        anchor = next(k for c, k in anchors if c is csca)
        assert csca is not None
        _, warnings = check_crls(bsc, csca, _crls(trust), at)
        return [_signer_key(bsc, csca, anchor, warnings)]

    def verify_signature(self, seal: ParsedSeal, key: TrustedKey) -> bool:
        algorithm = seal.algorithm
        # A bundle that pins an alg for this key allows no other.
        if algorithm is None or (key.alg is not None and key.alg != algorithm.name):
            return False
        return algorithm.verify(key.public_key, seal.to_be_signed, seal.signature)

    def policy(self, seal: ParsedSeal, key: TrustedKey, trust: TrustStore, at: datetime) -> Sequence[Finding]:
        bsc = load_certificate(seal.certificates[0], "sig.cer")
        problems = []
        if len(key.certificates) > 1:
            csca = load_certificate(key.certificates[1], "the CSCA")
            revoked, _ = check_crls(bsc, csca, _crls(trust), at)
            problems.append(revoked)
        problems.append(check_validity(bsc, at))
        return [_finding(p) for p in problems if p is not None]

    def redact(self, record: Mapping[str, Any]) -> Mapping[str, Any]:
        return redact_record(record)


def _finding(problem: Problem) -> Finding:
    from ..model import Cause, Finding

    return Finding(problem.status, Cause(problem.cause), problem.reason)


def _spki(certificate: Certificate) -> bytes:
    from cryptography.hazmat.primitives import serialization

    if certificate.public_key is None:
        return b""
    return bytes(
        certificate.public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def _anchor_certificate(key: TrustedKey) -> Certificate | None:
    if not key.certificates:
        return None
    try:
        return load_certificate(key.certificates[0], key.source or "a trusted CSCA")
    except MalformedSeal:
        return None


def _crls(trust: Any) -> list[x509.CertificateRevocationList]:
    """The trust store's CRLs as `cryptography` objects (whatever form the store keeps them in)."""
    from cryptography import x509

    found = []
    for crl in getattr(trust, "crls", ()):
        if isinstance(crl, x509.CertificateRevocationList):
            found.append(crl)
            continue
        der = crl if isinstance(crl, bytes) else getattr(crl, "der", None)
        if isinstance(der, bytes):
            try:
                found.append(x509.load_der_x509_crl(der))
            except ValueError:
                continue
    return found


def _signer_key(bsc: Certificate, csca: Certificate, anchor: TrustedKey, warnings: tuple[str, ...]) -> TrustedKey:
    """The BSC as the key that may verify this seal, trusted through ``anchor``."""
    from dataclasses import replace

    from cryptography.x509.oid import NameOID

    from ..model import Role

    names = [n.value for n in bsc.parsed.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    cn = names[0] if names and isinstance(names[0], str) else bsc.subject
    return replace(
        anchor,
        public_key=bsc.public_key,
        spki=_spki(bsc),
        kids=frozenset({bsc.fingerprint}),
        name=f"{cn} (CSCA: {anchor.name or csca.subject})",
        iss=bsc.country,
        alg=None,
        not_before=bsc.parsed.not_valid_before_utc,
        not_after=bsc.parsed.not_valid_after_utc,
        certificates=(bsc.der, csca.der),
        role=Role.CERTIFICATE,
        formats=frozenset({FORMAT}),
        warnings=(*anchor.warnings, *warnings),
    )
