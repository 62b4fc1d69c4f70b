"""Byte-level codecs shared by the seal formats: Base45, bounded zlib and DEFLATE, strict CBOR.

Each decoder raises :class:`CodecError` with a one-line reason on input that
breaks its rules; formats turn that into a ``malformed`` verdict.
"""

from __future__ import annotations

from .base45 import b45decode, b45encode
from .cbor import CBORTag, CodecError, cbor_decode, cbor_decode_each
from .compression import MAX_INFLATED_BYTES, inflate_if_zlib, inflate_raw, looks_like_zlib

__all__ = [
    "MAX_INFLATED_BYTES",
    "CBORTag",
    "CodecError",
    "b45decode",
    "b45encode",
    "cbor_decode",
    "cbor_decode_each",
    "inflate_if_zlib",
    "inflate_raw",
    "looks_like_zlib",
]
