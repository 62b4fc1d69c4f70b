"""Security properties: no altered seal is ever genuine; no input crashes or fools a parser."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from datetime import UTC, datetime
from typing import Any

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from specseal import Issuer, b45, make_seal

from scanverify import ScanverifyError, Status, TrustStore, Verifier
from scanverify._codec import CBORTag, CodecError, b45decode, cbor_decode, inflate_if_zlib
from scanverify._codec.base45 import ALPHABET as B45_ALPHABET
from scanverify.cose import parse_cose_sign1

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
T = int(NOW.timestamp())
ISSUER = Issuer("ES256")
STORE = TrustStore.from_bundle(ISSUER.bundle(), "security")
VERIFIER = Verifier(trust=STORE, clock=lambda: NOW)
FUZZ = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("alg", ["ES256", "ES384", "ES512", "PS256", "EdDSA"])
def test_tamper_matrix_never_genuine(alg: str) -> None:
    """Every single-byte change of a genuine seal's COSE bytes (8 values per byte), re-encoded, is never genuine."""
    issuer = ISSUER if alg == "ES256" else Issuer(alg)
    verifier = Verifier(trust=TrustStore.from_bundle(issuer.bundle(), alg), clock=lambda: NOW)
    cose = make_seal(issuer, iat=T).cose()
    assert verifier.verify_payload("CS1:" + b45(zlib.compress(cose))).genuine
    statuses: dict[str, int] = {}
    for position in range(len(cose)):
        original = cose[position]
        for value in {
            original ^ 0x01,
            original ^ 0x10,
            original ^ 0x80,
            (original + 1) % 256,
            (original - 1) % 256,
            0x00,
            0x20,
            0xFF,
        }:
            if value == cose[position]:
                continue
            altered = bytearray(cose)
            altered[position] = value
            result = verifier.verify_payload("CS1:" + b45(zlib.compress(bytes(altered))))
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


# Maps whose two keys are one Python dict key. Before issue 9 the first three
# were read with the last value winning ({1: "FR", 1.0: "CN"} gave iss CN, where
# another decoder reads FR).
EQUAL_KEYS = {
    "1 and 1.0": b"\xa2\x01\x62FR\xf9\x3c\x00\x62CN",
    "1 and true": b"\xa2\x01\x62FR\xf5\x62CN",
    "0 and false": b"\xa2\x00\x00\xf4\x00",
    "0.0 and -0.0": b"\xa2\xf9\x00\x00\x00\xf9\x80\x00\x00",
    "1.0 half and double": b"\xa2\xf9\x3c\x00\x00\xfb\x3f\xf0\x00\x00\x00\x00\x00\x00\x00",
    "1 in a longer head": b"\xa2\x01\x00\x18\x01\x00",
    "text in chunks": b"\xa2\x61a\x01\x7f\x61a\xff\x02",
    "indefinite map": b"\xbf\x01\x00\xf5\x00\xff",
    "identical keys": b"\xa2\x61a\x01\x61a\x02",
}


@pytest.mark.parametrize("name", list(EQUAL_KEYS))
def test_cbor_keys_equal_as_values_are_one_key(name: str) -> None:
    with pytest.raises(CodecError, match="twice"):
        cbor_decode(EQUAL_KEYS[name])


def test_cbor_distinct_keys_stay_distinct() -> None:
    # {b"a": 0, "a": 1, 2: 2, 2.5: 3, false: 4, null: 5}: no two are equal as values
    data = b"\xa6\x41a\x00\x61a\x01\x02\x02\xf9\x41\x00\x03\xf4\x04\xf6\x05"
    decoded = cbor_decode(data)
    assert [(type(k).__name__, k, v) for k, v in decoded.items()] == [
        ("bytes", b"a", 0),
        ("str", "a", 1),
        ("int", 2, 2),
        ("float", 2.5, 3),
        ("bool", False, 4),
        ("NoneType", None, 5),
    ]


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


def _reference_b45decode(text: str) -> bytes:
    """RFC 9285 section 4.2, one character at a time: what the fast decoder must equal."""
    if len(text) % 3 == 1:
        raise CodecError("impossible length")
    values = [B45_ALPHABET.index(c) if c in B45_ALPHABET else -1 for c in text]
    if -1 in values:
        raise CodecError("not in the alphabet")
    out = bytearray()
    for i in range(0, len(values), 3):
        group = values[i : i + 3]
        n = sum(v * 45**k for k, v in enumerate(group))
        if n > (0xFFFF if len(group) == 3 else 0xFF):
            raise CodecError("group too large")
        out += n.to_bytes(2 if len(group) == 3 else 1, "big")
    return bytes(out)


@FUZZ
@given(st.text(alphabet=B45_ALPHABET + "a\u00e9\x00", max_size=60) | st.binary(max_size=60).map(b45))
def test_base45_equals_the_reference(text: str) -> None:
    """The decoder without a loop per character accepts exactly what RFC 9285 does, with the same bytes."""
    try:
        expected: bytes | None = _reference_b45decode(text)
    except CodecError:
        expected = None
    try:
        got: bytes | None = b45decode(text)
    except CodecError:
        got = None
    assert got == expected, text


def _cbor_outcome(decode: Any, data: bytes) -> Any:
    """A comparable outcome: the value with floats as their bits (every NaN one value), or 'refused'."""

    def norm(value: Any) -> Any:
        if isinstance(value, float):  # NaN payload bits differ between decoders and mean nothing here
            return ("float", "nan" if value != value else struct.pack(">d", value))
        if isinstance(value, list):
            return ("list", [norm(v) for v in value])
        if isinstance(value, dict):
            return ("map", [(norm(k), norm(v)) for k, v in value.items()])
        if isinstance(value, CBORTag):
            return ("tag", value.tag, norm(value.value))
        return (type(value).__name__, value)

    try:
        return norm(decode(data))
    except CodecError:
        return "refused"


CBOR_ITEMS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.binary(max_size=8) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.integers(-3, 3) | st.text(max_size=2) | st.booleans() | st.floats(), children, max_size=4)
        | st.builds(cbor2.CBORTag, st.sampled_from([0, 1, 2, 18, 25, 28, 29, 256, 55799]), children)
    ),
    max_leaves=20,
)


@FUZZ
@given(
    st.binary(max_size=200)
    | st.tuples(CBOR_ITEMS.map(cbor2.dumps), st.lists(st.tuples(st.integers(0), st.integers(0, 255)), max_size=3)).map(
        lambda pair: bytes(_edit(pair[0], pair[1]))
    )
)
def test_fast_and_pure_cbor_decoders_agree(data: bytes) -> None:
    """cbor2's compiled decoder, wrapped in our rules, accepts and reads exactly what the pure decoder does."""
    from scanverify._codec.cbor import _fast_decoder, cbor_decode_pure

    assert _fast_decoder() is not None, "cbor2's decoder is not in use (too old, or it failed its self-check)"
    assert _cbor_outcome(cbor_decode, data) == _cbor_outcome(cbor_decode_pure, data), data.hex()


def test_the_fast_decoders_table_of_tag_numbers_stays_bounded() -> None:
    """Tag decoders are kept once made (speed), but seals that spell ever new tag
    numbers cannot grow the table without end; every tag still reads as itself."""
    from scanverify._codec.cbor import CBORTag, _fast_decoder, _RawTags

    fast = _fast_decoder()
    assert fast is not None, "cbor2's decoder is not in use (too old, or it failed its self-check)"
    first = 1_000_000
    try:
        for tag in range(first, first + _RawTags.MOST_KEPT + 50):
            assert cbor_decode(cbor2.dumps(cbor2.CBORTag(tag, tag))) == CBORTag(tag, tag)
        assert len(fast.tags) == _RawTags.MOST_KEPT
        assert cbor_decode(cbor2.dumps(cbor2.CBORTag(18, [b"", {}, b"", b""]))) == CBORTag(18, [b"", {}, b"", b""])
    finally:
        fast.tags.clear()  # the table is the process's: later tests start with it empty, as a run does


@FUZZ
@given(
    st.lists(
        st.binary(max_size=60)
        | st.tuples(
            CBOR_ITEMS.map(cbor2.dumps), st.lists(st.tuples(st.integers(0), st.integers(0, 255)), max_size=2)
        ).map(lambda pair: bytes(_edit(pair[0], pair[1]))),
        min_size=1,
        max_size=3,
    ),
    st.integers(0, 8),
)
def test_decoding_parts_together_never_accepts_more(parts: list[bytes], shift: int) -> None:
    """cbor_decode_each (several parts in one cbor2 call, as the COSE protected header and
    the claims are) says yes only when each part alone is exactly one item, and reads each
    as cbor_decode does; moving bytes from one part to the next (the same bytes in all,
    another split) is never taken for the first split."""
    from scanverify._codec import cbor_decode_each

    if len(parts) > 1 and shift:
        moved = parts[0][len(parts[0]) - min(shift, len(parts[0])) :]
        parts = [parts[0][: len(parts[0]) - len(moved)], moved + parts[1], *parts[2:]]
    together = cbor_decode_each(*parts)
    alone = [_cbor_outcome(cbor_decode, part) for part in parts]
    if together is not None:
        assert [_cbor_outcome(lambda _data, value=value: value, b"") for value in together] == alone
        assert "refused" not in alone


def test_decoding_parts_together_refuses_a_shifted_split() -> None:
    """A protected header one byte short, its last byte put at the head of the claims: the
    bytes in a row are two valid items, but neither part is one item on its own."""
    from scanverify._codec import cbor_decode_each

    protected, claims = cbor2.dumps({1: -7, 4: b"12345678"}), cbor2.dumps({1: "CN"})
    assert cbor_decode_each(protected, claims) == [{1: -7, 4: b"12345678"}, {1: "CN"}]
    assert cbor_decode_each(protected[:-1], protected[-1:] + claims) is None
    assert cbor_decode_each(protected + claims[:1], claims[1:]) is None
    assert cbor_decode_each(protected, claims + b"\x00") is None


@given(st.binary(max_size=300), st.binary(max_size=70000) | st.binary(max_size=30))
@settings(max_examples=200, deadline=None)
def test_sig_structure_is_what_cbor2_encodes(protected: bytes, payload: bytes) -> None:
    """The Sig_structure is written by hand: byte for byte what cbor2.dumps gives."""
    from scanverify.cose import sig_structure

    assert sig_structure(protected, payload) == cbor2.dumps(["Signature1", protected, b"", payload])


@pytest.mark.parametrize("length", [0, 23, 24, 255, 256, 65535, 65536])
def test_sig_structure_at_every_head_size(length: int) -> None:
    from scanverify.cose import sig_structure

    data = bytes(range(256)) * (length // 256 + 1)
    assert sig_structure(data[:length], data[:length]) == cbor2.dumps(["Signature1", data[:length], b"", data[:length]])


@pytest.mark.parametrize("depth", [15, 16, 17])
@pytest.mark.parametrize("layers", [[b"\x81"], [b"\xa1\x00"], [b"\xc1"], [b"\x9f"], [b"\x81", b"\xa1\x00", b"\xd2"]])
def test_cbor_depth_is_the_same_on_both_paths(depth: int, layers: list[bytes]) -> None:
    """Arrays, map values, tags and indefinite arrays each count one level, on both paths."""
    from scanverify._codec.cbor import cbor_decode_pure

    heads = [layers[i % len(layers)] for i in range(depth)]
    data = b"".join(heads) + b"\x00" + b"\xff" * heads.count(b"\x9f")
    fast, pure = _cbor_outcome(cbor_decode, data), _cbor_outcome(cbor_decode_pure, data)
    assert fast == pure
    assert (fast == "refused") == (depth > 16), (depth, fast)


def _edit(data: bytes, edits: list[tuple[int, int]]) -> bytearray:
    out = bytearray(data)
    for position, value in edits:
        out[position % len(out)] = value
    return out


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


# ---------------------------------------------------------------- kids, bombs, DER, nesting
def test_shared_kid_is_verified_only_by_the_right_key() -> None:
    """Two trusted keys named by one kid: each seal stands only under the key that signed it."""
    from dataclasses import replace

    first, second, stranger = Issuer(), Issuer("EdDSA"), Issuer()
    shared = first.kid
    keys = [
        replace(k, kids=frozenset({shared}))
        for k in (TrustStore.from_bundle(i.bundle(), i.alg).keys[0] for i in (first, second))
    ]
    for order in (keys, keys[::-1]):
        verifier = Verifier(trust=TrustStore(keys=tuple(order)), clock=lambda: NOW)
        by_first = verifier.verify_payload(make_seal(first, iat=T).text())
        by_second = verifier.verify_payload(make_seal(second, iat=T, protected={1: -8, 4: shared}).text())
        assert by_first.genuine and by_first.key is not None and by_first.key.spki == keys[0].spki
        assert by_second.genuine and by_second.key is not None and by_second.key.spki == keys[1].spki
        forged = verifier.verify_payload(make_seal(stranger, iat=T, protected={1: -7, 4: shared}).text())
        assert forged.status is Status.FORGED


def test_ten_megabyte_bomb_is_malformed_and_bounded() -> None:
    import tracemalloc

    bomb = zlib.compress(b"\0" * 10_000_000, 9)  # about 10 KB
    tracemalloc.start()
    # The whole path refuses it (here already for its length: more than a QR code holds) ...
    result = VERIFIER.verify_payload("CS1:" + b45(bomb))
    # ... and the inflater on its own stops at the bound, never inflating 10 MB.
    with pytest.raises(CodecError, match="bomb"):
        inflate_if_zlib(bomb)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result.status is Status.MALFORMED
    assert peak < 1_000_000  # the 64 KiB bound plus the input, not 10 MB


@pytest.mark.parametrize("alg", ["ES256", "ES384", "ES512"])
def test_der_ecdsa_signature_never_verifies(alg: str) -> None:
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    from scanverify.algorithms import ALGORITHMS

    issuer = Issuer(alg)
    size = {"ES256": 32, "ES384": 48, "ES512": 66}[alg]
    good = make_seal(issuer, iat=T)
    parsed = parse_cose_sign1(good.cose())
    raw = parsed.signature
    der = encode_dss_signature(int.from_bytes(raw[:size], "big"), int.from_bytes(raw[size:], "big"))
    assert not ALGORITHMS[alg].verify(issuer.public_key, parsed.to_be_signed(), der)
    store = TrustStore.from_bundle(issuer.bundle(), "der")
    result = Verifier(trust=store, clock=lambda: NOW).verify_payload(make_seal(issuer, iat=T, signature=der).text())
    assert result.status is Status.FORGED


def test_deep_cbor_in_a_seal_is_malformed() -> None:
    protected = cbor2.dumps({1: -7, 4: ISSUER.kid})
    in_claims = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, b"\x81" * 20 + b"\x00", bytes(64)]))
    in_cose = b"\xd2\x84\x40\xa0" + b"\x81" * 20 + b"\x00" + b"\x40"  # the payload item itself 21 deep
    for cose in (in_claims, in_cose):
        result = VERIFIER.verify_payload("CS1:" + b45(zlib.compress(cose)))
        assert result.status is Status.MALFORMED and "deeper" in result.reason, result.reason


@pytest.mark.parametrize("second_iss", [b"\x01", b"\xf9\x3c\x00", b"\xf5", b"\x18\x01"])
def test_duplicate_cbor_keys_in_a_seal_are_malformed(second_iss: bytes) -> None:
    """The iss key given twice (as 1, 1.0, true or 1 in a longer head), signed properly."""
    from specseal import record

    seal = make_seal(ISSUER, iat=T)
    claims = cbor2.dumps({1: "CN", 6: T, -65537: record()})
    seal.payload = b"\xa4" + claims[1:] + second_iss + b"\x62FR"
    result = VERIFIER.verify_payload(seal.text())
    # Read with the last key winning, this seal would be a CN key's seal of FR (untrusted).
    assert result.status is Status.MALFORMED and "twice" in result.reason, result.reason


# ---------------------------------------------------------------- JSON trust inputs: regressions
def test_huge_json_integer_is_a_trust_error() -> None:
    """Found in review: int() refuses over 4300 digits with a plain ValueError, which escaped."""
    from scanverify.trustlist import BUNDLE_TYPE, load_root, verify_document

    huge = b'{"format": "scanverify.trust.v1", "version": ' + b"9" * 5000 + b"}"
    with pytest.raises(ScanverifyError, match="not valid JSON"):
        TrustStore.from_bytes(huge, "huge")
    with pytest.raises(ScanverifyError, match="not valid JSON"):
        verify_document(b'{"signatures": ' + b"1" * 5000 + b"}", load_root(), BUNDLE_TYPE, "huge")


def test_duplicate_json_keys_are_refused() -> None:
    issuer = Issuer()
    entry = json.dumps(issuer.entry())
    twice = f'{{"format": "scanverify.trust.v1", "keys": [], "keys": [{entry}]}}'.encode()
    with pytest.raises(ScanverifyError, match="twice"):
        TrustStore.from_bytes(twice, "dup")


def test_envelope_payload_must_be_base64_text() -> None:
    from scanverify.trustlist import BUNDLE_TYPE, load_root, verify_document

    for payload in (None, 5, ["e30="], {"a": 1}):
        envelope = {"format": "scanverify.signed.v1", "type": BUNDLE_TYPE, "payload": payload, "signatures": []}
        with pytest.raises(ScanverifyError, match="base64"):
            verify_document(json.dumps(envelope).encode(), load_root(), BUNDLE_TYPE, "p")


# ---------------------------------------------------------------- more fuzzing
@FUZZ
@given(st.sampled_from(["CS1:", "HC1:", "cs1:", ""]), st.text(max_size=300))
def test_fuzz_payload_text(prefix: str, text: str) -> None:
    result = VERIFIER.verify_payload(prefix + text)
    assert result.status is not Status.GENUINE


@FUZZ
@given(st.binary(max_size=300))
def test_fuzz_payload_bytes_in_base45(data: bytes) -> None:
    for body in (data, zlib.compress(data)):
        assert VERIFIER.verify_payload("CS1:" + b45(body)).status is not Status.GENUINE


@FUZZ
@given(st.binary(max_size=600))
def test_fuzz_pem_and_der(data: bytes) -> None:
    armoured = base64.encodebytes(data).decode()
    for label in ("PUBLIC KEY", "CERTIFICATE"):
        try:
            TrustStore.from_bytes(f"-----BEGIN {label}-----\n{armoured}-----END {label}-----\n".encode(), "pem")
        except ScanverifyError:
            pass
    try:
        TrustStore.from_bytes(data, "der")  # neither JSON nor PEM: read as a DER certificate
    except ScanverifyError:
        pass


def _fuzz_authority() -> tuple[Any, Any, bytes, bytes]:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from scanverify.trustlist import BUNDLE_TYPE, _parse_root, root_document, sign_document

    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    root = _parse_root(root_document([key.public_key()], version=1), "test root")
    bundle = ISSUER.bundle() | {"version": 7, "expires": "2030-01-01T00:00:00Z"}
    payload = json.dumps(bundle).encode()
    return key, root, payload, sign_document(payload, BUNDLE_TYPE, [key])


AUTHORITY_KEY, AUTHORITY_ROOT, SIGNED_PAYLOAD, SIGNED_ENVELOPE = _fuzz_authority()


@FUZZ
@given(st.binary(max_size=400))
def test_fuzz_signed_document_bytes(data: bytes) -> None:
    from scanverify.trustlist import BUNDLE_TYPE, open_signed_bundle

    with pytest.raises(ScanverifyError):
        open_signed_bundle(data, AUTHORITY_ROOT, BUNDLE_TYPE)


@FUZZ
@given(st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=4))
def test_fuzz_altered_signed_bundle_never_carries_other_content(edits: list[tuple[int, int]]) -> None:
    """Bytes of a genuine signed list changed anywhere: refused, or the very payload that was signed."""
    from scanverify.trustlist import open_signed_bundle

    data = bytearray(SIGNED_ENVELOPE)
    for position, value in edits:
        data[position % len(data)] = value
    try:
        store, bundle = open_signed_bundle(bytes(data), AUTHORITY_ROOT, "altered")
    except ScanverifyError:
        return
    assert json.dumps(bundle).encode() == SIGNED_PAYLOAD
    assert [k.spki for k in store] == [k.spki for k in STORE]


def test_signed_bundle_fixture_is_accepted() -> None:
    from scanverify.trustlist import open_signed_bundle

    store, bundle = open_signed_bundle(SIGNED_ENVELOPE, AUTHORITY_ROOT, "good")
    assert bundle["version"] == 7 and store.expires is not None
