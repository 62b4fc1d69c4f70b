"""The signature algorithms of seal-format.md section 2, on `cryptography`.

One table drives signing, verification, key generation and the alg/key fit,
so adding an algorithm is one entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey
    PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

__all__ = ["ALGORITHMS", "Algorithm", "PrivateKey", "PublicKey", "kid_of", "load_der_public_key", "spki_der"]

# `cryptography` is imported when a key is first loaded or a signature first checked,
# not with this module (issue 15, cold start: its serialization package alone, with its
# SSH and cipher modules, costs more than reading a photo's code). Each algorithm loads
# only the modules of its own key type.


def __getattr__(name: str) -> Any:
    # PublicKey and PrivateKey at run time (they are type aliases, for annotations).
    if name in ("PublicKey", "PrivateKey"):
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

        if name == "PublicKey":
            return ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey
        return ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class Algorithm:
    name: str
    cose: int
    generate: Callable[[], PrivateKey]
    fits: Callable[[Any], bool]
    """True when a public key is of the type (and curve, and size) this alg needs."""
    sign: Callable[[Any, bytes], bytes]
    verify: Callable[[Any, bytes, bytes], bool]


def load_der_public_key(der: bytes) -> PublicKey:
    """`cryptography`'s ``serialization.load_der_public_key``, without importing the
    serialization package (its SSH, cipher and padding modules): the very function that
    package re-exports, taken from cryptography's bindings (tests/test_imports.py checks
    they are one), or the package's when a version no longer has it there."""
    loader = _DER_LOADER
    if not loader:
        try:
            from cryptography.hazmat.bindings._rust import openssl

            loader.append(openssl.keys.load_der_public_key)
        except (ImportError, AttributeError):
            from cryptography.hazmat.primitives import serialization

            loader.append(serialization.load_der_public_key)
    return loader[0](der)  # type: ignore[no-any-return]


_DER_LOADER: list[Callable[[bytes], Any]] = []


def spki_der(key: PublicKey) -> bytes:
    from cryptography.hazmat.primitives._serialization import Encoding, PublicFormat

    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def kid_of(key: PublicKey) -> bytes:
    """CS1 kid: the first 8 bytes of SHA-256 over the DER SubjectPublicKeyInfo."""
    return hashlib.sha256(spki_der(key)).digest()[:8]


def _ecdsa(name: str, cose: int, curve_name: str, curve_class: str, digest_name: str) -> Algorithm:
    # The group order, so r and s are range-checked here and not only inside
    # the library: a zero or out-of-range r/s must never verify (CVE-2022-21449).
    order = _ORDERS[curve_name]
    size = (order.bit_length() + 7) // 8
    # cryptography's objects, made at first use and kept: the curve, the ECDSA
    # signature algorithm, the key class, InvalidSignature, the DER encoder.
    made: list[Any] = []

    def objects() -> Any:
        if not made:
            from cryptography.exceptions import InvalidSignature
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric import ec
            from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

            curve = getattr(ec, curve_class)()
            made.append(
                (
                    curve,
                    ec.ECDSA(getattr(hashes, digest_name)()),
                    ec.EllipticCurvePublicKey,
                    InvalidSignature,
                    encode_dss_signature,
                )
            )
        return made[0]

    def fits(key: Any) -> bool:
        public_class = (made[0] if made else objects())[2]
        return isinstance(key, public_class) and key.curve.name == curve_name

    def generate() -> Any:
        from cryptography.hazmat.primitives.asymmetric import ec

        return ec.generate_private_key(objects()[0])

    def sign(private: Any, message: bytes) -> bytes:
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        r, s = decode_dss_signature(private.sign(message, objects()[1]))
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")

    def verify(public: Any, message: bytes, signature: bytes) -> bool:
        _, ecdsa, public_class, invalid, encode_dss_signature = made[0] if made else objects()
        # COSE signatures are raw r||s of exactly twice the field size; a DER
        # signature has another length and is refused here, not reinterpreted.
        if len(signature) != 2 * size or not (isinstance(public, public_class) and public.curve.name == curve_name):
            return False
        r = int.from_bytes(signature[:size], "big")
        s = int.from_bytes(signature[size:], "big")
        if not (0 < r < order and 0 < s < order):
            return False
        try:
            public.verify(encode_dss_signature(r, s), message, ecdsa)
        except invalid:
            return False
        return True

    return Algorithm(name, cose, generate, fits, sign, verify)


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


def _pss() -> Any:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


def _ps256_fits(key: Any) -> bool:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048


def _ps256_verify(public: Any, message: bytes, signature: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes

    if not _ps256_fits(public) or len(signature) != (public.key_size + 7) // 8:
        return False
    try:
        public.verify(signature, message, _pss(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def _ps256_generate() -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=3072)


def _ps256_sign(private: Any, message: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes

    return private.sign(message, _pss(), hashes.SHA256())  # type: ignore[no-any-return]


def _ed25519_fits(key: Any) -> bool:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return isinstance(key, ed25519.Ed25519PublicKey)


def _eddsa_verify(public: Any, message: bytes, signature: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature

    if not _ed25519_fits(public) or len(signature) != 64:
        return False
    try:
        public.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def _ed25519_generate() -> Any:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return ed25519.Ed25519PrivateKey.generate()


ALGORITHMS: dict[str, Algorithm] = {
    a.name: a
    for a in (
        _ecdsa("ES256", -7, "secp256r1", "SECP256R1", "SHA256"),
        _ecdsa("ES384", -35, "secp384r1", "SECP384R1", "SHA384"),
        _ecdsa("ES512", -36, "secp521r1", "SECP521R1", "SHA512"),
        Algorithm("PS256", -37, _ps256_generate, _ps256_fits, _ps256_sign, _ps256_verify),
        Algorithm(
            "EdDSA", -8, _ed25519_generate, _ed25519_fits, lambda private, message: private.sign(message), _eddsa_verify
        ),
    )
}
BY_COSE: dict[int, Algorithm] = {a.cose: a for a in ALGORITHMS.values()}


def algorithm_for_key(key: PublicKey) -> Algorithm | None:
    """The one algorithm of the table that fits ``key``, if any."""
    return next((a for a in ALGORITHMS.values() if a.fits(key)), None)
