"""France's 2D-Doc (ANTS), C40/text form: header, fields, signature, annex.

The text a DataMatrix gives (and the same text given with ``--text``)::

    DC VV CCCC KKKK EEEE SSSS TT [PP] [NN]  fields...  US signature [GS annex]

``VV`` the version (01/02: 22-character header, 03: + perimeter, 24; 04: +
country, 26), ``CCCC`` the certification authority, ``KKKK`` the signer
certificate, ``EEEE``/``SSSS`` the emission and signature dates in hex days
since 2000-01-01 (``FFFF``: unknown), ``TT`` the document type. Fields are a
two-character id and a value of the fixed or variable length the ANTS tables
give (a variable value ends at GS, RS when truncated, the end of the message
or its maximum length). The signature is Base32 (unpadded) of raw r||s after
US; it covers every byte before the US. An annex, after the signature, is not
signed and is only shown as such.

This module knows nothing of trust or verdicts: :func:`parse` turns text into
a :class:`Ddoc` or raises :class:`DdocError` with one line saying what is broken.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ..errors import ScanverifyError
from .ddoc_tables import FIELDS, FieldDef

__all__ = ["GS", "RS", "SIGNATURE_SIZES", "US", "Ddoc", "DdocError", "Field", "Header", "parse"]

GS, RS, US = "\x1d", "\x1e", "\x1f"
EPOCH = date(2000, 1, 1)
UNKNOWN_DATE = "FFFF"
HEADER_LENGTHS = {"01": 22, "02": 22, "03": 24, "04": 26}
#: Base32 length (unpadded) -> raw r||s bytes, for the ECDSA curves the spec allows:
#: P-256 (the one in use), P-384 and P-521. Any other length is refused.
SIGNATURE_SIZES = {103: 64, 154: 96, 212: 132}
#: Perimeter 01 is the only one whose fields the ANTS tables define; a v02 header has none and means 01.
KNOWN_PERIMETER = "01"
_ALNUM4 = re.compile(r"[0-9A-Z]{4}")
_ALNUM2 = re.compile(r"[0-9A-Z]{2}")
_HEX4 = re.compile(r"[0-9A-F]{4}")
_B32 = re.compile(r"[A-Z2-7]*")
#: A payload is small (a DataMatrix holds at most 3116 bytes); anything far larger is not one.
MAX_TEXT = 8192


class DdocError(ScanverifyError):
    """Text that begins with ``DC`` but breaks the 2D-Doc rules."""


@dataclass(frozen=True)
class Header:
    version: str
    ca_id: str
    cert_id: str
    emitted: date | None
    """None when the document gives FFFF (unknown)."""
    signed: date | None
    doc_type: str
    perimeter: str | None
    """From version 03 on; None before (perimeter 01 is meant)."""
    country: str | None
    """From version 04 on; None before (France is meant)."""
    length: int

    @property
    def effective_perimeter(self) -> str:
        return self.perimeter or KNOWN_PERIMETER


@dataclass(frozen=True)
class Field:
    id: str
    raw: str
    value: Any
    """The value read as its kind says (an ISO date for a date); ``raw`` when it cannot be."""
    definition: FieldDef
    truncated: bool = False
    """The value ended with RS: the issuer shortened it to fit."""
    invalid: bool = False
    """The characters do not read as the field's kind (a date that is no date): shown raw."""


@dataclass(frozen=True)
class Ddoc:
    header: Header
    fields: tuple[Field, ...]
    unparsed: str
    """Message text after an unknown field id (its length is unknown, so the rest is shown raw)."""
    signed_data: bytes
    signature: bytes
    annex: str
    """Text after the signature: not signed."""


def parse(data: bytes) -> Ddoc:
    """A 2D-Doc from the exact bytes of a code; raise :class:`DdocError` when broken."""
    if len(data) > MAX_TEXT:
        raise DdocError(f"2D-Doc: {len(data)} bytes is far more than a DataMatrix holds")
    # C40 and text modes give ASCII; Latin-1 maps every byte to one character, so
    # character offsets are byte offsets and the signed bytes are the code's own.
    text = data.decode("latin-1")
    header = _header(text)
    body = text[header.length :]
    if US not in body:
        raise DdocError("2D-Doc: no signature (the US separator before it is missing)")
    message, _, tail = body.partition(US)
    signature, annex = _signature(tail)
    if header.effective_perimeter == KNOWN_PERIMETER:
        fields, unparsed = _fields(message)
    else:
        fields, unparsed = (), message  # no table for this perimeter: shown raw
    return Ddoc(
        header=header,
        fields=fields,
        unparsed=unparsed,
        signed_data=data[: header.length + len(message)],
        signature=signature,
        annex=annex,
    )


def _header(text: str) -> Header:
    if not text.startswith("DC"):
        raise DdocError("2D-Doc: does not begin with DC")
    version = text[2:4]
    length = HEADER_LENGTHS.get(version)
    if length is None:
        raise DdocError(f"2D-Doc: unsupported header version {version!r} (known: 01 to 04)")
    if len(text) < length:
        raise DdocError(f"2D-Doc: the version {version} header needs {length} characters, the code has {len(text)}")
    ca_id, cert_id = text[4:8], text[8:12]
    if not _ALNUM4.fullmatch(ca_id) or not _ALNUM4.fullmatch(cert_id):
        raise DdocError("2D-Doc: the certification authority and certificate ids must be 4 letters or digits")
    emitted = _header_date(text[12:16], "emission date")
    signed = _header_date(text[16:20], "signature date")
    doc_type = text[20:22]
    if not _ALNUM2.fullmatch(doc_type):
        raise DdocError(f"2D-Doc: document type {doc_type!r} is not 2 letters or digits")
    perimeter = text[22:24] if length >= 24 else None
    if perimeter is not None and not perimeter.isdigit():
        raise DdocError(f"2D-Doc: perimeter {perimeter!r} is not 2 digits")
    country = text[24:26] if length >= 26 else None
    if country is not None and not re.fullmatch(r"[A-Z]{2}", country):
        raise DdocError(f"2D-Doc: country {country!r} is not 2 letters")
    return Header(version, ca_id, cert_id, emitted, signed, doc_type, perimeter, country, length)


def _header_date(text: str, what: str) -> date | None:
    if text == UNKNOWN_DATE:
        return None
    if not _HEX4.fullmatch(text):
        raise DdocError(f"2D-Doc: the {what} {text!r} is not 4 hexadecimal digits")
    return EPOCH + timedelta(days=int(text, 16))


def _signature(tail: str) -> tuple[bytes, str]:
    # The annex, if any, follows the signature after a separator (GS or RS); a
    # scanner's trailing CR/LF is not part of the code.
    cut = min((i for i in (tail.find(GS), tail.find(RS)) if i >= 0), default=len(tail))
    text, annex = tail[:cut], tail[cut + 1 :]
    if cut == len(tail):
        text = text.rstrip("\r\n")
    if not _B32.fullmatch(text):
        raise DdocError("2D-Doc: the signature is not Base32 (A-Z, 2-7)")
    size = SIGNATURE_SIZES.get(len(text))
    if size is None:
        raise DdocError(
            f"2D-Doc: a signature of {len(text)} Base32 characters fits no allowed curve"
            " (103 for P-256, 154 for P-384, 212 for P-521)"
        )
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except binascii.Error:
        raise DdocError("2D-Doc: the signature is not valid Base32") from None
    # Only the canonical encoding (unused low bits zero) is accepted: one signature, one text.
    if len(raw) != size or base64.b32encode(raw).decode().rstrip("=") != text:
        raise DdocError("2D-Doc: the signature's Base32 is not canonical")
    return raw, annex


def _fields(message: str) -> tuple[tuple[Field, ...], str]:
    fields: list[Field] = []
    pos = 0
    while pos < len(message):
        fid = message[pos : pos + 2]
        definition = FIELDS.get(fid)
        if definition is None:
            # Its length is unknown, so nothing after it can be cut into fields.
            return tuple(fields), message[pos:]
        start = pos + 2
        truncated = False
        if definition.fixed is not None:
            end = start + definition.fixed
            raw = message[start:end]
            if len(raw) < definition.fixed or GS in raw or RS in raw:
                raise DdocError(f"2D-Doc: field {fid} needs exactly {definition.fixed} characters")
            pos = end + 1 if message[end : end + 1] == GS else end  # a GS after a fixed field is tolerated
        else:
            limit = len(message) if definition.max is None else min(len(message), start + definition.max)
            end = start
            while end < limit and message[end] not in (GS, RS):
                end += 1
            raw = message[start:end]
            truncated = message[end : end + 1] == RS
            pos = end + 1 if message[end : end + 1] in (GS, RS) else end
        value, invalid = _read(definition, raw)
        fields.append(Field(fid, raw, value, definition, truncated, invalid))
    return tuple(fields), ""


def _read(definition: FieldDef, raw: str) -> tuple[Any, bool]:
    """The value of a field's characters, by its kind; (raw, True) when they do not read."""
    try:
        return _READERS.get(definition.kind, _as_is)(raw), False
    except (ValueError, binascii.Error):
        return raw, True


def _as_is(raw: str) -> str:
    return raw


def _date8(raw: str) -> str:
    if not re.fullmatch(r"\d{8}", raw):
        raise ValueError(raw)
    return date(int(raw[4:8]), int(raw[2:4]), int(raw[:2])).isoformat()


def _dt12(raw: str) -> str:
    if not re.fullmatch(r"\d{12}", raw):
        raise ValueError(raw)
    moment = datetime(int(raw[4:8]), int(raw[2:4]), int(raw[:2]), int(raw[8:10]), int(raw[10:12]))
    return moment.isoformat()


def _date4(raw: str) -> str | None:
    if raw == UNKNOWN_DATE:
        return None
    if not _HEX4.fullmatch(raw):
        raise ValueError(raw)
    return (EPOCH + timedelta(days=int(raw, 16))).isoformat()


def _clock(raw: str, parts: int) -> str:
    if not re.fullmatch(rf"\d{{{2 * parts}}}", raw):
        raise ValueError(raw)
    values = [int(raw[i : i + 2]) for i in range(0, 2 * parts, 2)]
    if values[0] > 23 or any(v > 59 for v in values[1:]):
        raise ValueError(raw)
    return ":".join(raw[i : i + 2] for i in range(0, 2 * parts, 2))


def _decimal(raw: str) -> str:
    # An amount: leading zeros are padding ("0157,5" is 157,5); one is kept before the separator.
    sign, digits = (raw[:1], raw[1:]) if raw[:1] in ("+", "-") else ("", raw)
    return sign + re.sub(r"^0+(?=\d)", "", digits)


def _bool(raw: str) -> bool:
    if raw not in ("0", "1"):
        raise ValueError(raw)
    return raw == "1"


def _base32_text(raw: str) -> str:
    return base64.b32decode(raw + "=" * (-len(raw) % 8)).decode("utf-8")


def _number(base: int, digits: str) -> Any:
    shape = re.compile(f"[{digits}]+")

    def read(raw: str) -> str:
        if not shape.fullmatch(raw):  # int() alone would take "1_0" and " 1"
            raise ValueError(raw)
        return str(int(raw, base))

    return read


_READERS: dict[str, Any] = {
    "date4": _date4,
    "date8": _date8,
    "dt12": _dt12,
    "time6": lambda raw: _clock(raw, 3),
    "hhmm": lambda raw: _clock(raw, 2),
    "hex": _number(16, "0-9A-F"),
    "b36": _number(36, "0-9A-Z"),
    "bool": _bool,
    "b32": _base32_text,
    "dec": _decimal,
}
