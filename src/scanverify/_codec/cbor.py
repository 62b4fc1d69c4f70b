"""A strict CBOR (RFC 8949) decoder for untrusted seal bytes.

The rules (seal-format.md section 3): exactly one item spanning all the bytes
(no trailing bytes); no map key twice, where keys equal as Python values are
one key (1, true and 1.0; 0, false, 0.0 and -0.0: a dict keeps only the last,
so another decoder could read another value); map keys only of scalar types
(no arrays, maps, tags or NaN); at most MAX_DEPTH levels of arrays, maps and
tags; only the simple values false, true, null and undefined; every tag kept
as a raw CBORTag, never interpreted (no dates, bignums, shared values or
string references: those would make these bytes mean something else here
than in another decoder).

Two implementations keep these rules:

- the fast one (issue 15) runs cbor2's compiled decoder (cbor2 >= 6.1.1) with
  its strict options: ``allow_duplicate_keys=False`` (it compares keys as
  Python values, as we do), ``max_depth`` (it counts tags, as we do), and
  every tag routed to us raw through ``semantic_decoders``; the trailing-bytes
  check, the key types, the simple values and the conversion of its immutable
  containers (tuples, frozendict inside tags) are ours, in one walk over the
  decoded value;
- the pure-Python one below is kept where cbor2 cannot be trusted to be
  strict enough: it is used when cbor2 is older, or when a self-check at
  first use finds cbor2 interpreting a tag, accepting a duplicate key or
  hiding trailing bytes. It is also the reference the fuzz tests compare the
  fast path with. Every length is checked against the bytes that remain
  before anything is allocated, so a crafted header cannot make us reserve
  memory it does not pay for.

Encoding, which only ever sees our own data, stays with cbor2.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
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
    """Decode exactly one CBOR item that spans all of ``data``; CodecError on any broken rule."""
    fast = _fast_decoder()
    if fast is not None:
        return fast(bytes(data), max_depth)
    return cbor_decode_pure(data, max_depth=max_depth)


def cbor_decode_each(*parts: bytes, max_depth: int = MAX_DEPTH) -> list[Any] | None:
    """Each of ``parts`` decoded as by :func:`cbor_decode` (one item spanning all its bytes),
    in one call of the fast decoder; None when that cannot say yes to every part.

    None is never a verdict: the caller then decodes the parts one by one with
    :func:`cbor_decode`, which accepts or refuses each, and says why, exactly as
    always (the pure decoder may accept what the fast path leaves to it).
    """
    fast = _fast_decoder()
    if fast is None:
        return None
    return fast.each(parts, max_depth)  # type: ignore[no-any-return]


def cbor_decode_pure(data: bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """The pure-Python decoder: the same rules as cbor_decode, without cbor2."""
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
            return self.string(major, arg, depth)
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

    def string(self, major: int, length: int | None, depth: int) -> bytes | str:
        if length is not None:
            return self.chunk(major, length)
        chunks: list[Any] = []
        while True:
            head = self.take(1)[0]
            if head == 0xFF:
                return (b"" if major == 2 else "").join(chunks)
            if head >> 5 != major:
                raise CodecError("indefinite-length string holds a chunk of another type")
            chunk_length = self.argument(head & 0x1F)
            if chunk_length is None:
                raise CodecError("nested indefinite-length string chunk")
            # Each chunk of a text string is UTF-8 on its own (RFC 8949 3.2.3).
            chunks.append(self.chunk(major, chunk_length))

    def chunk(self, major: int, length: int) -> bytes | str:
        raw = self.take(length)
        if major == 2:
            return raw
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise CodecError("CBOR text string is not valid UTF-8") from None

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


# ---------------------------------------------------------------- the fast path: cbor2's compiled decoder
_FAST: list[Any] = []  # [decoder or None], decided at first use


def _fast_decoder() -> Any:
    if not _FAST:
        _FAST.append(_make_fast_decoder())
    return _FAST[0]


class _RawTags(dict[int, Any]):
    """cbor2's ``semantic_decoders``: every tag number answers, so no tag is ever interpreted
    (cbor2 looks each tag up here before its own table)."""

    #: Tag numbers whose decoder is kept once made (measured: making it on
    #: every lookup cost 1.7 µs of a 3.5 µs COSE decode). Bounded, so that
    #: seals spelling millions of different tag numbers cannot grow it.
    MOST_KEPT = 4096

    def __missing__(self, tag: int) -> Any:
        def decoder(value: Any, immutable: bool) -> CBORTag:
            return CBORTag(tag, value)

        if len(self) < self.MOST_KEPT:
            self[tag] = decoder
        return decoder


def _make_fast_decoder() -> Any:
    """cbor2's decoder wrapped in our rules, or None when it cannot be made strict enough."""
    try:
        import os

        import cbor2
    except ImportError:
        return None
    try:
        # allow_duplicate_keys arrived in 6.1.0 (pyproject asks for 6.1.1, which fixed
        # corrupted data past 4096 bytes). Asked of the function itself, not of the
        # package metadata: importlib.metadata costs start-up time on every run.
        cbor2.loads(b"\xa0", allow_duplicate_keys=False, max_depth=1)
    except TypeError:
        return None
    loads, failures = cbor2.loads, (cbor2.CBORError, ValueError, TypeError, OverflowError, RecursionError)
    raw_tags = _RawTags()
    scalars = frozenset({int, bool, str, bytes, float, type(None)})
    # cbor2.loads says nothing of bytes after the item. The item is therefore
    # read as the first of a 2-array whose second is a 16-byte string chosen
    # at random in this process: it comes back as the second element exactly
    # when the item ends where the data ends (bytes left over would be read
    # as the second element, and an item running short would swallow part of
    # it; neither can spell a secret the input does not know).
    nonce = os.urandom(16)
    sentinel = b"\x50" + nonce

    def strict(value: Any, depth: int, max_depth: int) -> Any:
        """Our rules on what cbor2 decoded, in place; its immutable containers (inside tags) made plain."""
        if depth > max_depth:
            raise CodecError(f"CBOR nesting deeper than {max_depth}")
        kind = type(value)
        if kind is list or kind is tuple:
            items = value if kind is list else list(value)
            for i, item in enumerate(items):
                if type(item) not in scalars:
                    items[i] = strict(item, depth + 1, max_depth)
            return items
        if kind is dict or isinstance(value, Mapping):
            result = value if kind is dict else dict(value)
            for key, item in result.items():
                if type(key) not in scalars or key != key:  # key != key: NaN
                    # (an undefined key too: rare enough to leave to the pure decoder)
                    raise CodecError("CBOR map key of an unsupported type")
                if type(item) not in scalars:
                    result[key] = strict(item, depth + 1, max_depth)
            return result
        if kind is CBORTag:
            inner = value.value
            return CBORTag(value.tag, inner if type(inner) in scalars else strict(inner, depth + 1, max_depth))
        if value is cbor2.undefined:
            return UNDEFINED
        # A simple value other than false/true/null/undefined, or a type cbor2
        # made on its own (an interpreted tag): refused.
        raise CodecError(f"unsupported CBOR item ({kind.__name__})")

    def fast(data: bytes, max_depth: int) -> Any:
        """The item, or an exception (CodecError or cbor2's) when the fast path does not accept it."""
        pair = loads(
            b"\x82" + data + sentinel,
            semantic_decoders=raw_tags,
            max_depth=max_depth + 1,  # the item sits one level down, in the 2-array
            allow_indefinite=True,
            allow_duplicate_keys=False,
        )
        if pair[1] != nonce:
            raise CodecError("the CBOR item does not end where the data ends")
        item = pair[0]
        return item if type(item) in scalars else strict(item, 0, max_depth)

    def each(parts: tuple[bytes, ...], max_depth: int) -> list[Any] | None:
        """Several items in one cbor2 call: ``[part1, sentinel, part2, sentinel, ...]``.

        The same rule as ``fast``, part by part: an element equal to the
        secret nonce can only be read from a real sentinel's own bytes (the
        input does not know the nonce), so when every odd element is the nonce
        and there are exactly twice as many elements as parts, each part was
        read as exactly one item spanning exactly its bytes.
        """
        if not 0 < len(parts) < 12:
            return None
        try:
            items = loads(
                bytes([0x80 + 2 * len(parts)]) + sentinel.join(parts) + sentinel,
                semantic_decoders=raw_tags,
                max_depth=max_depth + 1,
                allow_indefinite=True,
                allow_duplicate_keys=False,
            )
            if len(items) != 2 * len(parts) or any(items[i] != nonce for i in range(1, len(items), 2)):
                return None
            return [item if type(item) in scalars else strict(item, 0, max_depth) for item in items[0::2]]
        except (CodecError, *failures):
            return None

    def decode(data: bytes, max_depth: int) -> Any:
        try:
            return fast(data, max_depth)
        except (CodecError, *failures):
            pass
        # Refused by the fast path: the pure decoder, the reference, decides and
        # says why in its own words. (This path is for bad input only; that the
        # fast path never accepts what the pure one refuses, nor reads a value
        # otherwise, is tests/test_security.py::test_fast_and_pure_cbor_decoders_agree.)
        return cbor_decode_pure(data, max_depth=max_depth)

    # Self-check: a cbor2 that interprets a tag, merges equal keys or misses
    # trailing bytes, depth or a simple value is not used (the pure decoder
    # is), whatever its version says.
    try:
        if fast(b"\xd9\xd9\xf7\xc1\x01", MAX_DEPTH) != CBORTag(55799, CBORTag(1, 1)):
            return None
    except (CodecError, *failures):
        return None
    for bad in (b"\xa2\x01\x00\xf9\x3c\x00\x00", b"\x01\x00", b"\x81" * (MAX_DEPTH + 1) + b"\x00", b"\xf8\x30"):
        try:
            fast(bad, MAX_DEPTH)
        except (CodecError, *failures):
            continue
        return None
    decode.each = each  # type: ignore[attr-defined]
    decode.tags = raw_tags  # type: ignore[attr-defined]
    return decode
