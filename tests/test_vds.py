"""The ICAO VDS format: C40, the parser on hostile bytes, signatures on every VDS curve, facts."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st

from scanverify.formats import MalformedSeal
from scanverify.formats._c40 import C40Error, decode_c40, encode_c40
from scanverify.formats.vds import (
    VDS,
    certificate_hint,
    curve_order,
    features,
    parse_vds,
    signed_outside,
    verify_signature,
)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "icao-vds"
BASIC = " 0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _date(day: date) -> bytes:
    return int(day.strftime("%m%d%Y")).to_bytes(3, "big")


def header(signer: str = "UTTS", ref: str = "5B", doc: bytes = b"\xfb\x06", signed: date = date(2024, 5, 1)) -> bytes:
    """A version-4 header, written here from the format's description (not by the code under test)."""
    return (
        b"\xdc\x03"
        + encode_c40("UTO")
        + encode_c40(f"{signer}{len(ref):02X}")
        + encode_c40(ref)
        + _date(date(2024, 1, 1))
        + _date(signed)
        + doc
    )


RESIDENCE_MESSAGES = (
    b"\x02\x30" + encode_c40("ATD<<RESIDORCE<<ROLAND<<<<<<<<<<<<<<6525845096USA7008038M2201018<<<<<<06")
    + b"\x03\x06" + encode_c40("UFO001979")
)  # fmt: skip


def sign_seal(private: Any, body: bytes, digest: Any) -> bytes:
    size = (private.curve.key_size + 7) // 8
    r, s = decode_dss_signature(private.sign(body, ec.ECDSA(digest)))
    signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    return body + b"\xff" + _length(len(signature)) + signature


def _length(n: int) -> bytes:
    return bytes([n]) if n < 0x80 else b"\x81" + bytes([n])


# --- C40 ---------------------------------------------------------------------------------------------


@given(st.text(alphabet=BASIC, max_size=60))
def test_c40_round_trip(text: str) -> None:
    assert decode_c40(encode_c40(text)) == text


def test_c40_known_values() -> None:
    # ICAO 9303-13 worked values: "UTO" is d9c5; a lone character is 0xFE + ASCII + 1.
    assert decode_c40(bytes.fromhex("d9c5")) == "UTO"
    assert decode_c40(bytes.fromhex("fe45")) == "D"
    assert decode_c40(bytes.fromhex("6abc")) == "D  "


@pytest.mark.parametrize("raw", ["d9", "fa01", "0000", "fe45d9c5", "fe00", "0640d9c5"])
def test_c40_refuses_what_is_not_c40(raw: str) -> None:
    with pytest.raises(C40Error):
        decode_c40(bytes.fromhex(raw))


# --- the parser on hostile input --------------------------------------------------------------------------


def test_a_seal_without_signature_zone_is_malformed() -> None:
    with pytest.raises(MalformedSeal, match="signature zone"):
        parse_vds(header() + RESIDENCE_MESSAGES)


def test_bytes_after_the_signature_are_refused() -> None:
    body = header() + RESIDENCE_MESSAGES + b"\xff\x04abcd"
    parse_vds(body)
    with pytest.raises(MalformedSeal, match="follow the signature"):
        parse_vds(body + b"\x00")


def test_recognise_is_the_first_byte() -> None:
    assert VDS().recognise(b"\xdc\x03")
    assert not VDS().recognise(b"HC1:\xdc") and not VDS().recognise(b"")


@pytest.mark.parametrize("bad", [b"\xdc", b"\xdc\x07" + bytes(20), b"\xdc\x03" + bytes(30)])
def test_short_or_unknown_headers_are_malformed(bad: bytes) -> None:
    with pytest.raises(MalformedSeal):
        parse_vds(bad)


def test_an_impossible_date_is_malformed() -> None:
    raw = bytearray(header() + RESIDENCE_MESSAGES + b"\xff\x02ab")
    raw[10:13] = (13_01_2024).to_bytes(3, "big")  # month 13
    with pytest.raises(MalformedSeal, match="not a date"):
        parse_vds(bytes(raw))


@settings(max_examples=1500, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_after_0xdc_only_ever_raise_malformed(tail: bytes) -> None:
    try:
        seal = parse_vds(b"\xdc" + tail)
    except MalformedSeal:
        return
    # What parses is shown in full without raising either.
    features(seal)
    assert VDS().parse(b"\xdc" + tail).facts


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["\x02", "\x03"]), st.binary(max_size=200))
def test_random_messages_behind_a_valid_header_only_raise_malformed(version: str, tail: bytes) -> None:
    start = bytearray(header())
    start[1] = ord(version) if version == "\x03" else 0x03
    try:
        features(parse_vds(bytes(start) + tail))
    except MalformedSeal:
        pass


def _vectors() -> list[bytes]:
    import json

    if not SHARED.is_dir():
        return []
    data = json.loads((SHARED / "tsenger-vdstools" / "extracted" / "VDS_VECTORS.json").read_text())
    kurz = sorted((SHARED / "kurzdigital-vds-jvm" / "src" / "test" / "resources").glob("vds_sample_*"))
    return [bytes.fromhex(v["hex"]) for v in data["vds"].values()] + [p.read_bytes() for p in kurz]


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared ICAO VDS data is absent")
def test_every_truncation_of_every_vector_is_malformed() -> None:
    checked = 0
    for seal in _vectors():
        try:
            parse_vds(seal)
        except MalformedSeal:
            continue  # the vectors that must not parse
        for end in range(1, len(seal)):
            with pytest.raises(MalformedSeal):
                parse_vds(seal[:end])
            checked += 1
    assert checked > 5000


# --- signatures on every VDS curve --------------------------------------------------------------------------

CURVES = [
    (ec.SECP256R1(), hashes.SHA256()),
    (ec.SECP384R1(), hashes.SHA384()),
    (ec.SECP521R1(), hashes.SHA512()),
    (ec.BrainpoolP256R1(), hashes.SHA256()),
    (ec.BrainpoolP384R1(), hashes.SHA384()),
    (ec.BrainpoolP512R1(), hashes.SHA512()),
]


@pytest.mark.parametrize(("curve", "digest"), CURVES, ids=lambda c: getattr(c, "name", ""))
def test_signature_on_each_curve_with_its_hash(curve: ec.EllipticCurve, digest: hashes.HashAlgorithm) -> None:
    private = ec.generate_private_key(curve)
    seal = parse_vds(sign_seal(private, header() + RESIDENCE_MESSAGES, digest))
    public = private.public_key()
    assert verify_signature(public, seal.to_be_signed, seal.signature)
    assert not verify_signature(public, seal.to_be_signed + b"x", seal.signature)
    other = ec.generate_private_key(curve).public_key()
    assert not verify_signature(other, seal.to_be_signed, seal.signature)


def test_the_hash_follows_the_curve() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    seal = parse_vds(sign_seal(private, header() + RESIDENCE_MESSAGES, hashes.SHA384()))
    assert not verify_signature(private.public_key(), seal.to_be_signed, seal.signature)


def test_brainpool_p224r1_with_sha224() -> None:
    import ecdsa
    from ecdsa.util import sigencode_string

    private = ecdsa.SigningKey.generate(curve=ecdsa.curves.BRAINPOOLP224r1)  # throw-away test key
    body = header(signer="DETS", ref="32") + RESIDENCE_MESSAGES
    signature = private.sign(body, hashfunc=hashlib.sha224, sigencode=sigencode_string)
    seal = parse_vds(body + b"\xff" + bytes([len(signature)]) + signature)
    from scanverify.x509 import load_public_key

    public = load_public_key(private.get_verifying_key().to_der())
    assert len(seal.signature) == 56
    assert verify_signature(public, seal.to_be_signed, seal.signature)
    assert not verify_signature(public, seal.to_be_signed[:-1], seal.signature)
    wrong_hash = private.sign(body, hashfunc=hashlib.sha256, sigencode=sigencode_string)
    assert not verify_signature(public, body, wrong_hash)


@pytest.mark.parametrize("which", ["r0", "s0", "rn", "sn", "short", "long"])
def test_out_of_range_r_and_s_never_verify(which: str) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    seal = parse_vds(sign_seal(private, header() + RESIDENCE_MESSAGES, hashes.SHA256()))
    n = curve_order("secp256r1")
    assert n is not None
    r, s = seal.signature[:32], seal.signature[32:]
    forged = {
        "r0": bytes(32) + s,
        "s0": r + bytes(32),
        "rn": n.to_bytes(32, "big") + s,
        "sn": r + n.to_bytes(32, "big"),
        "short": seal.signature[:-1],
        "long": seal.signature + b"\x00",
    }[which]
    assert not verify_signature(private.public_key(), seal.to_be_signed, forged)


def test_a_key_of_another_kind_never_verifies() -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    assert not verify_signature(ed25519.Ed25519PrivateKey.generate().public_key(), b"x", bytes(64))
    assert not verify_signature(ec.generate_private_key(ec.SECP224R1()).public_key(), b"x", bytes(56))


# --- key hint, validity ----------------------------------------------------------------------------------


def test_key_hint_is_signer_and_serial() -> None:
    seal = parse_vds(header(signer="DETS", ref="00027"[-2:]) + RESIDENCE_MESSAGES + b"\xff\x02ab")
    assert seal.header.key_hint == ("DE", "TS", "27")
    v3 = bytearray(header(signer="DETS") + RESIDENCE_MESSAGES + b"\xff\x02ab")
    v3[1] = 0x02
    v3[4:8] = encode_c40("DETS00")
    v3[8:10] = encode_c40("027")
    assert parse_vds(bytes(v3)).header.key_hint == ("DE", "TS", "27")


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared ICAO VDS data is absent")
def test_a_certificate_is_named_like_the_seal_names_it() -> None:
    from scanverify.x509 import load_certificate

    der = (SHARED / "tsenger-vdstools" / "extracted" / "sealgen_DETS27.der").read_bytes()
    assert certificate_hint(load_certificate(der)) == ("DE", "TS", "27")
    # brainpoolP224r1, which `cryptography` cannot read at all
    der = (SHARED / "tsenger-vdstools" / "src" / "commonTest" / "resources" / "sealgen_DETS32.crt").read_bytes()
    assert certificate_hint(load_certificate(der)) == ("DE", "TS", "32")


def test_signing_date_against_certificate_validity() -> None:
    start, end = datetime(2020, 1, 10, 9, 30, tzinfo=UTC), datetime(2025, 1, 10, 9, 30, tzinfo=UTC)
    assert signed_outside(date(2020, 1, 9), start, end) == "before"
    assert signed_outside(date(2020, 1, 10), start, end) is None  # the first day counts, whatever the hour
    assert signed_outside(date(2025, 1, 10), start, end) is None
    assert signed_outside(date(2025, 1, 11), start, end) == "after"


# --- facts ---------------------------------------------------------------------------------------------------


def test_residence_permit_facts() -> None:
    seal = parse_vds(header() + RESIDENCE_MESSAGES + b"\xff\x02ab")
    doc_type, found = features(seal)
    assert doc_type == "RESIDENCE_PERMIT"
    values = {f.name: f.value for f in found}
    assert values["MRZ"] == ["ATD<<RESIDORCE<<ROLAND<<<<<<<<<<<<<<", "6525845096USA7008038M2201018<<<<<<06"]
    assert values["PASSPORT_NUMBER"] == "UFO001979"


def test_unknown_document_types_and_tags_are_shown_raw() -> None:
    seal = parse_vds(header(doc=b"\x42\x42") + b"\x07\x03abc" + b"\xff\x02ab")
    doc_type, found = features(seal)
    assert doc_type is None
    assert [(f.tag, f.name, f.raw) for f in found] == [(7, None, b"abc")]


def test_facts_for_the_clerk_and_what_redaction_hides() -> None:
    from scanverify.formats.vds import seal_facts, seal_record

    seal = parse_vds(header() + RESIDENCE_MESSAGES + b"\x42\x02zz" + b"\xff\x02ab")
    facts = {f.label: f for f in seal_facts(seal)}
    assert facts["Document type"].value == "Residence permit"
    assert facts["Issuing country"].value == "UTO (Utopia (ICAO specimen state))"
    assert facts["Name"].value == "RESIDORCE, ROLAND" and facts["Name"].personal
    assert facts["MRZ"].personal and facts["Date of birth (YYMMDD)"].value == "700803"
    assert facts["Date of birth (YYMMDD)"].personal
    assert facts["Passport number"].value == "UFO001979" and not facts["Passport number"].personal
    assert facts["Feature 0x42"].value == "7a7a ('zz')" and facts["Feature 0x42"].personal
    assert facts["Sealed on"].value == "2024-05-01"
    record = seal_record(seal)
    redacted = VDS().redact(record)
    assert [m["name"] for m in record["messages"]] == ["MRZ", "PASSPORT_NUMBER", None]
    assert [m["name"] for m in redacted["messages"]] == ["PASSPORT_NUMBER"]
    assert "RESIDORCE" not in repr(redacted) and "RESIDORCE" in repr(record)


def test_visa_duration_and_entries() -> None:
    from scanverify.formats.vds import seal_facts

    visa = (
        b"\x02\x2c" + encode_c40("VCD<<DENT<<ARTHUR<PHILIP<<<<<<<<<<<<1234567XY7GBR5203116M2005250")
        + b"\x03\x01\x02" + b"\x04\x03\x5a\x00\x00" + b"\x05\x06" + encode_c40("ABC424242")
    )  # fmt: skip
    facts = {f.label: f.value for f in seal_facts(parse_vds(header(doc=b"\x5d\x01") + visa + b"\xff\x02ab"))}
    assert facts["Document type"] == "Visa"
    assert facts["Number of entries"] == "2" and facts["Duration of stay"] == "90 days"
    assert facts["Name"] == "DENT, ARTHUR PHILIP" and facts["Document number"] == "1234567XY"


def datamatrix_png(payload: bytes, path: Path) -> Path:
    """A DataMatrix of ``payload``'s exact bytes, drawn by zxing-cpp, with a quiet zone."""
    import numpy as np
    import zxingcpp
    from PIL import Image

    barcode = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.DataMatrix)
    image = np.asarray(zxingcpp.write_barcode_to_image(barcode, scale=6))
    Image.fromarray(np.pad(image, 40, constant_values=255)).save(path)
    return path


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared ICAO VDS data is absent")
def test_a_datamatrix_gives_back_the_seals_exact_bytes(tmp_path: Path) -> None:
    from scanverify.decode import decode_image

    for seal in _vectors()[:2] + _vectors()[-3:]:
        codes = decode_image(datamatrix_png(seal, tmp_path / "seal.png"))
        assert [(c.symbology, c.payload) for c in codes] == [("DataMatrix", seal)]
        parse_vds(codes[0].payload)


def test_scanverify_x509s_key_on_brainpool_p224r1() -> None:
    """The key trust loads from a brainpoolP224r1 certificate (scanverify.x509's verify-only key)."""
    import ecdsa
    from ecdsa.util import sigencode_string

    from scanverify.x509 import PurePythonECKey, load_public_key

    private = ecdsa.SigningKey.generate(curve=ecdsa.curves.BRAINPOOLP224r1)  # throw-away test key
    body = header(signer="DETS", ref="32") + RESIDENCE_MESSAGES
    seal = parse_vds(body + b"\xff\x38" + private.sign(body, hashfunc=hashlib.sha224, sigencode=sigencode_string))
    public = load_public_key(private.get_verifying_key().to_der())
    assert isinstance(public, PurePythonECKey)
    assert verify_signature(public, seal.to_be_signed, seal.signature)
    assert not verify_signature(public, seal.to_be_signed + b"\x00", seal.signature)
