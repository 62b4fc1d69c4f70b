"""C40, the character packing of ICAO Doc 9303 Part 13 (VDS headers and MRZ fields).

Three characters of the basic set (space, 0-9, A-Z) go into two bytes: ``c1*1600 + c2*40
+ c3 + 1``. Two leftover characters are padded with shift-1 (value 0); one leftover
character is written as the byte 0xFE ("unlatch") and then its ASCII code plus one.
Decoding is strict: anything else is an error, never a guessed character.
"""

from __future__ import annotations

__all__ = ["C40Error", "decode_c40", "encode_c40"]

_BASIC = " 0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # values 3..39
_UNLATCH = 0xFE


class C40Error(ValueError):
    """Bytes that are not valid C40."""


def _char(value: int) -> str:
    if 3 <= value <= 39:
        return _BASIC[value - 3]
    raise C40Error(f"C40 value {value} is outside the basic character set")


def decode_c40(data: bytes) -> str:
    """The text C40-packed in ``data`` (an even number of bytes)."""
    if len(data) % 2:
        raise C40Error("C40 data has an odd number of bytes")
    out: list[str] = []
    last = len(data) - 2
    for i in range(0, len(data), 2):
        first, second = data[i], data[i + 1]
        if first == _UNLATCH:
            # A single leftover character, ASCII + 1: only printable ASCII, only at the end.
            if i != last or not 0x20 <= second - 1 <= 0x7E:
                raise C40Error("misplaced or unprintable C40 unlatch character")
            out.append(chr(second - 1))
            continue
        packed = (first << 8 | second) - 1
        if not 0 <= packed < 64000:
            raise C40Error(f"C40 pair 0x{first:02x}{second:02x} is out of range")
        values = (packed // 1600, packed // 40 % 40, packed % 40)
        if values[0] == 0:
            raise C40Error("C40 triplet starts with padding")
        if values[1] == 0:
            # Padding (shift-1) may only close the last triplet.
            if values[2] != 0 or i != last:
                raise C40Error("C40 padding inside the data")
            out.append(_char(values[0]))
        elif values[2] == 0:
            if i != last:
                raise C40Error("C40 padding inside the data")
            out += (_char(values[0]), _char(values[1]))
        else:
            out += (_char(v) for v in values)
    return "".join(out)


def encode_c40(text: str) -> bytes:
    """``text`` (space, 0-9, A-Z; '<' written as space as ICAO does) packed in C40."""
    codes = [_BASIC.index(ch) + 3 if ch in _BASIC else -1 for ch in text.replace("<", " ")]
    if -1 in codes:
        raise C40Error("only space, digits and capital letters can be C40-encoded")
    out = bytearray()
    for i in range(0, len(codes) - len(codes) % 3, 3):
        packed = codes[i] * 1600 + codes[i + 1] * 40 + codes[i + 2] + 1
        out += packed.to_bytes(2, "big")
    rest = codes[len(codes) - len(codes) % 3 :]
    if len(rest) == 2:
        out += (rest[0] * 1600 + rest[1] * 40 + 1).to_bytes(2, "big")
    elif len(rest) == 1:
        out += bytes((_UNLATCH, ord(text[-1]) + 1))
    return bytes(out)
