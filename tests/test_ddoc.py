"""2D-Doc parsing rules on codes made at test time (throw-away keys), and bad input."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from scanverify.algorithms import ALGORITHMS
from scanverify.formats.ddoc_parse import GS, RS, US, DdocError, parse

HEADER4 = "DC04FR000001125E125B0101FR"  # v04, FR00/0001, 2012-11-15 / 2012-11-12, type 01, perimeter 01, FR


def sign(message: str, alg: str = "ES256", key: ec.EllipticCurvePrivateKey | None = None) -> str:
    """``message`` + US + its Base32 signature, as an issuer would print it."""
    algorithm = ALGORITHMS[alg]
    private = key or algorithm.generate()
    raw = algorithm.sign(private, message.encode("latin-1"))
    return message + US + base64.b32encode(raw).decode().rstrip("=")


def test_header_versions_and_unknown_dates() -> None:
    doc = parse(sign("DC02FR000001FFFF125E0330M TEST" + GS).encode())
    assert (doc.header.version, doc.header.length, doc.header.perimeter, doc.header.country) == ("02", 22, None, None)
    assert doc.header.emitted is None and doc.header.signed is not None and doc.header.signed.isoformat() == "2012-11-15"  # as the spec examples date 125E
    doc = parse(sign("DC03FR0000011234FFFF0101" + "10M TEST" + GS).encode())
    assert (doc.header.length, doc.header.perimeter, doc.header.signed) == (24, "01", None)


def test_signed_data_is_everything_before_us_and_verifies() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    text = sign(HEADER4 + "10MME/SPECIMEN/NATACHA" + GS + "2475000", key=key)
    doc = parse(text.encode())
    assert doc.signed_data == text.split(US)[0].encode()
    assert len(text.split(US)[1]) == 103 and len(doc.signature) == 64
    assert ALGORITHMS["ES256"].verify(key.public_key(), doc.signed_data, doc.signature)
    assert [(f.id, f.value) for f in doc.fields] == [("10", "MME/SPECIMEN/NATACHA"), ("24", "75000")]


def test_p384_signature_length_is_accepted() -> None:
    doc = parse(sign(HEADER4 + "2475000", "ES384").encode())
    assert len(doc.signature) == 96


def test_variable_field_at_its_maximum_needs_no_gs() -> None:
    # 26 (country) is fixed 2; 25 (town) is at most 32 characters: the 33rd starts the next field.
    town = "X" * 32
    doc = parse(sign(HEADER4 + "25" + town + "26FR").encode())
    assert [(f.id, f.raw) for f in doc.fields] == [("25", town), ("26", "FR")]


def test_rs_marks_a_truncated_value() -> None:
    doc = parse(sign(HEADER4 + "10MME/SPECIMEN/NATA" + RS + "2475000").encode())
    assert doc.fields[0].truncated and doc.fields[0].raw == "MME/SPECIMEN/NATA" and doc.fields[1].id == "24"


def test_unknown_field_id_stops_field_parsing_and_keeps_the_rest_raw() -> None:
    doc = parse(sign(HEADER4 + "2475000" + "ZZSOMETHING" + GS + "10NAME").encode())
    assert [f.id for f in doc.fields] == ["24"] and doc.unparsed == "ZZSOMETHING" + GS + "10NAME"


def test_other_perimeter_is_shown_raw() -> None:
    doc = parse(sign("DC03FR0000011234123401" + "02" + "2475000").encode())
    assert doc.fields == () and doc.unparsed == "2475000"


def test_unreadable_typed_value_is_kept_raw() -> None:
    doc = parse(sign(HEADER4 + "6931021999").encode())  # 31 February
    assert doc.fields[0].invalid and doc.fields[0].value == "31021999"


def test_annex_after_the_signature_is_kept_apart() -> None:
    text = sign(HEADER4 + "2475000") + GS + "ANNEX DATA"
    doc = parse(text.encode())
    assert doc.annex == "ANNEX DATA" and len(doc.signature) == 64


def test_scanner_line_end_is_not_part_of_the_signature() -> None:
    assert len(parse((sign(HEADER4 + "2475000") + "\r\n").encode()).signature) == 64


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("DC04FR000001125E125B0101FR2475000", "US separator"),
        ("DC05FR000001125E125B0101FR" + US + "A" * 103, "version"),
        ("DC04FR00", "header needs 26"),
        ("DC04FR000001XYZW125B0101FR" + US + "A" * 103, "emission date"),
        ("DC04fr000001125E125B0101FR" + US + "A" * 103, "4 letters or digits"),
        ("DC04FR000001125E125B0101FR2475000" + US + "A" * 102, "102 Base32"),
        ("DC04FR000001125E125B0101FR2475000" + US + "1" * 103, "not Base32"),
        ("DC04FR000001125E125B0101FR2475000" + US + "A" * 102 + "B", "not canonical"),
        ("DC04FR000001125E125B0101FR24750" + US + "A" * 103, "exactly 5"),
    ],
)
def test_broken_codes_are_errors_saying_what(text: str, why: str) -> None:
    with pytest.raises(DdocError, match=why):
        parse(text.encode())


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_after_dc_parse_or_raise_ddocerror(tail: bytes) -> None:
    try:
        parse(b"DC" + tail)
    except DdocError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_edit_of_a_real_code_parses_or_raises_ddocerror(data: st.DataObject) -> None:
    text = bytearray(sign(HEADER4 + "10MME/SPECIMEN" + GS + "2475000" + "6912071973" + "0C" + "NB2WS43T").encode())
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(text) - 1))
        text[position] = data.draw(st.sampled_from(b"\x1d\x1e\x1f0A9Z =\xff"))
    try:
        parse(bytes(text))
    except DdocError:
        pass
