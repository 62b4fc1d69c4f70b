"""A strict CBOR (RFC 8949) decoder for untrusted seal bytes.

Why not ``cbor2.loads``: it ignores trailing bytes, keeps the last of two
duplicate map keys and has no nesting limit, and a seal that relies on any of
these must be refused (seal-format.md section 3). Encoding, which only ever
sees our own data, stays with cbor2.

Every length is checked against the bytes that remain before anything is
allocated, so a crafted header cannot make us reserve memory it does not pay
for.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Any

from ..errors import ScanverifyError

MAX_DEPTH = 16


class CodecError(ScanverifyError, ValueError):
    """Bytes that break the encoding rules (Base45, zlib or CBOR)."""


@dataclass(frozen=True)
class CBORTag:
    tag: int
    value: Any


class _Undefined:
    def __repr__(self) -> str:
        return "undefined"


UNDEFINED = _Undefined()
_BREAK = object()


def cbor_decode(data: bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Decode exactly one CBOR item that spans all of ``data``."""
    decoder = _Decoder(bytes(data), max_depth)
    value = decoder.item(0)
    if value is _BREAK:
        raise CodecError("CBOR 'break' outside an indefinite-length item")
    if decoder.pos != len(decoder.data):
        raise CodecError(f"{len(decoder.data) - decoder.pos} trailing bytes after the CBOR item")
    return value


class _Decoder:
    def __init__(self, data: bytes, max_depth: int) -> None:
        self.data = data
        self.pos = 0
        self.max_depth = max_depth

    def take(self, n: int) -> bytes:
        end = self.pos + n
        if n < 0 or end > len(self.data):
            raise CodecError("CBOR data ends in the middle of an item")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def argument(self, info: int) -> int | None:
        """The head's argument; None for an indefinite length (info 31)."""
        if info < 24:
            return info
        if info == 24:
            return self.take(1)[0]
        if info == 25:
            return int.from_bytes(self.take(2), "big")
        if info == 26:
            return int.from_bytes(self.take(4), "big")
        if info == 27:
            return int.from_bytes(self.take(8), "big")
        if info == 31:
            return None
        raise CodecError(f"reserved CBOR additional information {info}")

    def check_count(self, count: int, min_bytes_each: int) -> None:
        # Each element needs at least one byte: a count the remaining input
        # cannot hold is a lie, refused before any list is built.
        if count * min_bytes_each > len(self.data) - self.pos:
            raise CodecError("CBOR length exceeds the data")

    def item(self, depth: int) -> Any:
        if depth > self.max_depth:
            raise CodecError(f"CBOR nesting deeper than {self.max_depth}")
        head = self.take(1)[0]
        major, info = head >> 5, head & 0x1F
        if major == 7:
            return self.simple(info)
        arg = self.argument(info)
        if major == 0:
            return _definite(arg)
        if major == 1:
            return -1 - _definite(arg)
        if major in (2, 3):
            raw = self.string(major, arg, depth)
            if major == 2:
                return raw
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                raise CodecError("CBOR text string is not valid UTF-8") from None
        if major == 4:
            return self.array(arg, depth)
        if major == 5:
            return self.map(arg, depth)
        # major 6: tag
        tag = _definite(arg)
        return CBORTag(tag, self.value(depth + 1))

    def value(self, depth: int) -> Any:
        value = self.item(depth)
        if value is _BREAK:
            raise CodecError("unexpected CBOR 'break'")
        return value

    def string(self, major: int, length: int | None, depth: int) -> bytes:
        if length is not None:
            return self.take(length)
        chunks = bytearray()
        while True:
            head = self.take(1)[0]
            if head == 0xFF:
                return bytes(chunks)
            if head >> 5 != major:
                raise CodecError("indefinite-length string holds a chunk of another type")
            chunk_length = self.argument(head & 0x1F)
            if chunk_length is None:
                raise CodecError("nested indefinite-length string chunk")
            chunks += self.take(chunk_length)

    def array(self, count: int | None, depth: int) -> list[Any]:
        items: list[Any] = []
        if count is None:
            while (value := self.item(depth + 1)) is not _BREAK:
                items.append(value)
            return items
        self.check_count(count, 1)
        for _ in range(count):
            items.append(self.value(depth + 1))
        return items

    def map(self, count: int | None, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}

        def add(key: Any) -> None:
            if isinstance(key, (list, dict, CBORTag)) or (isinstance(key, float) and math.isnan(key)):
                raise CodecError("CBOR map key of an unsupported type")
            # Keys equal as Python values are one key: 1, true and 1.0 (or 0,
            # false, 0.0 and -0.0) are distinct CBOR items but one dict key, and
            # keeping the last would let a seal read as iss CN here and FR in
            # another decoder. Identical items are equal values too.
            if key in result:
                raise CodecError(f"CBOR map has the key {key!r} twice (keys equal as values count as one)")
            result[key] = self.value(depth + 1)

        if count is None:
            while (key := self.item(depth + 1)) is not _BREAK:
                add(key)
            return result
        self.check_count(count, 2)
        for _ in range(count):
            add(self.value(depth + 1))
        return result

    def simple(self, info: int) -> Any:
        if info == 20:
            return False
        if info == 21:
            return True
        if info == 22:
            return None
        if info == 23:
            return UNDEFINED
        if info == 25:
            return struct.unpack(">e", self.take(2))[0]
        if info == 26:
            return struct.unpack(">f", self.take(4))[0]
        if info == 27:
            return struct.unpack(">d", self.take(8))[0]
        if info == 31:
            return _BREAK
        raise CodecError("unsupported CBOR simple value")


def _definite(arg: int | None) -> int:
    if arg is None:
        raise CodecError("indefinite length on a CBOR integer or tag")
    return arg
