"""X.509 for the chained formats (VDS, VDS-NC, 2D-Doc): certificates, keys, CRLs,
ICAO CSCA master lists, and the chain from a signer certificate to a trusted CA.

Pure functions with no knowledge of any seal format. Real ICAO material is
not always strict DER, and `cryptography` refuses some of it outright:

- ``ecdsa-with-SHA256`` written with an explicit NULL parameter (the ICAO
  "UT" sample BSCs, and the Japanese CSCA);
- EC keys with explicit domain parameters instead of a named curve (many
  CSCAs): they are matched against the known curves and rebuilt as that
  named curve, so no unknown curve is ever used;
- brainpoolP224r1 (real German seals), which `cryptography` lacks: those keys
  are verified by the pure-Python `ecdsa` package, for verification only.

So certificates, CRLs and master lists are read with `asn1crypto` (one
parser for all of them, lenient about encoding, keeping the exact signed
bytes), and every signature is checked over those exact bytes. Leniency in
reading is safe only because nothing is believed until a signature by a
trusted key covers it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from .errors import TrustError, UsageError

if TYPE_CHECKING:
    from .model import TrustedKey
    from .trust import TrustStore

__all__ = [
    "EKU_OID",
    "ICAO_FORMATS",
    "VDS_NC_BSC_EKU",
    "Certificate",
    "CertificateSource",
    "ChainFailure",
    "ChainResult",
    "Crl",
    "CrlSource",
    "MasterList",
    "MasterListSource",
    "PurePythonECKey",
    "RevokedEntry",
    "chain",
    "crl_signed_by",
    "ecdsa_verify",
    "extended_key_usage",
    "load_certificate",
    "load_certificates",
    "load_crl",
    "load_master_list",
    "load_public_key",
    "names_match",
    "trusted_key",
    "verify_signed_by",
]

EKU_OID = "2.5.29.37"
#: ICAO Doc 9303-13 / VDS-NC: the extended key usage of a barcode signer certificate.
VDS_NC_BSC_EKU = "2.23.136.1.1.14.2"
#: id-icao-cscaMasterList, the content type of an ICAO master list (Doc 9303-12).
_MASTER_LIST_OID = "2.23.136.1.1.2"
_MAX_INPUT = 16 * 1024 * 1024  # a master list is about 1 MB; refuse absurd inputs before parsing


# --------------------------------------------------------------------------- curves


@dataclass(frozen=True)
class _Curve:
    name: str  # as `cryptography` names it
    oid: str
    ecdsa_name: str  # the `ecdsa` package's curve, whose domain parameters are the reference
    native: bool  # `cryptography` supports it


# Only these curves are accepted, named or as explicit parameters: every one a
# standard curve (SEC 2, RFC 5639). An explicit-parameter key on any other
# curve is refused rather than used, as a made-up curve could be weak.
_CURVES = (
    _Curve("secp224r1", "1.3.132.0.33", "NIST224p", True),
    _Curve("secp256r1", "1.2.840.10045.3.1.7", "NIST256p", True),
    _Curve("secp384r1", "1.3.132.0.34", "NIST384p", True),
    _Curve("secp521r1", "1.3.132.0.35", "NIST521p", True),
    _Curve("brainpoolP224r1", "1.3.36.3.3.2.8.1.1.5", "BRAINPOOLP224r1", False),
    _Curve("brainpoolP256r1", "1.3.36.3.3.2.8.1.1.7", "BRAINPOOLP256r1", True),
    _Curve("brainpoolP320r1", "1.3.36.3.3.2.8.1.1.9", "BRAINPOOLP320r1", False),
    _Curve("brainpoolP384r1", "1.3.36.3.3.2.8.1.1.11", "BRAINPOOLP384r1", True),
    _Curve("brainpoolP512r1", "1.3.36.3.3.2.8.1.1.13", "BRAINPOOLP512r1", True),
)
_CURVE_BY_OID = {c.oid: c for c in _CURVES}
_CURVE_BY_NAME = {c.name.lower(): c for c in _CURVES}


def _ecdsa_curve(curve: _Curve) -> Any:
    import ecdsa

    return getattr(ecdsa.curves, curve.ecdsa_name)


def _curve_order(public_key: Any) -> int | None:
    """The group order n of an EC key's curve, or None if it is not an EC key we know."""
    name = getattr(getattr(public_key, "curve", None), "name", None)
    curve = _CURVE_BY_NAME.get(str(name).lower()) if name else None
    return int(_ecdsa_curve(curve).order) if curve else None


@dataclass(frozen=True)
class _PureCurve:
    name: str
    key_size: int


class PurePythonECKey:
    """An EC public key on a curve `cryptography` lacks (brainpoolP224r1, brainpoolP320r1).

    Verified with the `ecdsa` package, and used for nothing else. It offers
    the part of `cryptography`'s EllipticCurvePublicKey that verification
    needs: ``curve`` (``name``, ``key_size``), ``key_size``, ``verify(signature,
    data, ec.ECDSA(hash))`` raising ``InvalidSignature``, and the DER
    SubjectPublicKeyInfo in ``spki``.
    """

    def __init__(self, curve_name: str, point: bytes, spki: bytes) -> None:
        import ecdsa

        curve = _CURVE_BY_NAME[curve_name.lower()]
        self._key = ecdsa.VerifyingKey.from_string(
            point, curve=_ecdsa_curve(curve), valid_encodings=("uncompressed", "compressed")
        )  # from_string checks the point is on the curve
        order = int(_ecdsa_curve(curve).order)
        self.curve = _PureCurve(curve.name, order.bit_length())
        self.key_size = order.bit_length()
        self.spki = spki

    def verify(self, signature: bytes, data: bytes, signature_algorithm: Any) -> None:
        import ecdsa
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric import ec

        if not isinstance(signature_algorithm, ec.ECDSA):
            raise InvalidSignature("only ECDSA")
        name = getattr(signature_algorithm.algorithm, "name", "")
        if name not in _HASHES:
            raise InvalidSignature("unsupported hash")
        try:
            # sigdecode_der range-checks r and s; the hash is truncated to the
            # order's length as ECDSA (and cryptography) do.
            ok = self._key.verify(
                signature, data, hashfunc=lambda b=b"": hashlib.new(name, b), sigdecode=ecdsa.util.sigdecode_der
            )
        except (ecdsa.BadSignatureError, ecdsa.der.UnexpectedDER, ValueError):
            ok = False
        if not ok:
            raise InvalidSignature("signature does not verify")

    def public_bytes(self, encoding: Any, format: Any) -> bytes:
        """DER SubjectPublicKeyInfo or an uncompressed X9.62 point, as `cryptography` keys give them."""
        from cryptography.hazmat.primitives import serialization

        if encoding is serialization.Encoding.DER and format is serialization.PublicFormat.SubjectPublicKeyInfo:
            return self.spki
        if encoding is serialization.Encoding.X962 and format is serialization.PublicFormat.UncompressedPoint:
            return bytes(self._key.to_string("uncompressed"))
        raise ValueError("only DER SubjectPublicKeyInfo and X9.62 uncompressed points are offered")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PurePythonECKey) and other.spki == self.spki

    def __hash__(self) -> int:
        return hash(self.spki)

    def __repr__(self) -> str:
        return f"PurePythonECKey({self.curve.name})"


# --------------------------------------------------------------------------- keys


def load_public_key(spki_der: bytes) -> Any:
    """A DER SubjectPublicKeyInfo as a key that can verify; TrustError if it cannot be used.

    The key is a `cryptography` public key, or a :class:`PurePythonECKey`.

    `cryptography` first. Where it refuses: RSA and RSA-PSS rebuilt from n and
    e; EC on a named curve it lacks wrapped as :class:`PurePythonECKey`; EC
    with explicit domain parameters matched (p, a, b, G, n, cofactor) against
    the known named curves and rebuilt as that curve.
    """
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    try:
        return load_der_public_key(spki_der)
    except Exception:  # unsupported algorithm, curve or encoding (cryptography's own types too): read below
        pass
    try:
        from asn1crypto import keys

        info = keys.PublicKeyInfo.load(spki_der, strict=True)
        algorithm = info["algorithm"]["algorithm"].native
        if algorithm in ("rsa", "rsassa_pss"):
            return _rsa_key(info)
        if algorithm == "ec":
            return _ec_key(info, spki_der)
    except TrustError:
        raise
    except Exception as error:  # asn1crypto raises many types on broken DER
        raise TrustError(f"the public key cannot be read ({type(error).__name__})") from None
    raise TrustError(f"public keys of type {algorithm} are not supported")


def _rsa_key(info: Any) -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    numbers = info["public_key"].parsed
    modulus, exponent = int(numbers["modulus"].native), int(numbers["public_exponent"].native)
    # The same bounds cryptography enforces on the keys it loads itself.
    if modulus.bit_length() < 1024 or exponent < 3 or exponent % 2 == 0:
        raise TrustError("the RSA public key is too short or has a bad exponent")
    return rsa.RSAPublicNumbers(exponent, modulus).public_key()


def _ec_key(info: Any, spki_der: bytes) -> Any:
    parameters = info["algorithm"]["parameters"]
    point = bytes(info["public_key"])
    if parameters.name == "named":
        curve = _CURVE_BY_OID.get(parameters.chosen.dotted)
        if curve is None:
            raise TrustError(f"the EC curve {parameters.chosen.dotted} is not supported")
    elif parameters.name == "specified":
        curve = _match_explicit_curve(parameters.chosen)
    else:
        raise TrustError("an EC public key with implicit curve parameters cannot be used")
    return _ec_from_point(curve, point, _named_spki(curve, point) if parameters.name != "named" else spki_der)


def _ec_from_point(curve: _Curve, point: bytes, spki: bytes) -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    if not curve.native:
        try:
            return PurePythonECKey(curve.name, point, spki)
        except Exception:  # ecdsa raises several types for a point off the curve
            raise TrustError(f"the {curve.name} public key is not a point on its curve") from None
    classes: dict[str, type[ec.EllipticCurve]] = {
        "secp224r1": ec.SECP224R1,
        "secp256r1": ec.SECP256R1,
        "secp384r1": ec.SECP384R1,
        "secp521r1": ec.SECP521R1,
        "brainpoolP256r1": ec.BrainpoolP256R1,
        "brainpoolP384r1": ec.BrainpoolP384R1,
        "brainpoolP512r1": ec.BrainpoolP512R1,
    }
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(classes[curve.name](), point)  # checks the point
    except ValueError:
        raise TrustError(f"the {curve.name} public key is not a point on its curve") from None


def _named_spki(curve: _Curve, point: bytes) -> bytes:
    from asn1crypto import keys

    return bytes(
        keys.PublicKeyInfo(
            {
                "algorithm": {"algorithm": "ec", "parameters": keys.ECDomainParameters(name="named", value=curve.oid)},
                "public_key": point,
            }
        ).dump()
    )


def _match_explicit_curve(specified: Any) -> _Curve:
    """The named curve whose domain parameters are exactly these; TrustError if none is."""
    if specified["field_id"]["field_type"].native != "prime_field":
        raise TrustError("EC keys over binary fields are not supported")
    p = int(specified["field_id"]["parameters"].native)
    a = int.from_bytes(bytes(specified["curve"]["a"]), "big")
    b = int.from_bytes(bytes(specified["curve"]["b"]), "big")
    n = int(specified["order"].native)
    cofactor = specified["cofactor"].native
    base = bytes(specified["base"])
    for curve in _CURVES:
        reference = _ecdsa_curve(curve)
        field_, generator = reference.curve, reference.generator
        if (p, a, b, n) != (field_.p(), field_.a() % field_.p(), field_.b(), reference.order):
            continue
        if cofactor not in (None, 1):  # every curve above has cofactor 1
            continue
        if _same_point(base, int(generator.x()), int(generator.y()), reference.baselen):
            return curve
    raise TrustError("the EC key's explicit curve parameters match no supported named curve")


def _same_point(encoded: bytes, x: int, y: int, size: int) -> bool:
    """Does the SEC 1 encoding (compressed or not) name the point (x, y)?"""
    if encoded[:1] == b"\x04":
        return encoded == b"\x04" + x.to_bytes(size, "big") + y.to_bytes(size, "big")
    if encoded[:1] in (b"\x02", b"\x03"):
        return encoded == bytes([2 + (y & 1)]) + x.to_bytes(size, "big")
    return False


# --------------------------------------------------------------------------- signatures

_HASHES = ("sha224", "sha256", "sha384", "sha512")


@dataclass(frozen=True)
class _Scheme:
    kind: Literal["pkcs1", "pss", "ecdsa"]
    hash_name: str
    salt_length: int = 0


# Signature algorithm OIDs accepted on certificates, CRLs and master lists.
# SHA-1 (and MD5) are left out on purpose: with chosen-prefix collisions a
# SHA-1 signature by a CA can be transplanted onto a certificate of the
# attacker's making, so it proves nothing about the signer.
_SCHEMES = {
    "1.2.840.113549.1.1.14": _Scheme("pkcs1", "sha224"),
    "1.2.840.113549.1.1.11": _Scheme("pkcs1", "sha256"),
    "1.2.840.113549.1.1.12": _Scheme("pkcs1", "sha384"),
    "1.2.840.113549.1.1.13": _Scheme("pkcs1", "sha512"),
    "1.2.840.10045.4.3.1": _Scheme("ecdsa", "sha224"),
    "1.2.840.10045.4.3.2": _Scheme("ecdsa", "sha256"),
    "1.2.840.10045.4.3.3": _Scheme("ecdsa", "sha384"),
    "1.2.840.10045.4.3.4": _Scheme("ecdsa", "sha512"),
}
_RSA_PSS = "1.2.840.113549.1.1.10"
_RSA_ENCRYPTION = "1.2.840.113549.1.1.1"  # CMS: "PKCS#1 v1.5 with the digest algorithm"
_EC_PUBLIC_KEY = "1.2.840.10045.2.1"  # CMS: "ECDSA with the digest algorithm"


def _scheme(oid: str, parameters: bytes | None, digest: str | None = None) -> _Scheme | None:
    """How to verify a signature with this AlgorithmIdentifier; None if not supported."""
    if oid in _SCHEMES:
        return _SCHEMES[oid]
    if oid in (_RSA_ENCRYPTION, _EC_PUBLIC_KEY) and digest in _HASHES:
        return _Scheme("pkcs1" if oid == _RSA_ENCRYPTION else "ecdsa", digest)
    if oid == _RSA_PSS and parameters:
        from asn1crypto import algos

        try:
            pss = algos.RSASSAPSSParams.load(parameters, strict=True)
            hash_name = pss["hash_algorithm"]["algorithm"].native
            mgf = pss["mask_gen_algorithm"]
            if mgf["algorithm"].native != "mgf1" or mgf["parameters"]["algorithm"].native != hash_name:
                return None  # a different MGF hash: legal, never seen in practice, not supported
            if pss["trailer_field"].native not in (1, "trailer_field_bc") or hash_name not in _HASHES:
                return None
            return _Scheme("pss", hash_name, int(pss["salt_length"].native))
        except Exception:  # broken parameters: not a scheme we can check
            return None
    return None


def _verify(public_key: Any, scheme: _Scheme | None, signature: bytes, data: bytes) -> bool:
    """Does ``signature`` (DER for ECDSA) over ``data`` verify with ``public_key``? Never raises."""
    if scheme is None:
        return False
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    algorithm = {
        "sha224": hashes.SHA224(),
        "sha256": hashes.SHA256(),
        "sha384": hashes.SHA384(),
        "sha512": hashes.SHA512(),
    }[scheme.hash_name]
    try:
        if scheme.kind == "ecdsa":
            if not isinstance(public_key, ec.EllipticCurvePublicKey | PurePythonECKey):
                return False  # the key must fit the algorithm: no cross-algorithm use
            public_key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(public_key, rsa.RSAPublicKey):
            pad: padding.AsymmetricPadding = (
                padding.PKCS1v15()
                if scheme.kind == "pkcs1"
                else padding.PSS(mgf=padding.MGF1(algorithm), salt_length=scheme.salt_length)
            )
            public_key.verify(signature, data, pad, algorithm)
        else:
            return False
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def ecdsa_verify(public_key: Any, message: bytes, raw_r_s: bytes, hash_name: str) -> bool:
    """Verify a plain ECDSA signature r||s (BSI TR-03111, as VDS, VDS-NC and 2D-Doc carry it).

    ``hash_name`` is one of sha224, sha256, sha384, sha512. r and s must each
    fill exactly the order's byte length and lie in [1, n-1]; anything else
    is not a signature (False), never an error.
    """
    if hash_name not in _HASHES:
        raise UsageError(f"unsupported hash {hash_name!r} (use one of {', '.join(_HASHES)})")
    order = _curve_order(public_key)
    if order is None:
        return False  # not an EC key on a curve we know
    size = (order.bit_length() + 7) // 8
    if len(raw_r_s) != 2 * size:
        return False
    r, s = int.from_bytes(raw_r_s[:size], "big"), int.from_bytes(raw_r_s[size:], "big")
    if not (0 < r < order and 0 < s < order):
        return False
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    return _verify(public_key, _Scheme("ecdsa", hash_name), encode_dss_signature(r, s), message)


# --------------------------------------------------------------------------- certificates

# Critical extensions a certificate may carry and still be used here: those we
# act on, and those that only inform. A certificate with any other critical
# extension is one whose issuer set a rule we would not enforce (RFC 5280
# 4.2), so it cannot be part of a chain.
_UNDERSTOOD_CRITICAL = frozenset(
    {
        "2.5.29.19",  # basicConstraints
        "2.5.29.15",  # keyUsage
        "2.5.29.37",  # extKeyUsage
        "2.5.29.14",  # subjectKeyIdentifier
        "2.5.29.35",  # authorityKeyIdentifier
        "2.5.29.17",  # subjectAltName
        "2.5.29.18",  # issuerAltName
        "2.5.29.16",  # privateKeyUsagePeriod (ICAO CSCAs): informs, limits nothing here
        "2.5.29.32",  # certificatePolicies: no policy is required of any chain here
        "2.5.29.31",  # cRLDistributionPoints
        "2.23.136.1.1.6.2",  # ICAO documentTypeList: enforced by the format, not the chain
    }
)


@dataclass(frozen=True, eq=False)
class Certificate:
    """An X.509 certificate as the chained formats need it. Equal when the DER is equal."""

    der: bytes
    subject: bytes  # DER Name
    issuer: bytes  # DER Name
    subject_text: str
    issuer_text: str
    serial: int
    not_before: dt.datetime  # UTC
    not_after: dt.datetime  # UTC
    is_ca: bool  # basicConstraints cA (or, with no basicConstraints, keyCertSign)
    key_usage: frozenset[str] | None  # asn1crypto names (key_cert_sign, crl_sign ...); None = no extension
    extended_key_usage: frozenset[str] | None  # OIDs; empty = no extension; None = unreadable
    subject_key_id: bytes | None
    authority_key_id: bytes | None
    country: str | None  # C= of the subject
    common_name: str | None  # CN= of the subject
    tbs: bytes  # the exact signed TBSCertificate
    signature_algorithm: str  # OID
    signature_parameters: bytes | None  # DER, as written
    signature: bytes
    spki: bytes  # DER SubjectPublicKeyInfo
    public_key: Any  # see load_public_key
    unhandled_critical: tuple[str, ...]  # critical extension OIDs outside _UNDERSTOOD_CRITICAL
    self_signed: bool  # issuer == subject and its own key verifies its signature
    _subject_key: str = field(repr=False, default="")
    _issuer_key: str = field(repr=False, default="")

    def valid_at(self, moment: dt.datetime) -> bool:
        return self.not_before <= moment <= self.not_after

    @property
    def display_name(self) -> str:
        """A short name for messages: "CN (C)", else the whole subject."""
        if self.common_name:
            return f"{self.common_name} ({self.country})" if self.country else self.common_name
        return self.subject_text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Certificate) and other.der == self.der

    def __hash__(self) -> int:
        return hash(self.der)


def _pem_blocks(data: bytes, label: str) -> list[bytes] | None:
    """The DER in each PEM block with this label; None if ``data`` has no PEM at all."""
    import base64
    import binascii

    if b"-----BEGIN" not in data:
        return None
    blocks = re.findall(rb"-----BEGIN " + label.encode() + rb"-----(.*?)-----END " + label.encode() + rb"-----", data, re.S)
    try:
        return [base64.b64decode(b"".join(block.split()), validate=True) for block in blocks]
    except (binascii.Error, ValueError):
        raise TrustError(f"a PEM {label} block is not valid base64") from None


@lru_cache(maxsize=4096)  # a master list holds ~600; the formats reload their DER
def load_certificate(der: bytes) -> Certificate:
    """A DER (or single PEM) X.509 certificate; TrustError with one line if it cannot be used."""
    if len(der) > _MAX_INPUT:
        raise TrustError("the certificate is too large")
    blocks = _pem_blocks(der, "CERTIFICATE")
    if blocks is not None:
        if len(blocks) != 1:
            raise TrustError("expected one PEM certificate")
        der = blocks[0]
    try:
        return _certificate(der)
    except TrustError:
        raise
    except Exception as error:  # asn1crypto parses lazily and raises many types on broken DER
        raise TrustError(f"the certificate cannot be read ({type(error).__name__})") from None


def _certificate(der: bytes) -> Certificate:
    from asn1crypto import x509

    cert = x509.Certificate.load(der, strict=True)  # strict: no trailing bytes
    tbs = cert["tbs_certificate"]
    outer, inner = cert["signature_algorithm"], tbs["signature"]
    # RFC 5280 4.1.1.2: both must be the same algorithm, else what was signed
    # is not what the signature claims. (_params reads NULL and absent alike.)
    if outer["algorithm"].dotted != inner["algorithm"].dotted or _params(outer) != _params(inner):
        raise TrustError("the certificate's two signature algorithm fields differ")
    spki = bytes(tbs["subject_public_key_info"].dump())
    public_key = load_public_key(spki)
    tbs_bytes = bytes(tbs.dump())  # the original encoding: asn1crypto keeps it unless changed
    subject_names = _attributes(cert.subject)
    critical = tuple(
        e["extn_id"].dotted
        for e in tbs["extensions"]
        if e["critical"].native and e["extn_id"].dotted not in _UNDERSTOOD_CRITICAL
    )
    key_usage = cert.key_usage_value
    subject, issuer = bytes(cert.subject.dump()), bytes(cert.issuer.dump())
    signature = bytes(cert["signature_value"].native)
    return Certificate(
        der=der,
        subject=subject,
        issuer=issuer,
        subject_text=_name_text(cert.subject),
        issuer_text=_name_text(cert.issuer),
        serial=int(tbs["serial_number"].native),
        not_before=_utc(tbs["validity"]["not_before"].native),
        not_after=_utc(tbs["validity"]["not_after"].native),
        # RFC 5280 says a CA says so in basicConstraints. Some real CSCAs (Belgium's)
        # have none and only the keyCertSign key usage: read as a CA, as OpenSSL
        # does. One whose basicConstraints says cA=FALSE is not, whatever else it says.
        is_ca=bool(cert.ca)
        if cert.basic_constraints_value is not None
        else key_usage is not None and "key_cert_sign" in key_usage.native,
        key_usage=frozenset(key_usage.native) if key_usage is not None else None,
        extended_key_usage=_eku_from_tbs(tbs_bytes),
        subject_key_id=cert.key_identifier,
        authority_key_id=cert.authority_key_identifier,
        country=subject_names.get("country_name"),
        common_name=subject_names.get("common_name"),
        tbs=tbs_bytes,
        signature_algorithm=outer["algorithm"].dotted,
        signature_parameters=_params(outer),
        signature=signature,
        spki=spki,
        public_key=public_key,
        unhandled_critical=critical,
        self_signed=cert.subject.hashable == cert.issuer.hashable
        and _verify(public_key, _scheme(outer["algorithm"].dotted, _params(outer)), signature, tbs_bytes),
        _subject_key=cert.subject.hashable,
        _issuer_key=cert.issuer.hashable,
    )


def load_certificates(data: bytes) -> list[Certificate]:
    """One DER certificate, or every certificate of a PEM file."""
    blocks = _pem_blocks(data, "CERTIFICATE")
    if blocks is None:
        return [load_certificate(data)]
    if not blocks:
        raise TrustError("the PEM file holds no CERTIFICATE block")
    return [load_certificate(block) for block in blocks]


def _params(algorithm: Any) -> bytes | None:
    parameters = algorithm["parameters"]
    if parameters.native is None:
        return None  # absent or NULL: the same for every algorithm used here
    return bytes(parameters.dump())


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _attributes(name: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for rdn in name.chosen:
        for attribute in rdn:
            value = attribute["value"].native
            if isinstance(value, str):
                found.setdefault(attribute["type"].native, value)
    return found


def _name_text(name: Any) -> str:
    # The text is data from outside: one line, shown, never interpreted.
    return " ".join(str(name.human_friendly).split())


def names_match(a: Certificate | Crl, b: Certificate) -> bool:
    """Is the issuer named by ``a`` (a certificate or a CRL) the subject of ``b``?

    Compared as RFC 5280 7.1 says (case and spaces folded, string types
    ignored): ICAO CSCAs and their signers often encode the same name with
    different string types.
    """
    return a._issuer_key == b._subject_key


def verify_signed_by(child: Certificate, issuer: Certificate) -> bool:
    """Does ``issuer``'s key verify ``child``'s signature? (Names and CA-ness are chain()'s.)"""
    scheme = _scheme(child.signature_algorithm, child.signature_parameters)
    return _verify(issuer.public_key, scheme, child.signature, child.tbs)


# --------------------------------------------------------------------------- the lenient EKU reader


@lru_cache(maxsize=256)
def extended_key_usage(der: bytes) -> frozenset[str] | None:
    """The certificate's extended key usage OIDs; empty if it has none; None if unreadable.

    Read with `cryptography` first. Some states' signer certificates are not
    strict DER (Finland's encode BasicConstraints cA=FALSE, which DER omits),
    and `cryptography` then refuses every extension; those are read again
    with a small DER walker that looks at the extended key usage only. That
    trusts nothing new: the certificate comes from the trust store, not from
    the seal, and its key is already trusted as it is.
    """
    from cryptography import x509

    certificate = x509.load_der_x509_certificate(der)
    try:
        extension = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        return frozenset()
    except ValueError:
        return _eku_from_tbs(certificate.tbs_certificate_bytes)
    return frozenset(oid.dotted_string for oid in extension.value)


def _eku_from_tbs(tbs: bytes) -> frozenset[str] | None:
    """The EKU OIDs of a TBSCertificate, read leniently; None if the DER is broken."""
    try:
        [(tag, body)] = _tlvs(tbs)
        if tag != 0x30:
            return None
        extensions = [value for tag, value in _tlvs(body) if tag == 0xA3]  # [3] EXPLICIT Extensions
        if not extensions:
            return frozenset()
        [(tag, sequence)] = _tlvs(extensions[0])
        if tag != 0x30:
            return None
        found: list[frozenset[str]] = []
        for tag, extension in _tlvs(sequence):
            fields = list(_tlvs(extension))
            if tag != 0x30 or not fields or fields[0][0] != 0x06:
                return None
            if _oid(fields[0][1]) != EKU_OID:
                continue
            value = fields[-1]
            if value[0] != 0x04:
                return None
            [(tag, purposes)] = _tlvs(value[1])
            oids = list(_tlvs(purposes))
            if tag != 0x30 or any(t != 0x06 for t, _ in oids):
                return None
            found.append(frozenset(_oid(v) for _, v in oids))
    except (ValueError, IndexError):
        return None
    # Two EKU extensions contradict each other: unreadable, not merged.
    return found[0] if len(found) == 1 else (frozenset() if not found else None)


def _tlvs(data: bytes) -> Iterator[tuple[int, bytes]]:
    """The DER items (tag, contents) that fill ``data`` exactly; ValueError if they do not."""
    pos = 0
    while pos < len(data):
        tag = data[pos]
        if tag & 0x1F == 0x1F:
            raise ValueError("multi-byte DER tag")
        length = data[pos + 1]
        pos += 2
        if length & 0x80:
            size = length & 0x7F
            if not 0 < size <= 4:
                raise ValueError("unsupported DER length")
            length = int.from_bytes(data[pos : pos + size], "big")
            pos += size
        if pos + length > len(data):
            raise ValueError("DER item runs past its container")
        yield tag, data[pos : pos + length]
        pos += length


def _oid(body: bytes) -> str:
    if not body or body[-1] & 0x80:
        raise ValueError("truncated OID")
    arcs: list[int] = []
    value = 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first, *arcs[1:]])


# --------------------------------------------------------------------------- CRLs


@dataclass(frozen=True)
class RevokedEntry:
    serial: int
    revoked_at: dt.datetime | None


@dataclass(frozen=True, eq=False)
class Crl:
    """A certificate revocation list. Believed only once :func:`crl_signed_by` its CA."""

    der: bytes
    issuer: bytes  # DER Name
    issuer_text: str
    this_update: dt.datetime
    next_update: dt.datetime | None
    revoked: tuple[RevokedEntry, ...]
    authority_key_id: bytes | None
    tbs: bytes
    signature_algorithm: str
    signature_parameters: bytes | None
    signature: bytes
    _issuer_key: str = field(repr=False, default="")

    def entry(self, serial: int) -> RevokedEntry | None:
        return next((e for e in self.revoked if e.serial == serial), None)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Crl) and other.der == self.der

    def __hash__(self) -> int:
        return hash(self.der)


def load_crl(data: bytes) -> Crl:
    """A DER or PEM ("X509 CRL") certificate revocation list; TrustError if it cannot be read."""
    if len(data) > _MAX_INPUT:
        raise TrustError("the CRL is too large")
    blocks = _pem_blocks(data, "X509 CRL")
    if blocks is not None:
        if len(blocks) != 1:
            raise TrustError("expected one PEM X509 CRL block")
        data = blocks[0]
    try:
        return _crl(data)
    except TrustError:
        raise
    except Exception as error:  # asn1crypto parses lazily and raises many types on broken DER
        raise TrustError(f"the CRL cannot be read ({type(error).__name__})") from None


def _crl(der: bytes) -> Crl:
    from asn1crypto import crl

    certificate_list = crl.CertificateList.load(der, strict=True)
    tbs = certificate_list["tbs_cert_list"]
    outer, inner = certificate_list["signature_algorithm"], tbs["signature"]
    if outer["algorithm"].dotted != inner["algorithm"].dotted or _params(outer) != _params(inner):
        raise TrustError("the CRL's two signature algorithm fields differ")
    for extension in tbs["crl_extensions"]:
        if extension["extn_id"].dotted == "2.5.29.27":
            # A delta CRL lists only the changes since a base CRL: alone it
            # would clear every certificate revoked before. Refused.
            raise TrustError("delta CRLs are not supported")
        if extension["extn_id"].dotted == "2.5.29.28":
            # issuingDistributionPoint: a CRL for one distribution point of
            # end-entity certificates is complete for the signers we check; one
            # for some reasons only, for CA or attribute certificates, or for
            # another issuer's certificates (indirect) is not. Refused.
            scope = extension["extn_value"].parsed
            if any(
                scope[flag].native
                for flag in ("only_contains_ca_certs", "only_some_reasons", "indirect_crl", "only_contains_attribute_certs")
            ):
                raise TrustError("partial and indirect CRLs are not supported")
            continue
        if extension["critical"].native and extension["extn_id"].dotted not in ("2.5.29.20", "2.5.29.35"):
            raise TrustError(f"the CRL has a critical extension {extension['extn_id'].dotted} that is not understood")
    revoked = tuple(
        RevokedEntry(
            int(entry["user_certificate"].native),
            _utc(entry["revocation_date"].native) if entry["revocation_date"].native else None,
        )
        for entry in tbs["revoked_certificates"]
    )
    next_update = tbs["next_update"].native
    return Crl(
        der=der,
        issuer=bytes(certificate_list.issuer.dump()),
        issuer_text=_name_text(certificate_list.issuer),
        this_update=_utc(tbs["this_update"].native),
        next_update=_utc(next_update) if next_update else None,
        revoked=revoked,
        authority_key_id=certificate_list.authority_key_identifier,
        tbs=bytes(tbs.dump()),
        signature_algorithm=outer["algorithm"].dotted,
        signature_parameters=_params(outer),
        signature=bytes(certificate_list["signature"].native),
        _issuer_key=certificate_list.issuer.hashable,
    )


def crl_signed_by(crl: Crl, ca: Certificate) -> bool:
    """Is ``crl`` issued by ``ca`` (name, key id) and signed by its key?"""
    if not names_match(crl, ca) or not _key_ids_fit(crl.authority_key_id, ca):
        return False
    if ca.key_usage is not None and "crl_sign" not in ca.key_usage:
        return False  # the CA's own certificate says its key does not sign CRLs
    return _verify(ca.public_key, _scheme(crl.signature_algorithm, crl.signature_parameters), crl.signature, crl.tbs)


def _key_ids_fit(authority_key_id: bytes | None, ca: Certificate) -> bool:
    # Key ids only disambiguate (a CA renewed under the same name); absent on
    # either side they say nothing, and the signature decides.
    return authority_key_id is None or ca.subject_key_id is None or authority_key_id == ca.subject_key_id


# --------------------------------------------------------------------------- chains


class ChainFailure(StrEnum):
    """Which rule a chain failed; the values are the verdict causes they map to."""

    CHAIN = "chain"  # no trusted CA certifies the signer
    KEY_USAGE = "key_usage"  # the signer may not sign this (extended key usage)
    REVOKED = "revoked_key"  # the signer certificate is on its CA's CRL


@dataclass(frozen=True)
class ChainResult:
    ok: bool
    failure: ChainFailure | None
    reason: str  # one line for a clerk; "" when ok
    warnings: tuple[str, ...]  # e.g. a stale CRL: shown with the verdict
    anchor: Certificate | None  # the CA that certified the signer (also when a later rule failed)


def chain(
    signer: Certificate,
    anchors: Sequence[Certificate],
    crls: Iterable[Crl],
    at: dt.datetime,
    *,
    required_eku: str | None = None,
) -> ChainResult:
    """Does ``signer`` chain to one of ``anchors`` (one level: CA -> signer) at ``at``?

    Rules, in order: an anchor whose subject is the signer's issuer (and whose
    key id fits the signer's authority key id), that is a CA allowed to sign
    certificates, that is valid at ``at``, and whose key verifies the signer's
    signature; no critical extension the chain does not understand; the
    required extended key usage; not revoked on a CRL signed by that anchor.
    The signer's own validity is the format's rule (its time semantics
    differ), not checked here.
    """
    if at.tzinfo is None:
        raise UsageError("chain() needs an aware datetime")
    named = [a for a in anchors if names_match(signer, a) and _key_ids_fit(signer.authority_key_id, a)]
    if not named:
        return _fail(ChainFailure.CHAIN, f"no trusted CA certificate for the signer's issuer {signer.issuer_text}")
    reasons: list[str] = []
    anchor = None
    for candidate in named:
        if not candidate.is_ca or (candidate.key_usage is not None and "key_cert_sign" not in candidate.key_usage):
            # A CA certificate must say it is one: otherwise any end-entity
            # certificate given as trust could mint signers.
            reasons.append(f"the certificate of {candidate.display_name} is not a CA certificate")
        elif candidate.unhandled_critical:
            reasons.append(f"the CA certificate of {candidate.display_name} has a critical extension not understood")
        elif not candidate.valid_at(at):
            reasons.append(
                f"the CA certificate of {candidate.display_name} is valid only "
                f"{candidate.not_before:%Y-%m-%d} to {candidate.not_after:%Y-%m-%d}"
            )
        elif not verify_signed_by(signer, candidate):
            reasons.append(f"the signer certificate's signature is not by {candidate.display_name}")
        else:
            anchor = candidate
            break
    if anchor is None:
        return _fail(ChainFailure.CHAIN, reasons[-1])
    if signer.unhandled_critical:
        return _fail(
            ChainFailure.CHAIN,
            f"the signer certificate has a critical extension not understood ({', '.join(signer.unhandled_critical)})",
            anchor=anchor,
        )
    if signer.is_ca:
        # A CA certifies signers and never signs seals itself (issue 10): a
        # CSCA's key on a seal means a misuse, or a CA given where a signer was.
        return _fail(ChainFailure.KEY_USAGE, "the signer certificate is a CA certificate, which may not sign seals", anchor=anchor)
    if signer.key_usage is not None and "digital_signature" not in signer.key_usage:
        return _fail(ChainFailure.KEY_USAGE, "the signer certificate's key usage does not allow signing", anchor=anchor)
    if required_eku is not None:
        # Strict on purpose: a format that requires a purpose (VDS-NC BSC)
        # needs it named; no extension, or anyExtendedKeyUsage, is not enough.
        if signer.extended_key_usage is None:
            return _fail(ChainFailure.KEY_USAGE, "the signer certificate's extended key usage cannot be read", anchor=anchor)
        if required_eku not in signer.extended_key_usage:
            return _fail(
                ChainFailure.KEY_USAGE, f"the signer certificate is not allowed this use ({required_eku})", anchor=anchor
            )
    warnings: list[str] = []
    for crl in crls:
        if not names_match(crl, anchor):
            continue  # another CA's CRL
        if not crl_signed_by(crl, anchor):
            # A CRL that names this CA but is not signed by it says nothing:
            # trusting it could revoke (or fail to revoke) at an attacker's word.
            warnings.append(f"a CRL naming {anchor.display_name} is not signed by it and was ignored")
            continue
        if crl.next_update is not None and crl.next_update < at:
            warnings.append(f"the CRL of {anchor.display_name} is out of date (next update {crl.next_update:%Y-%m-%d})")
        entry = crl.entry(signer.serial)
        if entry is not None:
            when = f" on {entry.revoked_at:%Y-%m-%d}" if entry.revoked_at else ""
            return ChainResult(
                False,
                ChainFailure.REVOKED,
                f"the signer certificate (serial {signer.serial:X}) was revoked{when} by {anchor.display_name}",
                tuple(warnings),
                anchor,
            )
    return ChainResult(True, None, "", tuple(warnings), anchor)


def _fail(failure: ChainFailure, reason: str, *, anchor: Certificate | None = None) -> ChainResult:
    return ChainResult(False, failure, reason, (), anchor)


# --------------------------------------------------------------------------- ICAO master lists


@dataclass(frozen=True)
class MasterList:
    """An ICAO CSCA master list whose CMS signature verified (Doc 9303-12, section 9)."""

    certificates: tuple[Certificate, ...]  # the CSCA certificates it lists
    signer: Certificate  # the master list signer certificate
    signer_issuer: Certificate  # the CSCA in the list (or a given one) that certified the signer
    signing_time: dt.datetime | None
    warnings: tuple[str, ...]  # e.g. listed certificates that could not be read and were left out


def load_master_list(data: bytes, *, trusted_issuers: Sequence[Certificate] = ()) -> MasterList:
    """Read an ICAO CSCA master list and check its signature; TrustError with one line if it fails.

    Checks: CMS SignedData of content type id-icao-cscaMasterList; one signer,
    found among the certificates the CMS carries; signed attributes whose
    content type and message digest match the content; the signature over them
    by the signer's key; the signer valid at its signing time; and the signer
    certified by a CSCA, as Doc 9303-12 has it. That CSCA is taken from
    ``trusted_issuers`` when given (the publishing state's CSCA, trusted on its
    own), else from the list itself. The latter only proves the list is
    intact and self-consistent: whoever trusts the file trusts its publisher.
    """
    if len(data) > _MAX_INPUT:
        raise TrustError("the master list is too large")
    try:
        return _master_list(data, trusted_issuers)
    except TrustError:
        raise
    except Exception as error:  # asn1crypto parses lazily and raises many types on broken DER
        raise TrustError(f"the master list cannot be read ({type(error).__name__})") from None


def _master_list(data: bytes, trusted_issuers: Sequence[Certificate]) -> MasterList:
    from asn1crypto import cms

    content_info = cms.ContentInfo.load(data, strict=True)
    if content_info["content_type"].native != "signed_data":
        raise TrustError("not an ICAO master list (not CMS signed data)")
    signed = content_info["content"]
    encapsulated = signed["encap_content_info"]
    if encapsulated["content_type"].dotted != _MASTER_LIST_OID:
        raise TrustError("not an ICAO master list (CMS content of another type)")
    content = bytes(encapsulated["content"])  # the octets, even if BER-chunked
    if len(signed["signer_infos"]) != 1:
        raise TrustError("an ICAO master list must have exactly one signer")
    signer_info = signed["signer_infos"][0]
    carried = [load_certificate(bytes(c.chosen.dump())) for c in signed["certificates"] if c.name == "certificate"]
    signer = _cms_signer(signer_info["sid"], carried)
    digest_name = signer_info["digest_algorithm"]["algorithm"].native
    if digest_name not in _HASHES:
        raise TrustError(f"the master list's digest algorithm {digest_name} is not supported")
    attributes = signer_info["signed_attrs"]
    if not attributes:
        raise TrustError("the master list's signature has no signed attributes")  # required by Doc 9303-12
    types = [a["type"].dotted for a in attributes]
    if len(types) != len(set(types)):
        raise TrustError("the master list's signed attributes repeat a type")  # RFC 5652 11: each at most once
    values = {a["type"].native: a["values"] for a in attributes}
    if [v.dotted for v in values.get("content_type", [])] != [_MASTER_LIST_OID]:
        raise TrustError("the master list's signed content type does not match its content")
    digests = [bytes(v.native) for v in values.get("message_digest", [])]
    if digests != [hashlib.new(digest_name, content).digest()]:
        raise TrustError("the master list's content does not match its signed digest (altered)")
    algorithm = signer_info["signature_algorithm"]
    scheme = _scheme(algorithm["algorithm"].dotted, _params(algorithm), digest_name)
    if scheme is not None and scheme.hash_name != digest_name and algorithm["algorithm"].dotted != _RSA_PSS:
        scheme = None  # the signature hashes something else than the digest covers
    # The signature covers the DER of the attributes as a SET OF (tag 0x31),
    # not as the [0] IMPLICIT field they are written in (RFC 5652 5.4).
    signed_bytes = b"\x31" + bytes(attributes.dump())[1:]
    if not _verify(signer.public_key, scheme, bytes(signer_info["signature"].native), signed_bytes):
        raise TrustError("the master list's signature does not verify")
    signing_times = [v.native for v in values.get("signing_time", [])]
    signing_time = _utc(signing_times[0]) if len(signing_times) == 1 else None
    if signing_time is not None and not signer.valid_at(signing_time):
        raise TrustError(f"the master list was signed on {signing_time:%Y-%m-%d}, outside its signer's validity")

    listed: list[Certificate] = []
    warnings: list[str] = []
    parsed = _master_list_type().load(content, strict=True)
    for item in parsed["cert_list"]:
        try:
            listed.append(load_certificate(bytes(item.dump())))
        except TrustError as error:
            # One unreadable CSCA (an unsupported curve, say) should not cost the
            # other few hundred; it is left out, and said.
            warnings.append(f"a certificate in the master list was left out: {error}")
    issuers = list(trusted_issuers) or listed
    issuer = next(
        (
            c
            for c in issuers
            if names_match(signer, c) and _key_ids_fit(signer.authority_key_id, c) and c.is_ca and verify_signed_by(signer, c)
        ),
        None,
    )
    if issuer is None:
        where = "the given CSCA certificates" if trusted_issuers else "the list"
        raise TrustError(f"the master list signer {signer.display_name} is not certified by any CSCA in {where}")
    return MasterList(tuple(listed), signer, issuer, signing_time, tuple(warnings))


@lru_cache(maxsize=1)
def _master_list_type() -> Any:
    """The asn1crypto type of CscaMasterList (Doc 9303-12): version, certList SET OF Certificate."""
    from asn1crypto import core
    from asn1crypto import x509 as ax

    class SetOfCertificates(core.SetOf):  # type: ignore[misc]
        _child_spec = ax.Certificate

    class CscaMasterList(core.Sequence):  # type: ignore[misc]
        _fields: ClassVar = [("version", core.Integer), ("cert_list", SetOfCertificates)]

    return CscaMasterList


def _cms_signer(sid: Any, carried: Sequence[Certificate]) -> Certificate:
    if sid.name == "subject_key_identifier":
        key_id = bytes(sid.chosen.native)
        found = [c for c in carried if c.subject_key_id == key_id]
    else:
        serial = int(sid.chosen["serial_number"].native)
        issuer_key = sid.chosen["issuer"].hashable
        found = [c for c in carried if c.serial == serial and c._issuer_key == issuer_key]
    if not found:
        raise TrustError("the master list does not carry its signer's certificate")
    return found[0]


# --------------------------------------------------------------------------- trust sources

#: The formats an ICAO master list's CSCAs certify signers for.
ICAO_FORMATS = frozenset({"VDS", "VDS-NC"})


def certificate_of(key: TrustedKey) -> Certificate | None:
    """A trust entry's own certificate (its first), read leniently; None when it came
    without one or it cannot be read (such an entry anchors and names nothing)."""
    if not key.certificates:
        return None
    try:
        return load_certificate(key.certificates[0])
    except TrustError:
        return None


def trusted_key(certificate: Certificate, source: str, **terms: Any) -> TrustedKey:
    """A trust-store entry for a certificate given as trust.

    A CA certificate (basicConstraints cA) is an ANCHOR: it certifies signers
    of the chained formats and never signs a seal itself. Any other is a
    CERTIFICATE: a signer trusted only if :func:`chain` reaches an anchor.
    ``terms`` override (role, formats, name ...). Keys `cryptography` cannot
    load come as :class:`PurePythonECKey`.
    """
    from .model import Role
    from .trust import key_from_public

    terms.setdefault("role", Role.ANCHOR if certificate.is_ca else Role.CERTIFICATE)
    terms.setdefault("name", certificate.common_name or certificate.subject_text)
    return key_from_public(certificate.public_key, certificates=(certificate.der,), source=source, **terms)


def _store(source: str, keys: Iterable[TrustedKey] = (), crls: Iterable[Crl] = (), warnings: Iterable[str] = ()) -> TrustStore:
    from .trust import TrustStore

    return TrustStore(keys=tuple(keys), crls=tuple(crls), sources=(source,), warnings=tuple(warnings))


class CrlSource:
    """A DER or PEM certificate revocation list given as trust input (TrustStore.crls).

    It revokes only what its own CA certifies: :func:`chain` believes it once
    the CA it names has signed it, and warns when it is past its next update.
    """

    name = "a certificate revocation list (CRL)"

    def sniff(self, data: bytes) -> bool:
        if b"-----BEGIN X509 CRL-----" in data[:65536]:
            return True
        if data[:1] != b"\x30":
            return False
        try:
            load_crl(data)
        except TrustError:
            return False
        return True

    def load(self, data: bytes, source: str) -> TrustStore:
        try:
            return _store(source, crls=(load_crl(data),))
        except TrustError as error:
            raise TrustError(f"{source}: {error}") from None


class MasterListSource:
    """An ICAO CSCA master list (CMS): its signature is checked; its CSCAs become anchors for VDS and VDS-NC."""

    name = "an ICAO CSCA master list"
    _SIGNED_DATA = bytes.fromhex("06092a864886f70d010702")  # OID 1.2.840.113549.1.7.2
    _MASTER_LIST = bytes.fromhex("0606678108010102")  # OID 2.23.136.1.1.2

    def sniff(self, data: bytes) -> bool:
        return data[:1] == b"\x30" and self._SIGNED_DATA in data[:32] and self._MASTER_LIST in data[:160]

    def load(self, data: bytes, source: str) -> TrustStore:
        try:
            master_list = load_master_list(data)
        except TrustError as error:
            raise TrustError(f"{source}: {error}") from None
        # Every CSCA of the list is an anchor, link certificates (a new CSCA key
        # certified by the old one) included: each certifies signers only with
        # its own key. A non-CA certificate in a master list is a mistake of
        # its publisher; it is left out, and said.
        anchors = [c for c in dict.fromkeys(master_list.certificates) if c.is_ca]
        warnings = list(master_list.warnings)
        if left_out := len(set(master_list.certificates)) - len(anchors):
            warnings.append(f"{source}: {left_out} certificates in the master list say they are no CA and were left out")
        keys = []
        for certificate in anchors:
            try:
                keys.append(trusted_key(certificate, source, formats=ICAO_FORMATS))
            except TrustError as error:
                warnings.append(f"{source}: {certificate.display_name} was left out: {error}")
        return _store(source, keys=keys, warnings=warnings)


class CertificateSource:
    """X.509 certificates (one DER, or a PEM file of any number): CAs become anchors, others signers to chain.

    Reads what `cryptography` refuses (NULL-parameter ECDSA, explicit EC
    parameters, brainpoolP224r1).
    """

    name = "X.509 certificates (DER or PEM)"

    def sniff(self, data: bytes) -> bool:
        if b"-----BEGIN CERTIFICATE-----" in data[:65536]:
            return True
        if data[:1] != b"\x30":
            return False
        try:
            load_certificate(data)
        except TrustError:
            return False
        return True

    def load(self, data: bytes, source: str) -> TrustStore:
        try:
            certificates = list(dict.fromkeys(load_certificates(data)))  # the same certificate twice is one entry
            return _store(source, keys=[trusted_key(c, source) for c in certificates])
        except TrustError as error:
            raise TrustError(f"{source}: {error}") from None
