"""Base45 (RFC 9285), strict: any text that is not canonical Base45 is refused."""

from __future__ import annotations

from .cbor import CodecError

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


def b45encode(data: bytes) -> str:
    out: list[str] = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        c, n = divmod(n, 45 * 45)
        e, d = divmod(n, 45)
        out += (ALPHABET[d], ALPHABET[e], ALPHABET[c])
    if len(data) % 2:
        e, d = divmod(data[-1], 45)
        out += (ALPHABET[d], ALPHABET[e])
    return "".join(out)


def b45decode(text: str) -> bytes:
    if len(text) % 3 == 1:
        raise CodecError("Base45 text has an impossible length (1 more than a multiple of 3)")
    try:
        values = [_VALUE[c] for c in text]
    except KeyError as missing:
        raise CodecError(f"character {missing.args[0]!r} is not in the Base45 alphabet") from None
    out = bytearray()
    for i in range(0, len(values), 3):
        group = values[i : i + 3]
        if len(group) == 3:
            n = group[0] + group[1] * 45 + group[2] * 45 * 45
            # A 3-character group can spell up to 45**3-1; above 0xFFFF it is not Base45.
            if n > 0xFFFF:
                raise CodecError("Base45 group decodes above 65535")
            out += n.to_bytes(2, "big")
        else:
            n = group[0] + group[1] * 45
            if n > 0xFF:
                raise CodecError("Base45 final group decodes above 255")
            out.append(n)
    return bytes(out)
