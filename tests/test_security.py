"""Security properties: no altered seal is ever genuine; no input crashes or fools a parser."""

from __future__ import annotations

import base64
import json
import zlib
from datetime import UTC, datetime
from typing import Any

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from specseal import Issuer, b45, make_seal

from scanverify import ScanverifyError, Status, TrustStore, Verifier
from scanverify._codec import CodecError, b45decode, cbor_decode, inflate_if_zlib
from scanverify.cose import parse_cose_sign1

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
T = int(NOW.timestamp())
ISSUER = Issuer("ES256")
STORE = TrustStore.from_bundle(ISSUER.bundle(), "security")
VERIFIER = Verifier(trust=STORE, clock=lambda: NOW)
FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_tamper_matrix_never_genuine() -> None:
    """Every single-byte change of a genuine seal's COSE bytes, re-encoded, is never genuine."""
    cose = make_seal(ISSUER, iat=T).cose()
    assert VERIFIER.verify_payload("CS1:" + b45(zlib.compress(cose))).genuine
    statuses: dict[str, int] = {}
    for position in range(len(cose)):
        for value in {cose[position] ^ 0x01, cose[position] ^ 0x80, (cose[position] + 1) % 256, 0x00, 0xFF}:
            if value == cose[position]:
                continue
            altered = bytearray(cose)
            altered[position] = value
            result = VERIFIER.verify_payload("CS1:" + b45(zlib.compress(bytes(altered))))
            assert result.status is not Status.GENUINE, (position, value)
            statuses[result.status.value] = statuses.get(result.status.value, 0) + 1
    # the matrix reaches the signature check, not only the parser
    assert statuses.get("forged", 0) > 100 and statuses.get("malformed", 0) > 10


@pytest.mark.parametrize(
    ("alg", "header_alg"),
    [("ES256", -35), ("ES256", -36), ("ES256", -8), ("ES256", -37), ("EdDSA", -7), ("PS256", -7), ("ES384", -7)],
)
def test_algorithm_confusion(alg: str, header_alg: int) -> None:
    issuer = Issuer(alg)
    seal = make_seal(issuer, iat=T, protected={1: header_alg, 4: issuer.kid})
    store = TrustStore.from_bundle(issuer.bundle(), "b")
    assert Verifier(trust=store, clock=lambda: NOW).verify_payload(seal.text()).status is Status.FORGED


def test_kid_collision_never_lends_trust() -> None:
    trusted, attacker = Issuer(), Issuer()
    # The attacker signs with their own key but names the trusted key's kid,
    # and also lists a key of theirs with that kid in a bundle they hand over.
    store = TrustStore.from_bundle(trusted.bundle(), "real") + TrustStore.from_bundle(attacker.bundle(), "other")
    seal = make_seal(attacker, iat=T, protected={1: -7, 4: trusted.kid})
    result = Verifier(trust=TrustStore.from_bundle(trusted.bundle(), "real"), clock=lambda: NOW).verify_payload(
        seal.text()
    )
    assert result.status is Status.FORGED
    # The kid is only a hint: listing the attacker's key as well does not make
    # their signature stand under the trusted key's name.
    both = Verifier(trust=store, clock=lambda: NOW).verify_payload(seal.text())
    assert both.status is Status.FORGED


def test_decompression_bomb_is_bounded() -> None:
    import tracemalloc

    bomb = zlib.compress(b"\0" * 4_000_000, 9)  # 4 MB from 4 KB, still within a QR code's size
    tracemalloc.start()
    result = VERIFIER.verify_payload("CS1:" + b45(bomb))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result.status is Status.MALFORMED and "bomb" in result.reason
    assert peak < 5_000_000  # never inflated past the 64 KiB limit (plus the input)


def test_cbor_limits() -> None:
    deep = b"\x81" * 17 + b"\x00"
    with pytest.raises(CodecError, match="deeper"):
        cbor_decode(deep)
    cbor_decode(b"\x81" * 16 + b"\x00")
    with pytest.raises(CodecError, match="twice"):
        cbor_decode(b"\xa2\x61a\x01\x61a\x02")
    with pytest.raises(CodecError, match="exceeds"):
        cbor_decode(b"\x9b\x00\x00\x00\x01\x00\x00\x00\x00")  # a 4-billion-item array in 9 bytes
    with pytest.raises(CodecError, match="ends"):
        cbor_decode(b"\x5a\xff\xff\xff\xff")  # a 4 GB byte string, absent
    assert cbor_decode(b"\xa2\x01\x00\xf4\x00") == {1: 0, False: 0}  # CBOR false is not the integer 0... as keys


@pytest.mark.parametrize("curve", ["ES256", "ES384", "ES512"])
def test_ecdsa_zero_and_out_of_range(curve: str) -> None:
    from scanverify.algorithms import _ORDERS, ALGORITHMS

    issuer = Issuer(curve)
    algorithm = ALGORITHMS[curve]
    size = {"ES256": 32, "ES384": 48, "ES512": 66}[curve]
    order = _ORDERS[issuer.public_key.curve.name]
    message = b"message"
    good = algorithm.sign(issuer.private_key, message)
    assert algorithm.verify(issuer.public_key, message, good)
    r, s = good[:size], good[size:]
    assert order.bit_length() == issuer.public_key.curve.key_size
    bads = [
        bytes(size) + s,
        r + bytes(size),
        bytes(2 * size),
        order.to_bytes(size, "big") + s,
        r + order.to_bytes(size, "big"),
    ]
    if int.from_bytes(s, "big") + order < 256**size:  # the same s mod n, but out of range
        bads.append(r + (int.from_bytes(s, "big") + order).to_bytes(size, "big"))
    for bad in bads:
        assert not algorithm.verify(issuer.public_key, message, bad)


# ---------------------------------------------------------------- every parser, fuzzed
@FUZZ
@given(st.text(max_size=300))
def test_fuzz_base45(text: str) -> None:
    try:
        b45decode(text)
    except CodecError:
        pass


@FUZZ
@given(st.binary(max_size=500))
def test_fuzz_zlib(data: bytes) -> None:
    try:
        out, _ = inflate_if_zlib(data)
        assert len(out) <= 64 * 1024
    except CodecError:
        pass


@FUZZ
@given(st.binary(max_size=500))
def test_fuzz_cbor(data: bytes) -> None:
    try:
        cbor_decode(data)
    except CodecError:
        pass


@FUZZ
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.binary(max_size=20) | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(st.integers() | st.text(max_size=5), children, max_size=4)
        ),
        max_leaves=30,
    )
)
def test_fuzz_cose_structures(value: Any) -> None:
    data = cbor2.dumps(cbor2.CBORTag(18, value) if isinstance(value, list) else value)
    try:
        parse_cose_sign1(data)
    except CodecError:
        pass
    result = VERIFIER.verify_payload("CS1:" + b45(zlib.compress(data)))
    assert result.status is not Status.GENUINE


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=400),
        st.text(max_size=400).map(str.encode),
        st.dictionaries(
            st.text(max_size=10), st.text(max_size=10) | st.integers() | st.lists(st.text(max_size=5)), max_size=6
        ).map(lambda d: json.dumps({"format": "scanverify.trust.v1", **d}).encode()),
        st.text(max_size=200).map(lambda t: f"-----BEGIN PUBLIC KEY-----\n{t}\n-----END PUBLIC KEY-----\n".encode()),
    )
)
def test_fuzz_trust_files(data: bytes) -> None:
    try:
        TrustStore.from_bytes(data, "fuzz")
    except ScanverifyError:
        pass


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(["format", "type", "payload", "signatures", "x"]),
        st.text(max_size=30)
        | st.lists(
            st.dictionaries(st.sampled_from(["kid", "sig", "alg"]), st.text(max_size=20), max_size=3), max_size=3
        ),
        max_size=5,
    )
)
def test_fuzz_signed_documents(envelope: dict[str, Any]) -> None:
    from scanverify.trustlist import BUNDLE_TYPE, load_root, verify_document

    root = load_root()
    try:
        verify_document(json.dumps(envelope).encode(), root, BUNDLE_TYPE, "fuzz")
        raise AssertionError("an unsigned document was accepted")
    except ScanverifyError:
        pass


def test_signed_document_with_forged_signature_entries() -> None:
    from scanverify.trustlist import BUNDLE_TYPE, load_root, verify_document

    root = load_root()
    kid = next(iter(root.keys)).hex()
    for sig in ("", base64.b64encode(bytes(64)).decode(), base64.b64encode(b"\xff" * 64).decode(), "!!"):
        envelope = {
            "format": "scanverify.signed.v1",
            "type": BUNDLE_TYPE,
            "payload": base64.b64encode(b"{}").decode(),
            "signatures": [{"kid": kid, "sig": sig}] * 3,
        }
        with pytest.raises(ScanverifyError):
            verify_document(json.dumps(envelope).encode(), root, BUNDLE_TYPE, "forged")
