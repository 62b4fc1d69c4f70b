"""A stand-in for ``scanverify.x509`` (branch x509) while it is not on main: the same names.

VDS-NC needs: ``load_certificate`` (lenient: ecdsa-with-SHA* with a NULL
parameter, as the ICAO "UT" sample BSCs have it), ``chain`` (one level, CSCA
-> BSC, required EKU, CRLs of the CSCA) and their result types. When
``scanverify.x509`` is on main, vdsnc.py imports these names from there and
this module is deleted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ..errors import TrustError

__all__ = ["Certificate", "ChainFailure", "ChainResult", "chain", "load_certificate", "load_crl"]


@dataclass(frozen=True, eq=False)
class Certificate:
    """An X.509 certificate: the exact signed bytes beside `cryptography`'s reading of the fields."""

    der: bytes
    subject_text: str
    serial: int
    not_before: dt.datetime
    not_after: dt.datetime
    extended_key_usage: frozenset[str] | None  # empty = no extension
    country: str | None
    common_name: str | None
    tbs: bytes
    signature_algorithm: str
    signature: bytes
    spki: bytes
    public_key: Any  # None when `cryptography` cannot use it
    parsed: Any  # cryptography.x509.Certificate (of the NULL-less copy when one was needed)

    def valid_at(self, moment: dt.datetime) -> bool:
        return self.not_before <= moment <= self.not_after

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Certificate) and other.der == self.der

    def __hash__(self) -> int:
        return hash(self.der)


def load_certificate(der: bytes) -> Certificate:
    """A DER certificate, leniently read; TrustError when it is not one."""
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import NameOID

    try:
        tbs, algorithm, signature = _sequence(der, 3)
        signature_oid = _oid(_sequence(algorithm, None)[0])
        if signature[:1] != b"\x03" or _value(signature)[:1] != b"\x00":
            raise ValueError("the signature is not a BIT STRING")
        try:
            parsed = x509.load_der_x509_certificate(der)
        except ValueError:
            parsed = x509.load_der_x509_certificate(_without_null_ecdsa_parameters(der))
        # `cryptography` parses fields lazily: read every one used later now,
        # so a broken one is this error and not a crash in the middle of a chain.
        subject_text, _ = parsed.subject.rfc4514_string(), parsed.issuer.rfc4514_string()
        validity, serial = (parsed.not_valid_before_utc, parsed.not_valid_after_utc), parsed.serial_number
        try:
            eku = frozenset(
                o.dotted_string for o in parsed.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            )
        except x509.ExtensionNotFound:
            eku = frozenset()
    except ValueError as exc:
        raise TrustError(f"not a readable X.509 certificate ({exc})") from None
    try:
        public_key: Any = parsed.public_key()
        spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    except (ValueError, UnsupportedAlgorithm):
        public_key, spki = None, b""

    def first(oid: Any) -> str | None:
        values = [a.value for a in parsed.subject.get_attributes_for_oid(oid)]
        return values[0] if values and isinstance(values[0], str) else None

    return Certificate(
        der=der,
        subject_text=subject_text,
        serial=serial,
        not_before=validity[0],
        not_after=validity[1],
        extended_key_usage=eku,
        country=first(NameOID.COUNTRY_NAME),
        common_name=first(NameOID.COMMON_NAME),
        tbs=tbs,
        signature_algorithm=signature_oid,
        signature=_value(signature)[1:],
        spki=bytes(spki),
        public_key=public_key,
        parsed=parsed,
    )


def load_crl(data: bytes) -> Any:
    """A DER certificate revocation list (believed only once checked against its CA)."""
    from cryptography import x509

    try:
        return x509.load_der_x509_crl(data)
    except ValueError as exc:
        raise TrustError(f"not a readable CRL ({exc})") from None


class ChainFailure(StrEnum):
    CHAIN = "chain"
    KEY_USAGE = "key_usage"
    REVOKED = "revoked_key"


@dataclass(frozen=True)
class ChainResult:
    ok: bool
    failure: ChainFailure | None
    reason: str
    warnings: tuple[str, ...]
    anchor: Certificate | None


def chain(
    signer: Certificate,
    anchors: Sequence[Certificate],
    crls: Iterable[Any],
    at: dt.datetime,
    *,
    required_eku: str | None = None,
) -> ChainResult:
    """Does ``signer`` chain to one of ``anchors`` (one level) at ``at``, with ``required_eku``, unrevoked?"""
    anchor = next(
        (
            a
            for a in anchors
            if signer.parsed.issuer == a.parsed.subject
            and a.valid_at(at)
            and _verify(a.public_key, signer.signature_algorithm, signer.tbs, signer.signature)
        ),
        None,
    )
    if anchor is None:
        return ChainResult(False, ChainFailure.CHAIN, "no trusted CA certificate for the signer's issuer", (), None)
    if required_eku is not None and required_eku not in (signer.extended_key_usage or ()):
        return ChainResult(
            False,
            ChainFailure.KEY_USAGE,
            f"the signer certificate is not allowed this use ({required_eku})",
            (),
            anchor,
        )
    warnings: list[str] = []
    for crl in _crls(crls):
        # A CRL counts only if the CA itself signed it: anyone can write one.
        if crl.issuer != anchor.parsed.subject or anchor.public_key is None:
            continue
        try:
            if not crl.is_signature_valid(anchor.public_key):
                continue
        except (TypeError, ValueError):
            continue
        if crl.next_update_utc is not None and crl.next_update_utc < at:
            warnings.append(
                f"the CRL of {anchor.subject_text} is out of date (next update {crl.next_update_utc:%Y-%m-%d})"
            )
        if crl.get_revoked_certificate_by_serial_number(signer.serial) is not None:
            reason = f"the signer certificate (serial {signer.serial:X}) was revoked by {anchor.subject_text}"
            return ChainResult(False, ChainFailure.REVOKED, reason, tuple(warnings), anchor)
    return ChainResult(True, None, "", tuple(warnings), anchor)


def _crls(items: Iterable[Any]) -> list[Any]:
    """CRLs as `cryptography` objects, whatever form they come in (DER, or an object with .der)."""
    from cryptography import x509

    found = []
    for crl in items:
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


_ECDSA = {"1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4"}


def _verify(public_key: Any, oid: str, message: bytes, signature: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    digest = {
        "1.2.840.113549.1.1.11": hashes.SHA256(),
        "1.2.840.113549.1.1.12": hashes.SHA384(),
        "1.2.840.113549.1.1.13": hashes.SHA512(),
        "1.2.840.10045.4.3.2": hashes.SHA256(),
        "1.2.840.10045.4.3.3": hashes.SHA384(),
        "1.2.840.10045.4.3.4": hashes.SHA512(),
    }.get(oid)
    # Only the algorithms named here verify; anything else is a chain that
    # does not verify, never one accepted unchecked.
    if digest is None:
        return False
    try:
        if oid in _ECDSA and isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, message, ec.ECDSA(digest))
        elif oid not in _ECDSA and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, message, padding.PKCS1v15(), digest)
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _header(data: bytes, pos: int) -> tuple[int, int, int]:
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


def _value(element: bytes) -> bytes:
    _, start, end = _header(element, 0)
    return element[start:end]


def _sequence(element: bytes, count: int | None) -> list[bytes]:
    """The whole elements inside a SEQUENCE (exactly ``count`` of them if given)."""
    tag, start, end = _header(element, 0)
    if tag != 0x30 or end != len(element):
        raise ValueError("not a DER SEQUENCE")
    items, pos = [], start
    while pos < end:
        _, _, item_end = _header(element, pos)
        items.append(element[pos:item_end])
        pos = item_end
    if count is not None and len(items) != count:
        raise ValueError(f"a SEQUENCE of {len(items)} elements where {count} belong")
    return items


def _oid(element: bytes) -> str:
    value = _value(element) if element[:1] == b"\x06" else b""
    if not value or value[-1] & 0x80:
        raise ValueError("not an OBJECT IDENTIFIER")
    arcs, number = [], 0
    for byte in value:
        number = (number << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(number)
            number = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(map(str, [first, arcs[0] - 40 * first, *arcs[1:]]))


def _der(tag: int, value: bytes) -> bytes:
    size = len(value)
    if size < 0x80:
        return bytes((tag, size)) + value
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + value


def _without_null_ecdsa_parameters(der: bytes) -> bytes:
    """The certificate re-encoded with ecdsa-with-SHA* AlgorithmIdentifiers that carry a NULL
    parameter written without it, for `cryptography` to read the fields (never to verify:
    the signature is checked over the original ``tbs``)."""

    def fix(algorithm: bytes) -> bytes:
        parts = _sequence(algorithm, None)
        if len(parts) == 2 and parts[1] == b"\x05\x00" and _oid(parts[0]) in _ECDSA:
            return _der(0x30, parts[0])
        return algorithm

    tbs, algorithm, signature = _sequence(der, 3)
    fields = _sequence(tbs, None)
    at = 2 if fields and fields[0][:1] == b"\xa0" else 1  # after [0] version and serialNumber
    if len(fields) <= at:
        raise ValueError("a TBSCertificate without a signature algorithm")
    fields[at] = fix(fields[at])
    return _der(0x30, _der(0x30, b"".join(fields)) + fix(algorithm) + signature)
