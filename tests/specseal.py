"""Build CS1 seals straight from seal-format.md, independently of scanverify's issuer code.

Tests use this to check the verifier against the spec, not against itself:
nothing here imports scanverify.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

ALGS: dict[str, tuple[int, Any]] = {
    "ES256": (-7, lambda: ec.generate_private_key(ec.SECP256R1())),
    "ES384": (-35, lambda: ec.generate_private_key(ec.SECP384R1())),
    "ES512": (-36, lambda: ec.generate_private_key(ec.SECP521R1())),
    "PS256": (-37, lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)),
    "EdDSA": (-8, ed25519.Ed25519PrivateKey.generate),
}
HASHES = {"ES256": hashes.SHA256(), "ES384": hashes.SHA384(), "ES512": hashes.SHA512()}
SIZES = {"ES256": 32, "ES384": 48, "ES512": 66}


def b45(data: bytes) -> str:
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        out += [B45[n % 45], B45[n // 45 % 45], B45[n // 2025]]
    if len(data) % 2:
        out += [B45[data[-1] % 45], B45[data[-1] // 45]]
    return "".join(out)


def spki(public_key: Any) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def kid(public_key: Any) -> bytes:
    return hashlib.sha256(spki(public_key)).digest()[:8]


def raw_sign(alg: str, private_key: Any, message: bytes) -> bytes:
    if alg in SIZES:
        r, s = decode_dss_signature(private_key.sign(message, ec.ECDSA(HASHES[alg])))
        return r.to_bytes(SIZES[alg], "big") + s.to_bytes(SIZES[alg], "big")
    if alg == "PS256":
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        return private_key.sign(message, pss, hashes.SHA256())
    return private_key.sign(message)


def record(**changes: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "v": 1,
        "no": "2021-BJ-0012345",
        "t": "legalization",
        "dt": "2021-06-01",
        "au": "Consular Department, Ministry of Foreign Affairs",
        "pl": "北京",
        "doc": {"ti": "出生公证书", "hn": "王小明", "pg": 1, "h": hashlib.sha256(b"doc").digest()},
    }
    rec.update(changes)
    return rec


@dataclass
class Issuer:
    alg: str = "ES256"
    private_key: Any = None

    def __post_init__(self) -> None:
        if self.private_key is None:
            self.private_key = ALGS[self.alg][1]()

    @property
    def public_key(self) -> Any:
        return self.private_key.public_key()

    @property
    def kid(self) -> bytes:
        return kid(self.public_key)

    def entry(self, **terms: Any) -> dict[str, Any]:
        return {"spki": base64.b64encode(spki(self.public_key)).decode(), "iss": "CN", "name": "Test Issuer", **terms}

    def bundle(
        self, *extra_entries: dict[str, Any], revoked_seals: tuple[str, ...] = (), **terms: Any
    ) -> dict[str, Any]:
        return {
            "format": "scanverify.trust.v1",
            "version": 1,
            "keys": [self.entry(**terms), *extra_entries],
            "revoked_seals": list(revoked_seals),
        }


@dataclass
class SealParts:
    """Every piece of a CS1 seal, each replaceable by a test."""

    issuer: Issuer
    claims: dict[Any, Any] = field(default_factory=dict)
    protected: dict[Any, Any] | None = None
    protected_bytes: bytes | None = None
    unprotected: dict[Any, Any] = field(default_factory=dict)
    payload: bytes | None = None
    signature: bytes | None = None
    tag: int | None = 18
    compress: bool = True
    prefix: str = "CS1:"
    trailing: bytes = b""

    def cose(self) -> bytes:
        protected = self.protected if self.protected is not None else {1: ALGS[self.issuer.alg][0], 4: self.issuer.kid}
        protected_bytes = self.protected_bytes if self.protected_bytes is not None else cbor2.dumps(protected)
        payload = self.payload if self.payload is not None else cbor2.dumps(self.claims)
        to_sign = cbor2.dumps(["Signature1", protected_bytes, b"", payload])
        signature = (
            self.signature
            if self.signature is not None
            else raw_sign(self.issuer.alg, self.issuer.private_key, to_sign)
        )
        body = [protected_bytes, self.unprotected, payload, signature]
        return cbor2.dumps(cbor2.CBORTag(self.tag, body) if self.tag is not None else body) + self.trailing

    def text(self) -> str:
        data = self.cose()
        return self.prefix + b45(zlib.compress(data) if self.compress else data)


def make_seal(
    issuer: Issuer,
    *,
    iat: int,
    exp: int | None = None,
    iss: str = "CN",
    rec: dict[str, Any] | None = None,
    **parts: Any,
) -> SealParts:
    claims: dict[Any, Any] = {1: iss, 6: iat, -65537: rec if rec is not None else record()}
    if exp is not None:
        claims[4] = exp
    return SealParts(issuer=issuer, claims=claims, **parts)


def certificate_builder(issuer: Issuer, common_name: str, start: Any, days: int) -> Any:
    """A self-signed X.509 certificate builder for the issuer's key (sign it with .sign)."""
    import datetime as dt

    from cryptography import x509

    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, common_name)])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(issuer.public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
    )
