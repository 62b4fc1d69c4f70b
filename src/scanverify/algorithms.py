"""The signature algorithms of seal-format.md section 2, on `cryptography`.

One table drives signing, verification, key generation and the alg/key fit,
so adding an algorithm is one entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

__all__ = ["ALGORITHMS", "Algorithm", "PrivateKey", "PublicKey", "kid_of", "spki_der"]


@dataclass(frozen=True)
class Algorithm:
    name: str
    cose: int
    generate: Callable[[], PrivateKey]
    fits: Callable[[Any], bool]
    """True when a public key is of the type (and curve, and size) this alg needs."""
    sign: Callable[[Any, bytes], bytes]
    verify: Callable[[Any, bytes, bytes], bool]


def spki_der(key: PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def kid_of(key: PublicKey) -> bytes:
    """CS1 kid: the first 8 bytes of SHA-256 over the DER SubjectPublicKeyInfo."""
    return hashlib.sha256(spki_der(key)).digest()[:8]


def _ecdsa(name: str, cose: int, curve: ec.EllipticCurve, digest: hashes.HashAlgorithm) -> Algorithm:
    size = (curve.key_size + 7) // 8
    # The group orders, so r and s are range-checked here and not only inside
    # the library: a zero or out-of-range r/s must never verify (CVE-2022-21449).
    order = _ORDERS[curve.name]

    def fits(key: Any) -> bool:
        return isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == curve.name

    def sign(private: Any, message: bytes) -> bytes:
        r, s = decode_dss_signature(private.sign(message, ec.ECDSA(digest)))
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")

    def verify(public: Any, message: bytes, signature: bytes) -> bool:
        # COSE signatures are raw r||s of exactly twice the field size; a DER
        # signature has another length and is refused here, not reinterpreted.
        if len(signature) != 2 * size or not fits(public):
            return False
        r = int.from_bytes(signature[:size], "big")
        s = int.from_bytes(signature[size:], "big")
        if not (0 < r < order and 0 < s < order):
            return False
        try:
            public.verify(encode_dss_signature(r, s), message, ec.ECDSA(digest))
        except InvalidSignature:
            return False
        return True

    return Algorithm(name, cose, lambda: ec.generate_private_key(curve), fits, sign, verify)


_ORDERS = {
    "secp256r1": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "secp384r1": int(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973", 16
    ),
    "secp521r1": int(
        "1FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
        "FA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409",
        16,
    ),
}

_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


def _ps256_fits(key: Any) -> bool:
    return isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048


def _ps256_verify(public: Any, message: bytes, signature: bytes) -> bool:
    if not _ps256_fits(public) or len(signature) != (public.key_size + 7) // 8:
        return False
    try:
        public.verify(signature, message, _PSS, hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def _eddsa_verify(public: Any, message: bytes, signature: bytes) -> bool:
    if not isinstance(public, ed25519.Ed25519PublicKey) or len(signature) != 64:
        return False
    try:
        public.verify(signature, message)
    except InvalidSignature:
        return False
    return True


ALGORITHMS: dict[str, Algorithm] = {
    a.name: a
    for a in (
        _ecdsa("ES256", -7, ec.SECP256R1(), hashes.SHA256()),
        _ecdsa("ES384", -35, ec.SECP384R1(), hashes.SHA384()),
        _ecdsa("ES512", -36, ec.SECP521R1(), hashes.SHA512()),
        Algorithm(
            "PS256",
            -37,
            lambda: rsa.generate_private_key(public_exponent=65537, key_size=3072),
            _ps256_fits,
            lambda private, message: private.sign(message, _PSS, hashes.SHA256()),
            _ps256_verify,
        ),
        Algorithm(
            "EdDSA",
            -8,
            ed25519.Ed25519PrivateKey.generate,
            lambda key: isinstance(key, ed25519.Ed25519PublicKey),
            lambda private, message: private.sign(message),
            _eddsa_verify,
        ),
    )
}
BY_COSE: dict[int, Algorithm] = {a.cose: a for a in ALGORITHMS.values()}


def algorithm_for_key(key: PublicKey) -> Algorithm | None:
    """The one algorithm of the table that fits ``key``, if any."""
    return next((a for a in ALGORITHMS.values() if a.fits(key)), None)
