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


#: Each byte of ASCII text to its Base45 value; 0xFF for every byte outside the alphabet.
_VALUES = bytes(_VALUE.get(chr(b), 0xFF) for b in range(256))


def b45decode(text: str) -> bytes:
    """Decode canonical Base45; CodecError on anything else.

    No Python loop per character (issue 15): the characters are turned into
    their values by one ``bytes.translate``, and every group's
    ``a + 45*b + 2025*c`` is computed at once on big integers: the values
    read as one integer hold each group in a 3-byte lane (a, b, c), and
    shifting and masking it gives three integers whose lanes hold the groups'
    a, b and c alone (a lane never carries into the next: 45**3 - 1 < 2**24).
    The lanes' top bytes must then all be zero, which is exactly the rule
    that a group decodes to at most 65535.
    """
    if len(text) % 3 == 1:
        raise CodecError("Base45 text has an impossible length (1 more than a multiple of 3)")
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError as exc:
        raise CodecError(f"character {text[exc.start]!r} is not in the Base45 alphabet") from None
    values = raw.translate(_VALUES)
    bad = values.find(0xFF)
    if bad >= 0:
        raise CodecError(f"character {text[bad]!r} is not in the Base45 alphabet")
    groups, tail = divmod(len(values), 3)
    out = bytearray(2 * groups + (1 if tail else 0))
    if groups:
        width = 3 * groups
        digits = int.from_bytes(values[:width], "big")
        low = int.from_bytes(b"\0\0\xff" * groups, "big")  # the low byte of every lane
        a, b, c = (digits >> 16) & low, (digits >> 8) & low, digits & low
        total = (a + 45 * b + 2025 * c).to_bytes(width, "big")
        # A 3-character group can spell up to 45**3-1; above 0xFFFF it is not Base45.
        if total[0::3].strip(b"\0"):
            raise CodecError("Base45 group decodes above 65535")
        out[0 : 2 * groups : 2] = total[1::3]
        out[1 : 2 * groups : 2] = total[2::3]
    if tail:
        n = values[-2] + values[-1] * 45
        if n > 0xFF:
            raise CodecError("Base45 final group decodes above 255")
        out[-1] = n
    return bytes(out)
