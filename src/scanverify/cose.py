"""COSE_Sign1 (RFC 9052) with CWT claims: the signed core shared by CS1 and HC1.

Parsing here is structural only; what a format demands of the headers and
claims (which labels, which tags) is the format's business.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cbor2

from ._codec import CBORTag, CodecError, cbor_decode
from .algorithms import Algorithm, PrivateKey

COSE_SIGN1_TAG = 18
CWT_TAG = 61
HEADER_ALG = 1
HEADER_CRIT = 2
HEADER_KID = 4

__all__ = ["CoseSign1", "parse_cose_sign1", "sign_cose_sign1"]


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

    def to_be_signed(self) -> bytes:
        return sig_structure(self.protected_bytes, self.payload)


def sig_structure(protected_bytes: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected_bytes, b"", payload])


def parse_cose_sign1(data: bytes) -> CoseSign1:
    """Parse a (possibly tagged) COSE_Sign1 array; raise CodecError if it is not one."""
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
    # An empty bstr stands for an empty protected map (RFC 9052 section 3).
    protected = cbor_decode(protected_bytes) if protected_bytes else {}
    if not isinstance(protected, dict):
        raise CodecError("COSE protected header is not a map")
    return CoseSign1(protected_bytes, protected, unprotected, payload, signature, tuple(tags))


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
