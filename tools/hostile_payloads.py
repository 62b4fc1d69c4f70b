#!/usr/bin/env python3
"""Hostile payloads for every seal format, built at run time, each measured.

    python3 dev.py python tools/hostile_payloads.py            # library: verdict, time, peak memory
    python3 dev.py python tools/hostile_payloads.py --cli      # also through the CLI (--text, and stdin)
    python3 dev.py python tools/hostile_payloads.py -k shc     # only payloads whose name holds "shc"

Not a test: a measuring tool for crafted worst cases (decompression bombs at the
size limits, nesting at and past the depth limits, huge numbers, many keys,
duplicate keys, DER abuse, Unicode edge cases, multi-chunk abuse, odd C40
lengths). Each payload goes through ``Verifier().verify_payload`` (several
chunks: ``verify_codes``) under ``tracemalloc``; the line says the verdict,
the wall time (time.monotonic) and the peak traced memory. A traceback, more
than 0.5 s, more than 50 MB, or a "genuine" on a payload no trusted key signed
is flagged with "!!". Throw-away keys are made at run time; none is written.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import time
import tracemalloc
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))  # the spec-side seal builders (specseal, shcseal)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SLOW_S = 0.5
BIG_MB = 50.0

Payload = str | bytes | list[bytes]


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], Payload]
    expect: str = "not genuine"
    """What the verdict must be: "not genuine" (the default), or one status value."""


# ---------------------------------------------------------------- small builders
def b45(data: bytes) -> str:
    from scanverify._codec import b45encode

    return b45encode(data)


def cbor(value: Any) -> bytes:
    import cbor2

    return cbor2.dumps(value)


def _cose(claims_bytes: bytes, protected: dict[int, Any] | None = None, sign_with: Any = None) -> bytes:
    """A tagged COSE_Sign1 over ``claims_bytes`` (a junk signature unless an issuer is given)."""
    import cbor2
    from specseal import raw_sign

    protected_bytes = cbor(protected if protected is not None else {1: -7, 4: b"\x01" * 8})
    to_sign = cbor(["Signature1", protected_bytes, b"", claims_bytes])
    signature = raw_sign("ES256", sign_with.private_key, to_sign) if sign_with is not None else b"\x00" * 64
    return cbor2.dumps(cbor2.CBORTag(18, [protected_bytes, {}, claims_bytes, signature]))


def _fit_b45(prefix: str, raw: bytes, limit: int = 8192) -> str:
    text = prefix + b45(raw)
    return text if len(text) <= limit else text[:limit]


def zlib_bomb(prefix: str, chars: int = 8192) -> str:
    """The most bytes of zeros whose zlib stream, in Base45, still fits ``chars`` characters."""
    size = 1 << 20
    while True:
        packed = zlib.compress(b"\0" * size, 9)
        if len(prefix) + len(packed) * 3 // 2 + 2 > chars:
            break
        size *= 2
    size //= 2
    return prefix + b45(zlib.compress(b"\0" * size, 9))


def nested_cbor(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def cs1_claims(rec: dict[str, Any] | None = None, extra: dict[Any, Any] | None = None) -> dict[Any, Any]:
    from specseal import record

    claims: dict[Any, Any] = {1: "CN", 6: 1_790_000_000, -65537: rec if rec is not None else record()}
    claims.update(extra or {})
    return claims


def cs1(claims: dict[Any, Any] | bytes, sign_with: Any = None, protected: dict[int, Any] | None = None) -> str:
    body = claims if isinstance(claims, bytes) else cbor(claims)
    if sign_with is not None and protected is None:
        protected = {1: -7, 4: sign_with.kid}
    return "CS1:" + b45(zlib.compress(_cose(body, protected, sign_with), 9))


def hc1(claims: dict[Any, Any] | bytes) -> str:
    body = claims if isinstance(claims, bytes) else cbor(claims)
    return "HC1:" + b45(zlib.compress(_cose(body), 9))


def hc1_claims(hcert: Any) -> dict[Any, Any]:
    return {1: "DE", 6: 1_790_000_000, 4: 1_890_000_000, -260: {1: hcert}}


def dcc(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "ver": "1.3.0",
        "nam": {"fn": "Muster", "fnt": "MUSTER", "gn": "Erika", "gnt": "ERIKA"},
        "dob": "1964-08-12",
        "v": [
            {
                "tg": "840539006",
                "vp": "1119349007",
                "mp": "EU/1/20/1528",
                "ma": "ORG-100030215",
                "dn": 2,
                "sd": 2,
                "dt": "2021-05-29",
                "co": "DE",
                "is": "Robert Koch-Institut",
                "ci": "URN:UVCI:01DE/IZ12345A/5CWLU12RNOB9RXSEOP6FG8#W",
            }
        ],
    }
    doc.update(overrides)
    return doc


# ---------------------------------------------------------------- SHC
def shc_text(jws: str) -> bytes:
    from scanverify.formats.shc import numeric_encode

    return ("shc:/" + numeric_encode(jws)).encode()


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def deflate_raw(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


def shc_jws(payload: bytes, *, deflate: bool = True, header: dict[str, Any] | None = None) -> str:
    head = header if header is not None else {"zip": "DEF", "alg": "ES256", "kid": "k" * 43}
    body = deflate_raw(payload) if deflate else payload
    return b64u(json.dumps(head, separators=(",", ":")).encode()) + "." + b64u(body) + "." + b64u(b"\x01" * 64)


def shc_payload_json(extra: str = "") -> bytes:
    from shcseal import card_payload

    text = json.dumps(card_payload(), separators=(",", ":"))
    return (text[:-1] + extra + "}").encode() if extra else text.encode()


def deep_json(depth: int, inner: str = "0") -> str:
    return "[" * depth + inner + "]" * depth


def many_objects_json(size: int) -> bytes:
    """A JSON object of about ``size`` bytes made of small objects (the object hook runs per object)."""
    item = '{"a":1},'
    count = (size - 40) // len(item)
    return ('{"iss":1,"x":[' + item * count + '{"a":1}]}').encode()


def shc_combination_chunks(variants: int, payload: bytes) -> list[bytes]:
    """2 chunks per card, ``variants`` different first and second chunks: variants**2 pairings to try.

    Every pairing joins into a JWS with a valid header and a 64-byte signature, so each
    one inflates and parses the whole payload (which then fails on a late rule).
    """
    from scanverify.formats.shc import numeric_encode

    body = b64u(deflate_raw(payload))
    first, second = [], []
    for i in range(variants):
        head = b64u(json.dumps({"zip": "DEF", "alg": "ES256", "kid": f"k{i:03d}" + "k" * 40}).encode())
        first.append(numeric_encode(head + "." + body[: len(body) // 2]))
        second.append(numeric_encode(body[len(body) // 2 :] + "." + b64u(bytes([i]) * 64)))
    # numeric_encode works per character: each part is a whole number of digit pairs
    return [f"shc:/1/2/{d}".encode() for d in first] + [f"shc:/2/2/{d}".encode() for d in second]


# ---------------------------------------------------------------- VDS / VDS-NC / 2D-Doc
def vds_header() -> bytes:
    from datetime import date

    from scanverify.formats._c40 import encode_c40

    def day(d: date) -> bytes:
        return int(d.strftime("%m%d%Y")).to_bytes(3, "big")

    return (
        b"\xdc\x03"
        + encode_c40("UTO")
        + encode_c40("UTTS02")
        + encode_c40("5B")
        + day(date(2024, 1, 1))
        + day(date(2024, 5, 1))
        + b"\xfb\x06"
    )


def vds_many_messages(count: int) -> bytes:
    body = vds_header() + b"\x03\x00" * count
    return body + b"\xff\x40" + b"\x01" * 64


def vds_odd_c40(length: int) -> bytes:
    """A message whose C40 value has an odd byte count (C40 comes in pairs), at the end."""
    body = vds_header() + b"\x02" + bytes([min(length, 127)]) + b"\x61" * min(length, 127)
    return body + b"\xff\x40" + b"\x01" * 64


def vds_huge_length() -> bytes:
    # A DER length of 2**63 announced for one message: nothing may be reserved for it.
    return vds_header() + b"\x02\x88" + (2**63).to_bytes(8, "big") + b"\x00" * 16


def der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def der(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + der_len(len(content)) + content


def der_deep(depth: int) -> bytes:
    value = b"\x05\x00"
    for _ in range(depth):
        value = der(0x30, value)
    return value


def der_many_items(count: int) -> bytes:
    return der(0x30, b"\x05\x00" * count)


def real_certificate(extensions: int = 0) -> bytes:
    """A self-signed P-256 certificate with ``extensions`` extra (unknown, non-critical) extensions."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "AU"), x509.NameAttribute(NameOID.COMMON_NAME, "x")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(dt.datetime(2024, 1, 1))
        .not_valid_after(dt.datetime(2030, 1, 1))
    )
    for i in range(extensions):
        oid = x509.ObjectIdentifier(f"1.3.6.1.4.1.99999.{i}")
        builder = builder.add_extension(x509.UnrecognizedExtension(oid, b"\x05\x00"), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def vdsnc(cer: bytes, msg: Any = None, extra: str = "") -> bytes:
    document = {
        "data": {
            "hdr": {"t": "icao.vacc", "v": 1, "is": "AUS"},
            "msg": msg if msg is not None else {"uvci": "U1", "pid": {"n": "SMITH JOE"}},
        },
        "sig": {"alg": "ES256", "cer": b64u(cer), "sigvl": b64u(b"\x01" * 64)},
    }
    text = json.dumps(document, separators=(",", ":"))
    return (text[:-1] + extra + "}").encode() if extra else text.encode()


def vdsnc_raw_msg(msg_json: str) -> bytes:
    head = '{"data":{"hdr":{"t":"icao.vacc","v":1,"is":"AUS"},"msg":'
    return (head + msg_json + '},"sig":{"alg":"ES256","cer":"AAAA","sigvl":"AAAA"}}').encode()


DDOC_HEADER = "DC04FR000001125E125B0101FR"
US, GS, RS = "\x1f", "\x1d", "\x1e"
DDOC_SIG = "A" * 103


def ddoc(message: str, tail: str = DDOC_SIG) -> bytes:
    return (DDOC_HEADER + message + US + tail).encode("latin-1")


# ---------------------------------------------------------------- the cases
def cases() -> list[Case]:
    from specseal import record

    c: list[Case] = []
    add = c.append
    # --- CS1 / HC1: Base45 + zlib + COSE
    add(Case("cs1 zlib bomb at 8192 chars", lambda: zlib_bomb("CS1:")))
    add(Case("hc1 zlib bomb at 8192 chars", lambda: zlib_bomb("HC1:")))
    add(Case("cs1 8192 chars of Base45 (max length)", lambda: "CS1:" + "0" * (8190 - 8190 % 3)))
    add(Case("cs1 8193 chars (one past)", lambda: "CS1:" + "0" * 8189))
    add(Case("cs1 4 MB of text (--text / serve)", lambda: "CS1:" + "A" * 4_000_000))
    add(Case("cs1 Base45 odd length (3n+1)", lambda: "CS1:" + "0" * 7000))
    add(Case("cs1 CBOR nested 15 in record", lambda: cs1(cs1_claims(record(x=nested_cbor(12))))))
    add(Case("cs1 CBOR nested 17 in record", lambda: cs1(cs1_claims(record(x=nested_cbor(14))))))
    add(Case("cs1 CBOR nested 5000 (raw)", lambda: cs1(b"\x81" * 5000 + b"\x00")))
    add(Case("cs1 CBOR indefinite nest 5000", lambda: cs1(b"\x9f" * 5000)))
    add(Case("cs1 CBOR bignum tag 2, 60 KB", lambda: cs1(cs1_claims(record(x=_bignum(60_000))))))
    add(Case("cs1 CBOR bignum as iat", lambda: cs1(_claims_with_bignum_iat())))
    add(Case("cs1 CBOR 1500 record keys (fits 8192)", lambda: cs1(cs1_claims(record(**{f"k{i}": i for i in range(1500)})))))
    add(Case("cs1 CBOR 2000 int keys in claims", lambda: cs1(cs1_claims(extra={i + 100: 0 for i in range(2000)}))))
    add(Case("cs1 CBOR duplicate iss (1 and 1.0)", lambda: cs1(_dup_iss())))
    add(Case("cs1 CBOR array 60000 items in record", lambda: cs1(cs1_claims(record(x=[0] * 60000)))))
    add(Case("cs1 CBOR array count 2^64-1 (lie)", lambda: cs1(b"\x9b" + b"\xff" * 8)))
    add(Case("cs1 CBOR bstr length 2^63 (lie)", lambda: cs1(b"\x5b\x80" + b"\0" * 7)))
    add(Case("cs1 CBOR 10000 tags deep", lambda: cs1(b"\xc6" * 10000 + b"\x00")))
    add(Case("cs1 CBOR float NaN/inf keys", lambda: cs1(b"\xa1\xf9\x7e\x00\x00")))
    add(Case("cs1 CBOR text with surrogate bytes", lambda: cs1(b"\x63\xed\xa0\x80")))
    add(Case("cs1 iat 2^64-1", lambda: cs1(cs1_claims(extra={6: 2**64 - 1}))))
    add(Case("cs1 iat -2^64", lambda: cs1(cs1_claims(extra={6: -(2**64)}))))
    add(Case("cs1 exp as -2^64", lambda: cs1(cs1_claims(extra={4: -(2**64)}))))
    add(Case("cs1 unicode bidi/NUL/combining in fields", lambda: cs1(cs1_claims(record(au="\u202eLIAM\x00" + "e\u0301" * 90)))))
    add(Case("cs1 date of act 10**200 digits", lambda: cs1(cs1_claims(record(dt="9" * 200)))))
    add(Case("cs1 200 unknown record keys", lambda: cs1(cs1_claims(record(**{f"u{i}": "x" for i in range(200)})))))
    add(Case("hc1 dcc with 3000 vaccinations", lambda: hc1(hc1_claims(dcc(v=dcc()["v"] * 3000)))))
    add(Case("hc1 dcc nested 15 deep", lambda: hc1(hc1_claims(dcc(x=nested_cbor(11))))))
    add(Case("hc1 dcc bidi/NUL names", lambda: hc1(hc1_claims(dcc(nam={"fn": "\u202e\x00" * 90, "gn": "\u0301" * 150})))))
    add(Case("hc1 dcc 1500 map keys", lambda: hc1(hc1_claims(dcc(**{f"k{i}": i for i in range(1500)})))))
    add(Case("hc1 bignum dn (tag 2, 30 KB)", lambda: hc1(hc1_claims(dcc(v=[{**dcc()["v"][0], "dn": _bignum(30_000)}])))))
    add(Case("hc1 float dob 1e308 / inf", lambda: hc1(hc1_claims(dcc(dob=float("inf"))))))
    add(Case("hc1 uncompressed COSE at 8192", lambda: _fit_b45("HC1:", _cose(cbor(hc1_claims(dcc(x="a" * 5300)))))))
    # --- SHC
    add(Case("shc 20000 digits of 00 (max)", lambda: b"shc:/" + b"00" * 10000))
    add(Case("shc 20011 digits (one past)", lambda: b"shc:/" + b"0" * 20011))
    add(Case("shc 4 MB of digits", lambda: b"shc:/" + b"0" * 4_000_000))
    add(Case("shc odd digit count", lambda: b"shc:/" + b"0" * 19999))
    add(Case("shc DEFLATE bomb (zeros)", lambda: shc_text(shc_jws(b"\0" * 6_000_000))))
    add(Case("shc DEFLATE bomb of JSON at 64 KB", lambda: shc_text(shc_jws(many_objects_json(65_000)))))
    add(Case("shc JSON nested 100000 deep", lambda: shc_text(shc_jws(deep_json(60_000).encode()))))
    add(Case("shc JSON nested 900 deep", lambda: shc_text(shc_jws(shc_payload_json(',"x":' + deep_json(900))))))
    add(Case("shc JSON int of 60000 digits", lambda: shc_text(shc_jws(b'{"nbf":' + b"9" * 60000 + b"}"))))
    add(Case("shc JSON int of 4300 digits", lambda: shc_text(shc_jws(b'{"nbf":' + b"9" * 4300 + b"}"))))
    add(Case("shc JSON float of 60000 digits", lambda: shc_text(shc_jws(shc_payload_json(',"exp":1.' + "9" * 60000)))))
    add(Case("shc JSON exp 1e999999 (inf)", lambda: shc_text(shc_jws(shc_payload_json(',"exp":1e999999')))))
    add(Case("shc JSON nbf -1e999999", lambda: shc_text(shc_jws(_shc_with(nbf="-1e999999")))))
    add(Case("shc JSON NaN nbf", lambda: shc_text(shc_jws(_shc_with(nbf="NaN")))))
    add(Case("shc JSON 2000 keys", lambda: shc_text(shc_jws(shc_payload_json("," + ",".join(f'"k{i}":0' for i in range(2000)))))))
    add(Case("shc JSON duplicate iss", lambda: shc_text(shc_jws(shc_payload_json(',"iss":"https://evil.example"')))))
    add(Case("shc JSON lone surrogate \\ud800", lambda: shc_text(shc_jws(shc_payload_json(',"x":"\\ud800"')))))
    add(Case("shc JSON 5000 Patient entries", lambda: shc_text(shc_jws(_shc_many_patients(5000)))))
    add(Case("shc header JSON 3000 nested", lambda: shc_text(b64u(deep_json(3000).encode()) + ".AA." + b64u(b"\0" * 64))))
    add(Case("shc 5000 chunks of 5000", lambda: [f"shc:/{i}/5000/00".encode() for i in range(1, 5001)]))
    add(Case("shc 3000 chunks, totals 2..20", lambda: [f"shc:/1/{2 + i % 19}/{i:04d}".encode() for i in range(3000)]))
    add(Case("shc chunk index 10**4000", lambda: [b"shc:/" + b"1" * 4000 + b"/2/00", b"shc:/2/2/00"]))
    add(Case("shc chunk 1/1 inconsistent", lambda: b"shc:/1/1/" + b"00" * 50))
    add(Case("shc 16x16 chunk pairings of 64 KB JSON", lambda: shc_combination_chunks(16, many_objects_json(65_000))))
    add(Case("shc 16x16 chunk pairings of deep JSON", lambda: shc_combination_chunks(16, deep_json(900).encode())))
    # --- VDS (binary, C40)
    add(Case("vds 4000 empty messages", lambda: vds_many_messages(4000)))
    add(Case("vds odd C40 length", lambda: vds_odd_c40(5)))
    add(Case("vds DER length 2^63", vds_huge_length))
    add(Case("vds C40 message 8000 bytes", lambda: vds_header() + b"\x02\x82\x1f\x40" + b"\x61\x61" * 4000 + b"\xff\x40" + b"\x01" * 64))
    add(Case("vds 8192 bytes of 0xdc", lambda: b"\xdc" * 8192))
    add(Case("vds 4 MB", lambda: b"\xdc" + b"\0" * 4_000_000))
    # --- VDS-NC (JSON + X.509 inside)
    add(Case("vdsnc DER nested 3000 deep as cer", lambda: vdsnc(der_deep(3000))))
    add(Case("vdsnc DER SEQUENCE of 5000 NULLs", lambda: vdsnc(der_many_items(5000))))
    add(Case("vdsnc DER length 2^64", lambda: vdsnc(b"\x30\x89\x01" + b"\0" * 8 + b"\0" * 20)))
    add(Case("vdsnc cert with 300 extensions", lambda: vdsnc(real_certificate(300))))
    add(Case("vdsnc JSON nested 8000 deep", lambda: vdsnc_raw_msg(deep_json(7000))))
    add(Case("vdsnc JSON nested 17 (past 16)", lambda: vdsnc_raw_msg(deep_json(14))))
    add(Case("vdsnc JSON int of 10000 digits", lambda: vdsnc_raw_msg('{"x":' + "9" * 10000 + "}")))
    add(Case("vdsnc JSON float 1e400 (inf)", lambda: vdsnc_raw_msg('{"x":1e400}')))
    add(Case("vdsnc JSON 2000 keys", lambda: vdsnc_raw_msg("{" + ",".join(f'"k{i}":{i}' for i in range(2000)) + "}")))
    add(Case("vdsnc JSON duplicate msg", lambda: vdsnc(real_certificate(), extra=',"x":1')))
    add(Case("vdsnc lone surrogate in msg", lambda: vdsnc_raw_msg('{"x":"\\udc00"}')))
    add(Case("vdsnc 17 KB (past 16 KB)", lambda: vdsnc_raw_msg('{"x":"' + "a" * 17000 + '"}')))
    add(Case("vdsnc 4 MB JSON", lambda: vdsnc_raw_msg('{"x":"' + "a" * 4_000_000 + '"}')))
    # --- 2D-Doc
    add(Case("ddoc 8192 chars of one field", lambda: ddoc("10" + "A" * 8000)))
    add(Case("ddoc 4000 GS-separated fields", lambda: ddoc(("10A" + GS) * 2000)))
    add(Case("ddoc 8192 without US", lambda: (DDOC_HEADER + "A" * 8000).encode()))
    add(Case("ddoc bad dates in every date field", lambda: ddoc("16" + "99999999" + "24" + "Z" * 5)))
    add(Case("ddoc header date FFFE hex", lambda: ("DC04FR000001FFFEFFFE0101FR10A" + US + DDOC_SIG).encode()))
    add(Case("ddoc NUL/bidi/Latin-1 in fields", lambda: ddoc("10" + "\x00\x85\xad\xe9" * 10 + GS)))
    add(Case("ddoc field 0C: 8000 Base32 chars", lambda: ddoc("0C" + "MFRGG" * 1600)))
    add(Case("ddoc field 0C: Base32 of bad UTF-8", lambda: ddoc("0C" + "74" * 3000)))
    add(Case("ddoc 1000 date fields 16", lambda: ddoc("1631129999" * 800)))
    add(Case("ddoc 4 MB", lambda: ddoc("10" + "A" * 4_000_000)))
    add(Case("ddoc signature 8000 Base32", lambda: ddoc("10A", "A" * 8000)))
    add(Case("ddoc fields then 8000 RS", lambda: ddoc("10A" + RS * 8000)))
    add(Case("ddoc annex 8000 chars", lambda: ddoc("10A", DDOC_SIG + GS + "\x85\x00" * 10 + "x" * 7900)))
    # --- other
    add(Case("not a seal, 4 MB of NUL", lambda: b"\0" * 4_000_000))
    add(Case("not a seal, JSON 100000 deep", lambda: deep_json(100_000, "{}").encode()))
    add(Case("vdsnc-shaped {data:{hdr}}, 4 MB", lambda: ('{"data":{"hdr":1},"x":"' + "a" * 4_000_000 + '"}').encode()))
    return c


def _bignum(size: int) -> Any:
    import cbor2

    return cbor2.CBORTag(2, b"\xff" * size)


def _claims_with_bignum_iat() -> bytes:
    import cbor2

    return cbor2.dumps(cs1_claims(extra={6: cbor2.CBORTag(2, b"\x01" * 200)}))


def _dup_iss() -> bytes:
    # {1: "CN", 6: iat, -65537: record, 1.0: "FR"} written by hand (a dict cannot hold both)
    import cbor2
    from specseal import record

    items = [(1, "CN"), (6, 1_790_000_000), (-65537, record())]
    body = b"".join(cbor2.dumps(k) + cbor2.dumps(v) for k, v in items)
    return bytes([0xA4]) + body + b"\xf9\x3c\x00" + cbor2.dumps("FR")


def _shc_with(**raw: str) -> bytes:
    text = shc_payload_json().decode()
    for key, value in raw.items():
        text = text.replace(f'"{key}":1700000000.5', f'"{key}":{value}')
    return text.encode()


def _shc_many_patients(count: int) -> bytes:
    from shcseal import card_payload

    payload = card_payload()
    entries = payload["vc"]["credentialSubject"]["fhirBundle"]["entry"]
    patient = entries[0]
    entries.extend([patient] * count)
    return json.dumps(payload, separators=(",", ":")).encode()


# ---------------------------------------------------------------- measuring
@dataclass(frozen=True)
class Row:
    name: str
    size: int
    verdict: str
    seconds: float
    peak_mb: float
    flag: str


def _size(payload: Payload) -> int:
    if isinstance(payload, list):
        return sum(len(p) for p in payload)
    return len(payload)


def _run(payload: Payload, verifier: Any, case: Case) -> tuple[str, str]:
    """The verdict (or the traceback) on one payload, and a flag when it is wrong."""
    from scanverify.decode import DecodedCode

    flag = ""
    try:
        if isinstance(payload, list):
            codes = [DecodedCode(p, "QRCode", ((0, 0),), "test") for p in payload]
            results = verifier.verify_codes(codes, source="<hostile>")
            verdict = ", ".join(sorted({f"{r.status.value}" for r in results})) + f" ({len(results)} results)"
            statuses = {r.status.value for r in results}
            first_reason = results[0].reason if results else ""
        else:
            result = verifier.verify_payload(payload)
            statuses = {result.status.value}
            verdict = result.status.value
            first_reason = result.reason
        verdict += ": " + first_reason[:90]
        if case.expect == "not genuine" and "genuine" in statuses:
            flag = "!! genuine"
        elif case.expect != "not genuine" and statuses != {case.expect}:
            flag = f"!! not {case.expect}"
    except Exception as exc:
        import traceback

        verdict = f"TRACEBACK {type(exc).__name__}: {str(exc)[:80]}"
        flag = "!! crash"
        traceback.print_exc(limit=3)
    return verdict, flag


def measure(case: Case, verifier: Any) -> Row:
    try:
        payload = case.build()
    except Exception as exc:  # a builder's own failure is the tool's bug, said as such
        return Row(case.name, 0, f"BUILD FAILED {type(exc).__name__}: {exc}", 0.0, 0.0, "??")
    # Timed without tracemalloc (it slows allocation-heavy code several times), then run
    # again under it for the peak: the same payload, so both runs do the same work.
    start = time.monotonic()
    verdict, flag = _run(payload, verifier, case)
    seconds = time.monotonic() - start
    tracemalloc.start()
    _run(payload, verifier, case)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_mb = peak / 1e6
    if seconds > SLOW_S:
        flag += " !! slow"
    if peak_mb > BIG_MB:
        flag += " !! memory"
    return Row(case.name, _size(payload), verdict, seconds, peak_mb, flag.strip())


def cli_run(case: Case) -> str:
    """The CLI's answer, by --text when the payload fits an argument, always by --text - (stdin)."""
    payload = case.build()
    if isinstance(payload, list):
        return "(several codes: library only)"
    data = payload.encode() if isinstance(payload, str) else payload
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    said = []
    ways: list[tuple[str, list[str], bytes | None]] = [("stdin", ["--text", "-"], data)]
    if len(data) < 100_000 and b"\0" not in data:
        try:
            ways.insert(0, ("argv", ["--text", data.decode("utf-8", "surrogateescape")], None))
        except UnicodeDecodeError:
            pass
    for way, args, stdin in ways:
        start = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "scanverify", "--json", *args],
            input=stdin,
            capture_output=True,
            env=env,
            timeout=60,
            check=False,
        )
        took = time.monotonic() - start
        err = done.stderr.decode("utf-8", "replace")
        status = "?"
        try:
            status = json.loads(done.stdout.splitlines()[0])["status"]
        except Exception:
            status = err.strip().splitlines()[-1][:80] if err.strip() else f"rc {done.returncode}, no output"
        bad = " !! traceback" if "Traceback" in err else ""
        said.append(f"{way}: rc {done.returncode} {status} {took:.2f}s{bad}")
    return "; ".join(said)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="only payloads whose name holds this text")
    parser.add_argument("--cli", action="store_true", help="also run each payload through the CLI (slow)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)

    from scanverify import TrustStore, Verifier

    verifier = Verifier(trust=TrustStore.default(), clock=lambda: NOW)
    # Each format's plug-in is imported when its first seal is met (0.1-0.3 s, once per
    # process): met here, so that no payload below is charged for it.
    for warm in ("CS1:", "HC1:", b"shc:/00", b"\xdc\x03", b'{"data":{"hdr":{}}}', b"DC04"):
        verifier.verify_payload(warm)
    chosen = [case for case in cases() if args.k.lower() in case.name.lower()]
    rows = []
    for case in chosen:
        row = measure(case, verifier)
        rows.append(row)
        if args.markdown:
            continue
        print(f"{row.name:44} {row.size:>9} B {row.seconds * 1000:8.1f} ms {row.peak_mb:7.2f} MB  {row.flag:10} {row.verdict}")
        if args.cli:
            print(f"{'':44} CLI {cli_run(case)}")
        sys.stdout.flush()
    if args.markdown:
        print("| payload | bytes | verdict | ms | peak MB |")
        print("|---|---:|---|---:|---:|")
        for row in rows:
            verdict = row.verdict.split(":")[0]
            print(f"| {row.name} | {row.size:,} | {verdict}{' ' + row.flag if row.flag else ''} | "
                  f"{row.seconds * 1000:.1f} | {row.peak_mb:.2f} |")
    flagged = [row for row in rows if row.flag]
    print(f"\n{len(rows)} payloads, {len(flagged)} flagged", file=sys.stderr)
    return 1 if flagged else 0


if __name__ == "__main__":
    raise SystemExit(main())
