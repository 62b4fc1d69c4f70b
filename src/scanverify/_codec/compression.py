"""zlib and raw DEFLATE, inflated with a hard output bound."""

from __future__ import annotations

import zlib

from .cbor import CodecError

#: Seal formats never need more; anything larger is a decompression bomb.
MAX_INFLATED_BYTES = 64 * 1024


def looks_like_zlib(data: bytes) -> bool:
    """True when ``data`` starts with a zlib header (CMF 0x78 and a valid FCHECK)."""
    return len(data) >= 2 and data[0] == 0x78 and (data[0] * 256 + data[1]) % 31 == 0


def inflate_if_zlib(data: bytes, limit: int = MAX_INFLATED_BYTES) -> tuple[bytes, bool]:
    """Inflate ``data`` if it is zlib, else return it unchanged.

    Returns ``(bytes, was_compressed)``. The output is never inflated past
    ``limit + 1`` bytes, so a bomb costs at most that much memory.
    """
    if not looks_like_zlib(data):
        return data, False
    return _inflate(zlib.decompressobj(), data, limit, "zlib"), True


def inflate_raw(data: bytes, limit: int = MAX_INFLATED_BYTES) -> bytes:
    """Inflate raw DEFLATE (RFC 1951, no zlib header: JWS "zip":"DEF"), bounded like zlib."""
    return _inflate(zlib.decompressobj(-zlib.MAX_WBITS), data, limit, "DEFLATE")


def _inflate(inflater: zlib._Decompress, data: bytes, limit: int, what: str) -> bytes:
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise CodecError(f"{what} data is corrupt ({exc})") from None
    if len(out) > limit:
        raise CodecError(f"{what} data inflates past {limit // 1024} KiB (a decompression bomb)")
    if not inflater.eof:
        raise CodecError(f"{what} data is truncated")
    if inflater.unused_data:
        raise CodecError(f"bytes follow the end of the {what} stream")
    return out
