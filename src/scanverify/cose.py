"""COSE_Sign1 (RFC 9052) with CWT claims: the signed core shared by CS1 and HC1.

Parsing here is structural only; what a format demands of the headers and
claims (which labels, which tags) is the format's business.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import cbor2

from ._codec import CBORTag, CodecError, cbor_decode, cbor_decode_each
from .model import quick_init

if TYPE_CHECKING:
    from .algorithms import Algorithm, PrivateKey

COSE_SIGN1_TAG = 18
CWT_TAG = 61
HEADER_ALG = 1
HEADER_CRIT = 2
HEADER_KID = 4

__all__ = ["CoseSign1", "parse_cose_sign1", "sign_cose_sign1"]


@quick_init
@dataclass(frozen=True)
class CoseSign1:
    protected_bytes: bytes
    """The protected header exactly as received: it is what the signature covers."""
    protected: Mapping[Any, Any]
    unprotected: Mapping[Any, Any]
    payload: bytes
    signature: bytes
    tags: tuple[int, ...]
    """The CBOR tags that wrapped the array, outermost first."""
    decoded_payload: tuple[Any, ...] = ()
    """``(the payload decoded as CBOR,)`` when :func:`parse_cose_sign1` was asked for it and it
    decoded in the same call as the protected header; else ``()``: decode it on its own
    (:func:`scanverify.formats.cwt_claims`), which then accepts or refuses it as always."""

    def to_be_signed(self) -> bytes:
        return sig_structure(self.protected_bytes, self.payload)


def sig_structure(protected_bytes: bytes, payload: bytes) -> bytes:
    """The Sig_structure ``["Signature1", protected, h'', payload]`` (RFC 9052 section 4.4).

    Written out by hand (what cbor2.dumps gives, byte for byte, and
    tests/test_security.py compares them): a fixed head, then two byte
    strings, each with the shortest head for its length (RFC 8949's
    preferred serialisation, which the signer used).
    """
    return b"".join(
        (_SIG1_HEAD, _bstr_head(len(protected_bytes)), protected_bytes, b"\x40", _bstr_head(len(payload)), payload)
    )


#: An array of 4, the text "Signature1".
_SIG1_HEAD = b"\x84\x6aSignature1"


def _bstr_head(length: int) -> bytes:
    """The head of a CBOR byte string of ``length`` bytes (major type 2), shortest form."""
    if length < 24:
        return bytes((0x40 + length,))
    if length < 0x100:
        return bytes((0x58, length))
    if length < 0x10000:
        return b"\x59" + length.to_bytes(2, "big")
    if length < 0x100000000:
        return b"\x5a" + length.to_bytes(4, "big")
    return b"\x5b" + length.to_bytes(8, "big")


def parse_cose_sign1(data: bytes, *, decode_payload: bool = False) -> CoseSign1:
    """Parse a (possibly tagged) COSE_Sign1 array; raise CodecError if it is not one.

    With ``decode_payload``, the payload (CWT claims) is decoded in the same
    strict decoder call as the protected header when both decode there
    (``decoded_payload``); the payload's own errors are never raised here.
    """
    item = cbor_decode(data)
    tags: list[int] = []
    while isinstance(item, CBORTag):
        tags.append(item.tag)
        item = item.value
    if not isinstance(item, list) or len(item) != 4:
        raise CodecError("not a COSE_Sign1 structure (an array of 4 items)")
    protected_bytes, unprotected, payload, signature = item
    if not isinstance(protected_bytes, bytes):
        raise CodecError("COSE protected header is not a byte string")
    if not isinstance(unprotected, dict):
        raise CodecError("COSE unprotected header is not a map")
    if not isinstance(payload, bytes):
        raise CodecError("COSE payload is missing or not a byte string")
    if not isinstance(signature, bytes):
        raise CodecError("COSE signature is not a byte string")
    decoded_payload: tuple[Any, ...] = ()
    both = cbor_decode_each(protected_bytes, payload) if decode_payload and protected_bytes else None
    if both is not None:
        protected, decoded_payload = both[0], (both[1],)
    else:
        # An empty bstr stands for an empty protected map (RFC 9052 section 3).
        protected = cbor_decode(protected_bytes) if protected_bytes else {}
    if not isinstance(protected, dict):
        raise CodecError("COSE protected header is not a map")
    return CoseSign1(protected_bytes, protected, unprotected, payload, signature, tuple(tags), decoded_payload)


def sign_cose_sign1(
    payload: bytes,
    private_key: PrivateKey,
    algorithm: Algorithm,
    kid: bytes,
    *,
    tag: bool = True,
) -> bytes:
    protected_bytes = cbor2.dumps({HEADER_ALG: algorithm.cose, HEADER_KID: kid})
    signature = algorithm.sign(private_key, sig_structure(protected_bytes, payload))
    body = [protected_bytes, {}, payload, signature]
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, body) if tag else body)
