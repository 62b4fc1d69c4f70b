"""ICAO Visible Digital Seal (VDS): ICAO Doc 9303 Part 13 and BSI TR-03137, binary, in a DataMatrix.

A seal is a header, a message zone of TLV messages and a signature zone::

    0xDC  version  country(C40, 2 bytes)  signer+certificate reference(C40)
          issue date(3)  signing date(3)  feature-definition reference(1)  document type category(1)
    tag length value ...                  (lengths DER-style: short, 0x81, 0x82, 0x83)
    0xFF length r||s                      (ECDSA, the hash sized like the signer's curve)

The signature covers everything before the 0xFF tag. The signer is named by a
signer identifier (certificate C + CN, e.g. "DETS") and a certificate reference
(the certificate's serial number in hex, e.g. "27"). Message tags are named from
the public feature tables of tsenger/vdstools (``scanverify/data/vds``, Apache-2.0);
what those tables do not know is shown raw, never dropped.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..trust import TrustStore
    from ..x509 import Certificate

from ..model import Cause, Fact, Finding, Role, Status, TrustedKey
from ..x509 import certificate_of
from . import BaseFormat, MalformedSeal, ParsedSeal
from ._c40 import C40Error, decode_c40

__all__ = [
    "VDS",
    "VdsHeader",
    "VdsMessage",
    "VdsSeal",
    "certificate_hint",
    "curve_order",
    "parse_vds",
    "seal_facts",
    "seal_record",
    "signed_outside",
    "verify_signature",
]

MAGIC = 0xDC
SIGNATURE_TAG = 0xFF
#: Header versions: 0x02 is ICAO "version 3" (fixed 5-character certificate reference),
#: 0x03 is ICAO "version 4" (length-prefixed reference). 0x00 and 0x01 are the older
#: BSI/KDS headers, laid out like version 3 (seen in the KURZ Digital samples).
V4 = 0x03
VERSIONS = (0x00, 0x01, 0x02, 0x03)
#: The one signer known to write the reference length in decimal, not hex (TR-03171 seals).
DECIMAL_LENGTH_SIGNERS = ("DEZV",)
MAX_SEAL_BYTES = 8192  # more than any DataMatrix holds (3116 bytes): anything longer is not a seal
#: The MRZ layouts of the MRZ codings: (first line, second line) lengths. A VDS keeps the
#: first line whole and the second without its optional data (ICAO 9303-13, 4.4).
MRZ_LINES = {"MRZ": (36, 36), "MRZ_MRVA": (44, 28), "MRZ_MRVB": (36, 28)}
LABELS = {
    "MRZ": "MRZ",
    "MRZ_MRVA": "MRZ (visa, type A)",
    "MRZ_MRVB": "MRZ (visa, type B)",
    "AZR": "AZR number",
    "AGS": "Municipality key (AGS)",
}
#: Message names that are personal data whatever their table (hidden by --redact).
PERSONAL_WORDS = ("NAME", "MRZ", "BIRTH", "ADDRESS", "STREET", "HOUSE_NUMBER")


@dataclass(frozen=True)
class VdsHeader:
    version: int
    country: str
    signer: str
    """The signer identifier: certificate country (2) + CN (2), e.g. 'DETS'."""
    reference: str
    """The certificate reference as written in the seal, e.g. '00027' or '5B'."""
    issued: date
    signed: date
    feature_ref: int
    category: int

    @property
    def document_ref(self) -> str:
        """The two bytes naming the document type, as the tables write them ('fb06')."""
        return f"{self.feature_ref:02x}{self.category:02x}"

    @property
    def cert_serial(self) -> str:
        """The certificate reference as a serial number in capital hex, without leading zeros."""
        return self.reference.upper().lstrip("0") or "0"

    @property
    def key_hint(self) -> tuple[str, str, str]:
        """(certificate C, certificate CN, hex serial): how a certificate is matched."""
        return (self.signer[:2], self.signer[2:], self.cert_serial)


@dataclass(frozen=True)
class VdsMessage:
    tag: int
    value: bytes


@dataclass(frozen=True)
class VdsSeal:
    header: VdsHeader
    messages: tuple[VdsMessage, ...]
    signature: bytes
    to_be_signed: bytes


class _Reader:
    """Bytes read front to back; running out is a MalformedSeal, never an IndexError."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, count: int, what: str) -> bytes:
        if count < 0 or self.pos + count > len(self.data):
            raise MalformedSeal(f"the seal ends inside its {what}")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def byte(self, what: str) -> int:
        return self.take(1, what)[0]

    def length(self, what: str) -> int:
        first = self.byte(what)
        if first < 0x80:
            return first
        if first in (0x81, 0x82, 0x83):
            return int.from_bytes(self.take(first - 0x80, what), "big")
        raise MalformedSeal(f"the {what} has an invalid length byte 0x{first:02x}")

    @property
    def done(self) -> bool:
        return self.pos >= len(self.data)


def _c40(raw: bytes, what: str) -> str:
    try:
        return decode_c40(raw)
    except C40Error as exc:
        raise MalformedSeal(f"the {what} is not valid C40: {exc}") from None


def _date(raw: bytes, what: str) -> date:
    value = int.from_bytes(raw, "big")  # the decimal digits MMDDYYYY as one integer
    try:
        return date(value % 10_000, value // 1_000_000, value // 10_000 % 100)
    except ValueError:
        raise MalformedSeal(f"the {what} {value:08d} is not a date (MMDDYYYY)") from None


def _signer_v4(reader: _Reader) -> tuple[str, str]:
    """ICAO version 4: signer (4) + reference length (2 hex characters) + reference."""
    head = _c40(reader.take(4, "signer identifier"), "signer identifier")
    if len(head) != 6:
        raise MalformedSeal("the signer identifier and reference length must be 6 characters")
    signer, count = head[:4], head[4:]
    try:
        length = int(count, 10 if signer in DECIMAL_LENGTH_SIGNERS else 16)
    except ValueError:
        raise MalformedSeal(f"the certificate reference length {count!r} is not a number") from None
    if length == 0:
        raise MalformedSeal("the certificate reference is empty")
    reference = _c40(reader.take(2 * -(-length // 3), "certificate reference"), "certificate reference")
    if len(reference) != length:
        raise MalformedSeal(f"the certificate reference has {len(reference)} characters, not {length}")
    return signer, reference


def _signer_v3(reader: _Reader) -> tuple[str, str]:
    """ICAO version 3 (and the older 0x00/0x01): signer (4) + reference (5), 6 bytes of C40."""
    head = _c40(reader.take(6, "signer identifier"), "signer identifier")
    if len(head) != 9:
        raise MalformedSeal("the signer identifier and certificate reference must be 9 characters")
    return head[:4], head[4:]


def _header_as(data: bytes, signer_layout: Any) -> tuple[VdsHeader, int]:
    reader = _Reader(data)
    if reader.byte("header") != MAGIC:
        raise MalformedSeal("a VDS starts with the byte 0xDC")
    version = reader.byte("header")
    if version not in VERSIONS:
        raise MalformedSeal(f"unknown VDS header version 0x{version:02x}")
    country = _c40(reader.take(2, "issuing country"), "issuing country")
    signer, reference = signer_layout(reader)
    issued = _date(reader.take(3, "issue date"), "issue date")
    signed = _date(reader.take(3, "signing date"), "signing date")
    feature_ref = reader.byte("header")
    category = reader.byte("header")
    header = VdsHeader(version, country.strip(), signer, reference, issued, signed, feature_ref, category)
    return header, reader.pos


def _header(data: bytes) -> tuple[VdsHeader, int]:
    """The header and its length in bytes."""
    if data[1:2] != bytes((V4,)):
        return _header_as(data, _signer_v3)
    try:
        return _header_as(data, _signer_v4)
    except MalformedSeal as first:
        # Some 0x03 seals keep the version-3 layout (4 + 5 characters): the German arrival
        # attestations of 2016 (signer DEME; tsenger/vdstools' "GAAD hack") and the ICAO
        # Part 13 visa example. Read that way only when the version-4 reading is impossible.
        try:
            return _header_as(data, _signer_v3)
        except MalformedSeal:
            raise first from None


def _messages(reader: _Reader, der: bool) -> tuple[list[VdsMessage], int]:
    """The message zone and where the signature tag is. ``der``: DER lengths (ICAO), else the
    single length byte of the older KDS seals (0x80..0xFF meaning 128..255)."""
    messages: list[VdsMessage] = []
    while True:
        if reader.done:
            raise MalformedSeal("the seal has no signature zone (tag 0xFF)")
        start = reader.pos
        tag = reader.byte("message zone")
        if tag == SIGNATURE_TAG:
            return messages, start
        length = reader.length("message") if der else reader.byte("message")
        messages.append(VdsMessage(tag, reader.take(length, f"message 0x{tag:02x}")))


def _zones(data: bytes, start: int, der: bool) -> tuple[list[VdsMessage], int, bytes]:
    reader = _Reader(data)
    reader.pos = start
    messages, end = _messages(reader, der)
    signature = reader.take(reader.length("signature") if der else reader.byte("signature"), "signature")
    if not reader.done:
        # Bytes after the signature are covered by nothing: refuse them rather than ignore them.
        raise MalformedSeal(f"{len(data) - reader.pos} bytes follow the signature")
    return messages, end, signature


def parse_vds(data: bytes) -> VdsSeal:
    """The seal in ``data`` (a DataMatrix's exact bytes); MalformedSeal on anything broken."""
    data = bytes(data)
    if len(data) > MAX_SEAL_BYTES:
        raise MalformedSeal(f"{len(data)} bytes is longer than any VDS")
    header, start = _header(data)
    try:
        messages, end, signature = _zones(data, start, der=True)
    except MalformedSeal as first:
        # The KURZ Digital seals write lengths 128..255 as one byte, not DER's 0x81 nn. Read that
        # way only when the DER reading is impossible; the signature covers the bytes either way.
        try:
            messages, end, signature = _zones(data, start, der=False)
        except MalformedSeal:
            raise first from None
    if not messages:
        raise MalformedSeal("the seal has no message")
    if len(signature) < 2 or len(signature) % 2:
        raise MalformedSeal(f"a {len(signature)}-byte signature is not r||s")
    return VdsSeal(header, tuple(messages), signature, data[:end])


# ---------------------------------------------------------------------------------------------
# Signatures


#: The curves ICAO 9303-13 lets a VDS signer use, as `cryptography` (and scanverify.x509) name
#: them, with the `ecdsa` package's name for each (for its group order).
VDS_CURVES = {
    "secp256r1": "NIST256p",
    "secp384r1": "NIST384p",
    "secp521r1": "NIST521p",
    "brainpoolP224r1": "BRAINPOOLP224r1",
    "brainpoolP256r1": "BRAINPOOLP256r1",
    "brainpoolP384r1": "BRAINPOOLP384r1",
    "brainpoolP512r1": "BRAINPOOLP512r1",
}


def curve_order(name: str) -> int | None:
    """The group order n of a VDS curve, None for a curve VDS does not use."""
    if name not in VDS_CURVES:
        return None
    import ecdsa

    return int(getattr(ecdsa.curves, VDS_CURVES[name]).order)


def _digest_for(bits: int) -> str:
    # ICAO 9303-13 / BSI TR-03137: the hash follows the curve size (SHA-224 for 224-bit curves).
    return "sha224" if bits <= 224 else "sha256" if bits <= 256 else "sha384" if bits <= 384 else "sha512"


def verify_signature(public_key: Any, message: bytes, signature: bytes) -> bool:
    """True when ``signature`` (raw r||s) is an ECDSA signature of ``message`` by ``public_key``
    (a `cryptography` EC key, or scanverify.x509's verify-only key for brainpoolP224r1), with
    the hash the curve's size gives. Never raises."""
    from ..x509 import ecdsa_verify

    name = getattr(getattr(public_key, "curve", None), "name", None)
    if name not in VDS_CURVES:
        return False  # only the curves of ICAO 9303-13 sign seals
    # scanverify.x509 checks the length of r||s and that r, s lie in [1, n-1] (CVE-2022-21449).
    return ecdsa_verify(public_key, message, signature, _digest_for(int(public_key.curve.key_size)))


# ---------------------------------------------------------------------------------------------
# The feature tables, and what the clerk is shown


def _data(name: str) -> str:
    return resources.files("scanverify").joinpath("data", "vds", name).read_text(encoding="utf-8")


@cache
def document_types() -> dict[str, dict[str, Any]]:
    """The document types of VdsDocumentTypes.json by document reference ('fb06')."""
    return {entry["documentRef"].lower(): entry for entry in json.loads(_data("VdsDocumentTypes.json"))}


@cache
def profiles() -> dict[bytes, dict[str, Any]]:
    """The TR-03171 profile definitions (VdsProfileDefinitions.json) by their 16-byte id."""
    return {bytes.fromhex(entry["definitionId"]): entry for entry in json.loads(_data("VdsProfileDefinitions.json"))}


def country_names() -> dict[str, str]:
    """Country names by ICAO/ISO alpha-3 code (scanverify.countries, one table for all formats)."""
    from ..countries import names

    return names()


def _title(name: str) -> str:
    return LABELS.get(name) or name.replace("_", " ").capitalize()


def _personal(name: str | None) -> bool:
    # An unknown message may hold anything: it is hidden when output is redacted.
    return name is None or any(word in name for word in PERSONAL_WORDS)


@dataclass(frozen=True)
class Feature:
    """One message with what the tables say about it."""

    tag: int
    name: str | None
    value: Any
    """The decoded value (str, int, list of MRZ lines) or, undecodable or unknown, hex."""
    raw: bytes

    @property
    def decoded(self) -> bool:
        return self.name is not None and not isinstance(self.value, bytes)


def _decode(coding: str, raw: bytes) -> Any:
    """A message value by its table coding; the raw bytes when it does not fit the coding."""
    try:
        if coding in MRZ_LINES:
            text = decode_c40(raw).replace(" ", "<")
            first, second = MRZ_LINES[coding]
            if len(text) != first + second:
                return raw
            return [text[:first], text[first:]]
        if coding == "C40":
            return decode_c40(raw).strip()
        if coding in ("UTF8_STRING", "DATE_STRING"):
            return raw.decode("utf-8")
        if coding == "BYTE" and len(raw) == 1:
            return raw[0]
    except (C40Error, UnicodeDecodeError):
        return raw
    return raw  # BYTES and codings we do not read: shown as hex


def document_type(seal: VdsSeal) -> tuple[str | None, list[dict[str, Any]]]:
    """The document type's table name (None if unknown) and its message definitions."""
    entry = document_types().get(seal.header.document_ref)
    if entry is None:
        return None, []
    definitions = list(entry["messages"])
    profile_id = next((m.value for m in seal.messages if m.tag == 0), None)
    profile = profiles().get(profile_id) if profile_id is not None else None
    if profile is not None and profile.get("baseDocumentType") == entry["documentType"]:
        # A TR-03171 administrative document: the profile named by message 0 defines the rest.
        return str(profile["definitionName"]), definitions + list(profile["messages"])
    return str(entry["documentType"]), definitions


def features(seal: VdsSeal) -> tuple[str | None, tuple[Feature, ...]]:
    doc_type, definitions = document_type(seal)
    by_tag = {int(d["tag"]): d for d in definitions}
    out = []
    for message in seal.messages:
        definition = by_tag.get(message.tag)
        if definition is None:
            out.append(Feature(message.tag, None, message.value, message.value))
        else:
            value = _decode(str(definition["coding"]), message.value)
            out.append(Feature(message.tag, str(definition["name"]), value, message.value))
    return doc_type, tuple(out)


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list):
        return " ".join(value)
    return str(value)


def _raw_text(raw: bytes) -> str:
    """Raw bytes as hex, with their text beside it when they read as printable UTF-8."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.hex()
    return f"{raw.hex()} ({text!r})" if text and text.isprintable() else raw.hex()


def _duration(raw: bytes) -> str:
    # ICAO 9303-13 visa: duration of stay is three bytes, days, months, years.
    parts = [f"{n} {unit}" for n, unit in zip(raw, ("days", "months", "years"), strict=True) if n]
    return ", ".join(parts) or "0 days"


def mrz_fields(coding: str, lines: Sequence[str]) -> dict[str, str]:
    """The data elements of a VDS MRZ (the two lines as the seal keeps them)."""
    first, second = lines
    name_end = len(first)
    surname, _, given = first[5:name_end].rstrip("<").partition("<<")
    return {
        "document_code": first[:2].rstrip("<"),
        "issuing_state": first[2:5].rstrip("<"),
        "surname": surname.replace("<", " "),
        "given_names": given.replace("<", " ").strip(),
        "document_number": second[:9].rstrip("<"),
        "nationality": second[10:13].rstrip("<"),
        "birth_date": second[13:19],
        "sex": second[20],
        "expiry_date": second[21:27],
    }


#: The labels VDS gives facts besides the tables' message names (see :func:`fact_labels`).
OWN_LABELS = frozenset(
    {
        "Document type",
        "Issuing country",
        "Duration of stay",
        "Name",
        "Document number",
        "Nationality",
        "Date of birth (YYMMDD)",
        "Sex",
        "Date of expiry (YYMMDD)",
        "Issued on",
        "Sealed on",
        "Signer",
    }
)


@cache
def fact_labels() -> frozenset[str]:
    """Every label a VDS fact may have that is not taken from the seal: VDS's own, and the
    message names of the public tables (a message the tables lack is "Feature 0x.." instead)."""
    definitions = [m for entry in document_types().values() for m in entry["messages"]]
    definitions += [m for entry in profiles().values() for m in entry["messages"]]
    return OWN_LABELS | {_title(str(m["name"])) for m in definitions}


def seal_facts(seal: VdsSeal) -> tuple[Fact, ...]:
    header = seal.header
    doc_type, found = features(seal)
    if doc_type is None:
        kind = f"unknown (document reference 0x{header.document_ref})"
    else:
        kind = doc_type.replace("_", " ").capitalize()
    country = country_names().get(header.country)
    facts = [
        Fact("Document type", kind),
        Fact("Issuing country", f"{header.country} ({country})" if country else header.country),
    ]
    for feature in found:
        if feature.name is None:
            facts.append(Fact(f"Feature 0x{feature.tag:02x}", _raw_text(feature.raw), personal=True))
            continue
        personal = _personal(feature.name)
        if feature.name == "DURATION_OF_STAY" and len(feature.raw) == 3:
            facts.append(Fact("Duration of stay", _duration(feature.raw)))
            continue
        facts.append(Fact(_title(feature.name), _show(feature.value), personal=personal))
        if feature.name in MRZ_LINES and isinstance(feature.value, list):
            mrz = mrz_fields(feature.name, feature.value)
            name = f"{mrz['surname']}, {mrz['given_names']}".strip(", ")
            facts += [
                Fact("Name", name, personal=True),
                Fact("Document number", mrz["document_number"]),
                Fact("Nationality", mrz["nationality"]),
                Fact("Date of birth (YYMMDD)", mrz["birth_date"], personal=True),
                Fact("Sex", mrz["sex"]),
                Fact("Date of expiry (YYMMDD)", mrz["expiry_date"]),
            ]
    facts += [
        Fact("Issued on", header.issued.isoformat()),
        Fact("Sealed on", header.signed.isoformat()),
        Fact("Signer", f"{header.signer} certificate {header.reference}"),
    ]
    return tuple(facts)


def seal_record(seal: VdsSeal) -> dict[str, Any]:
    doc_type, found = features(seal)
    return {
        "header": _claims(seal),
        "document_type": doc_type,
        "messages": [{"tag": f.tag, "name": f.name, "value": f.value if f.decoded else f.raw.hex()} for f in found],
    }


def _claims(seal: VdsSeal) -> dict[str, Any]:
    header = seal.header
    return {
        "version": header.version,
        "country": header.country,
        "signer": header.signer,
        "certificate_reference": header.reference,
        "issue_date": header.issued.isoformat(),
        "signing_date": header.signed.isoformat(),
        "document_ref": header.document_ref,
    }


def certificate_hint(certificate: Certificate) -> tuple[str, str, str] | None:
    """The key hint a VDS names a certificate (scanverify.x509) by: subject C, subject CN, hex serial
    (ICAO 9303-13: signer identifier = C + CN, certificate reference = serial number in hex)."""
    if not certificate.country or not certificate.common_name:
        return None
    return (certificate.country.upper(), certificate.common_name.upper(), f"{certificate.serial:X}")


def signed_outside(signed: date, not_before: datetime | None, not_after: datetime | None) -> str | None:
    """'before' / 'after' when a seal's signing date lies outside a certificate's validity, else None.

    The seal gives a day, not a time: a seal signed on the first or the last day of the validity
    is inside it (comparing midnight with the certificate's exact times would refuse it wrongly)."""
    if not_before is not None and signed < not_before.astimezone(UTC).date():
        return "before"
    if not_after is not None and signed > not_after.astimezone(UTC).date():
        return "after"
    return None


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class VDS(BaseFormat):
    """The ICAO Visible Digital Seal: binary, first byte 0xDC."""

    name = "VDS"
    #: Built-in certificates (data/public_certificates.json), loaded when the first seal is verified.
    built_in_trust = "scanverify.formats._builtin_trust:for_vds"

    @property
    def fact_labels(self) -> frozenset[str]:
        return fact_labels()

    def recognise(self, data: bytes) -> bool:
        return data[:1] == bytes((MAGIC,))

    def parse(self, data: bytes) -> ParsedSeal:
        seal = parse_vds(data)
        header = seal.header
        return ParsedSeal(
            format=self.name,
            to_be_signed=seal.to_be_signed,
            signature=seal.signature,
            key_hint=header.key_hint,
            kid_text=header.signer + header.cert_serial,
            # The seal gives its signing day only: midnight UTC of that day.
            issued_at=_midnight(header.signed),
            issuer=header.country,
            algorithm=None,  # the signer's curve decides the hash
            claims=_claims(seal),
            record=seal_record(seal),
            facts=seal_facts(seal),
        )

    def key_hints(self, key: TrustedKey) -> Iterable[Hashable]:
        """(C, CN, serial) of the key's certificate, and (C, CN) for the looser match."""
        hint = _key_certificate_hint(key)
        return (hint, hint[:2]) if hint is not None else ()

    def candidate_keys(self, seal: ParsedSeal, trust: TrustStore, at: datetime) -> Sequence[TrustedKey] | Finding:
        hint = seal.key_hint
        assert isinstance(hint, tuple)
        roles = (Role.SIGNER, Role.CERTIFICATE)
        index = trust.index(self.name, self.key_hints, roles)
        exact = index.get(hint, ())
        # The serial in the certificate reference names one certificate. Some issuers' seals (the
        # KURZ Digital samples: DEKD/03001) name a reference no certificate has: then the
        # certificates of that signer (C + CN) are tried, but only one that verifies the seal is a
        # candidate, so a seal whose signer is not in the store is "unknown", never "forged".
        loose = () if exact else tuple(k for k in index.get(hint[:2], ()) if self.verify_signature(seal, k))
        found = exact or loose
        pinned = [k for k in found if k.role is Role.SIGNER]
        chained = [
            k
            for k in found
            if k.role is Role.CERTIFICATE and _issued_by_anchor(k, trust.anchors(self.name), seal.issued_at)
        ]
        if found and not pinned and not chained:
            return Finding(
                Status.UNTRUSTED,
                Cause.CHAIN,
                f"the certificate of signer {seal.signer_text} does not chain to a trusted VDS anchor (CSCA)",
            )
        return pinned + chained

    def verify_signature(self, seal: ParsedSeal, key: TrustedKey) -> bool:
        return verify_signature(key.public_key, seal.to_be_signed, seal.signature)

    def policy(self, seal: ParsedSeal, key: TrustedKey, trust: TrustStore, at: datetime) -> Sequence[Finding]:
        certificate = certificate_of(key)
        if certificate is None or seal.issued_at is None:
            return ()
        signed = seal.issued_at.date()
        # ICAO 9303-13: the seal's signing date must lie inside its signer certificate's validity.
        where = signed_outside(signed, certificate.not_before, certificate.not_after)
        if where == "before":
            start = certificate.not_before.date().isoformat()
            reason = (
                f"the seal was signed on {signed.isoformat()}, before its signer certificate was valid (from {start})"
            )
            return (Finding(Status.NOT_YET_VALID, Cause.KEY_NOT_YET_VALID, reason),)
        if where == "after":
            end = certificate.not_after.date().isoformat()
            reason = f"the seal was signed on {signed.isoformat()}, after its signer certificate expired ({end})"
            return (Finding(Status.EXPIRED, Cause.KEY_EXPIRED, reason),)
        return ()

    def redact(self, record: Mapping[str, Any]) -> Mapping[str, Any]:
        messages = [m for m in record.get("messages", ()) if not _personal(m.get("name"))]
        return {**record, "messages": messages}



def _key_certificate_hint(key: TrustedKey) -> tuple[str, str, str] | None:
    certificate = certificate_of(key)
    return certificate_hint(certificate) if certificate is not None else None


def _issued_by_anchor(key: TrustedKey, anchors: Sequence[TrustedKey], signed: datetime | None) -> bool:
    """True when the key's certificate is issued by one of the anchors (a CSCA issues a VDS signer
    certificate directly: ICAO 9303-12): names, CA-ness and the CA's signature, by scanverify.x509,
    with the CA valid when the seal was signed (the signer's own dates are this format's policy)."""
    from ..x509 import chain

    certificate = certificate_of(key)
    if certificate is None or signed is None:
        return False
    cas = [ca for ca in (certificate_of(anchor) for anchor in anchors) if ca is not None]
    return chain(certificate, cas, (), signed + timedelta(hours=12)).ok
