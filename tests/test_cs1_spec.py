"""CS1 verdicts checked against seal-format.md, with seals built by tests/specseal.py."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from specseal import ALGS, B45, Issuer, b45, make_seal, record

from scanverify import Status, TrustStore, Verifier

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
T = int(NOW.timestamp())


def verify(text: str, bundle: dict[str, Any] | None, at: datetime = NOW) -> Any:
    store = TrustStore.from_bundle(bundle, "test bundle") if bundle else TrustStore()
    return Verifier(trust=store, clock=lambda: at).verify_payload(text)


@pytest.fixture(scope="module", params=list(ALGS))
def any_issuer(request: pytest.FixtureRequest) -> Issuer:
    return Issuer(request.param)


# ---------------------------------------------------------------- genuine, per algorithm
def test_every_algorithm_verifies(any_issuer: Issuer) -> None:
    result = verify(make_seal(any_issuer, iat=T - 60).text(), any_issuer.bundle())
    assert result.status is Status.GENUINE, result.reason
    assert result.claims["alg"] == any_issuer.alg
    assert result.record["doc"]["hn"] == "王小明"
    assert result.kid == any_issuer.kid


def test_every_algorithm_rejects_an_altered_record(any_issuer: Issuer) -> None:
    good = make_seal(any_issuer, iat=T - 60)
    signature = cbor2.loads(good.cose()).value[3]
    altered = make_seal(any_issuer, iat=T - 60, rec=record(no="2021-BJ-0099999"), signature=signature)
    result = verify(altered.text(), any_issuer.bundle())
    assert result.status is Status.FORGED
    assert "signature does not match" in result.reason


def test_uncompressed_cose_is_accepted(issuer: Issuer) -> None:
    assert verify(make_seal(issuer, iat=T, compress=False).text(), issuer.bundle()).status is Status.GENUINE


def test_unknown_record_keys_are_kept(issuer: Issuer) -> None:
    result = verify(make_seal(issuer, iat=T, rec=record(zz="extra 值")).text(), issuer.bundle())
    assert result.status is Status.GENUINE
    assert result.record["zz"] == "extra 值"
    assert any(f.value == "extra 值" for f in result.facts)


def test_extra_protected_labels_are_ignored(issuer: Issuer) -> None:
    seal = make_seal(issuer, iat=T, protected={1: -7, 4: issuer.kid, 3: "application/cbor"})
    assert verify(seal.text(), issuer.bundle()).status is Status.GENUINE


# ---------------------------------------------------------------- untrusted / forged
def test_unknown_kid_is_untrusted(issuer: Issuer) -> None:
    other = Issuer("ES256")
    result = verify(make_seal(issuer, iat=T).text(), other.bundle())
    assert result.status is Status.UNTRUSTED


def test_no_trust_at_all_is_untrusted(issuer: Issuer) -> None:
    assert verify(make_seal(issuer, iat=T).text(), None).status is Status.UNTRUSTED


def test_signed_by_another_key_with_the_trusted_kid_is_forged(issuer: Issuer) -> None:
    impostor = Issuer("ES256")
    seal = make_seal(impostor, iat=T, protected={1: -7, 4: issuer.kid})
    assert verify(seal.text(), issuer.bundle()).status is Status.FORGED


def test_der_ecdsa_signature_does_not_verify(issuer: Issuer) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    seal = make_seal(issuer, iat=T)
    protected = cbor2.dumps({1: -7, 4: issuer.kid})
    to_sign = cbor2.dumps(["Signature1", protected, b"", cbor2.dumps(seal.claims)])
    seal.signature = issuer.private_key.sign(to_sign, ec.ECDSA(hashes.SHA256()))
    assert verify(seal.text(), issuer.bundle()).status is Status.FORGED


@pytest.mark.parametrize("r_s", ["r0", "s0", "r_order", "s_order"])
def test_ecdsa_r_or_s_out_of_range_never_verifies(issuer: Issuer, r_s: str) -> None:
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    good = cbor2.loads(make_seal(issuer, iat=T).cose()).value[3]
    r, s = good[:32], good[32:]
    bad = {
        "r0": bytes(32) + s,
        "s0": r + bytes(32),
        "r_order": n.to_bytes(32, "big") + s,
        "s_order": r + n.to_bytes(32, "big"),
    }[r_s]
    assert verify(make_seal(issuer, iat=T, signature=bad).text(), issuer.bundle()).status is Status.FORGED


def test_alg_that_does_not_fit_the_key_is_forged(issuer: Issuer) -> None:
    # The header says ES384 but the trusted key is P-256.
    seal = make_seal(issuer, iat=T, protected={1: -35, 4: issuer.kid})
    assert verify(seal.text(), issuer.bundle()).status is Status.FORGED


def test_alg_pinned_in_bundle_is_enforced() -> None:
    ed = Issuer("EdDSA")
    seal = make_seal(ed, iat=T)
    assert verify(seal.text(), ed.bundle(alg="EdDSA")).status is Status.GENUINE
    with pytest.raises(Exception, match="does not fit"):
        TrustStore.from_bundle(ed.bundle(alg="ES256"), "b")


def test_kid_collision_tries_every_key(issuer: Issuer) -> None:
    other = Issuer("ES256")
    bundle = other.bundle(issuer.entry())
    assert verify(make_seal(issuer, iat=T).text(), bundle).status is Status.GENUINE


def test_short_rsa_key_cannot_be_trusted() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    small = Issuer("PS256", rsa.generate_private_key(public_exponent=65537, key_size=1024))
    with pytest.raises(Exception, match="unsupported public key"):
        TrustStore.from_bundle(small.bundle(), "b")


# ---------------------------------------------------------------- revoked
def test_revoked_key(issuer: Issuer) -> None:
    result = verify(make_seal(issuer, iat=T).text(), issuer.bundle(status="revoked"))
    assert result.status is Status.REVOKED


def test_revoked_seal_number(issuer: Issuer) -> None:
    bundle = issuer.bundle(revoked_seals=("CN/2021-BJ-0012345",))
    assert verify(make_seal(issuer, iat=T).text(), bundle).status is Status.REVOKED
    other = make_seal(issuer, iat=T, rec=record(no="2021-BJ-0012346")).text()
    assert verify(other, bundle).status is Status.GENUINE


def test_revocation_ranks_after_forgery(issuer: Issuer) -> None:
    seal = make_seal(issuer, iat=T, signature=bytes(64))
    assert verify(seal.text(), issuer.bundle(status="revoked")).status is Status.FORGED


def test_revocation_ranks_before_time(issuer: Issuer) -> None:
    seal = make_seal(issuer, iat=T - 1000, exp=T - 10)
    assert verify(seal.text(), issuer.bundle(status="revoked")).status is Status.REVOKED


# ---------------------------------------------------------------- time
def test_iat_within_clock_skew_is_genuine(issuer: Issuer) -> None:
    assert verify(make_seal(issuer, iat=T + 300).text(), issuer.bundle()).status is Status.GENUINE


def test_iat_beyond_clock_skew_is_not_yet_valid(issuer: Issuer) -> None:
    assert verify(make_seal(issuer, iat=T + 301).text(), issuer.bundle()).status is Status.NOT_YET_VALID


def test_signed_before_key_not_before(issuer: Issuer) -> None:
    bundle = issuer.bundle(not_before="2026-01-01T00:00:00Z")
    seal = make_seal(issuer, iat=int(datetime(2025, 12, 31, tzinfo=UTC).timestamp()))
    assert verify(seal.text(), bundle).status is Status.NOT_YET_VALID


def test_expired_seal(issuer: Issuer) -> None:
    assert verify(make_seal(issuer, iat=T - 100, exp=T - 1).text(), issuer.bundle()).status is Status.EXPIRED
    assert verify(make_seal(issuer, iat=T - 100, exp=T).text(), issuer.bundle()).status is Status.GENUINE


def test_signed_after_key_retired_is_expired(issuer: Issuer) -> None:
    bundle = issuer.bundle(not_after="2026-01-01T00:00:00Z")
    assert verify(make_seal(issuer, iat=T).text(), bundle).status is Status.EXPIRED


def test_retired_key_keeps_old_seals_genuine(issuer: Issuer) -> None:
    # A legalisation signed in 2021 stays genuine after the key is retired.
    bundle = issuer.bundle(not_before="2021-01-01T00:00:00Z", not_after="2022-01-01T00:00:00Z")
    iat = int(datetime(2021, 6, 1, tzinfo=UTC).timestamp())
    assert verify(make_seal(issuer, iat=iat).text(), bundle, at=NOW).status is Status.GENUINE


def test_not_yet_valid_ranks_before_expired(issuer: Issuer) -> None:
    seal = make_seal(issuer, iat=T + 10_000, exp=T - 1)
    assert verify(seal.text(), issuer.bundle()).status is Status.NOT_YET_VALID


def test_untrusted_ranks_before_everything_after_it(issuer: Issuer) -> None:
    seal = make_seal(issuer, iat=T + 10_000, exp=T - 1, signature=bytes(64))
    assert verify(seal.text(), Issuer().bundle()).status is Status.UNTRUSTED


# ---------------------------------------------------------------- malformed
def claims_without(key: int) -> dict[Any, Any]:
    claims: dict[Any, Any] = {1: "CN", 6: T, -65537: record()}
    claims.pop(key)
    return claims


MALFORMED_PARTS: dict[str, dict[str, Any]] = {
    "no tag": {"tag": None},
    "wrong tag": {"tag": 98},
    "no kid": {"protected": {1: -7}},
    "kid of 7 bytes": {"protected": {1: -7, 4: b"1234567"}},
    "kid as text": {"protected": {1: -7, 4: "12345678"}},
    "no alg": {"protected": {4: b"12345678"}},
    "alg as text": {"protected": {1: "ES256", 4: b"12345678"}},
    "alg not in table": {"protected": {1: -257, 4: b"12345678"}},
    "crit": {"protected": {1: -7, 4: b"12345678", 2: [3]}},
    "alg unprotected": {"unprotected": {1: -7}},
    "kid unprotected": {"unprotected": {4: b"12345678"}},
    "trailing bytes": {"trailing": b"\x00"},
    "protected not a map": {"protected_bytes": cbor2.dumps([1, 2])},
    "payload not claims": {"payload": cbor2.dumps([1, 2, 3])},
    "payload not cbor": {"payload": b"\xff\xff"},
    "duplicate claim key": {
        "payload": b"\xa4\x01\x62CN\x06\x01\x01\x62CN" + cbor2.dumps(-65537) + cbor2.dumps(record())
    },
    "no iss": {"claims": claims_without(1)},
    "no iat": {"claims": claims_without(6)},
    "no record": {"claims": claims_without(-65537)},
    "iat as text": {"claims": {1: "CN", 6: str(T), -65537: record()}},
    "iat as float": {"claims": {1: "CN", 6: float(T), -65537: record()}},
    "iat as bool": {"claims": {1: "CN", 6: True, -65537: record()}},
    "exp as text": {"claims": {1: "CN", 6: T, 4: "never", -65537: record()}},
    "iss lowercase": {"claims": {1: "cn", 6: T, -65537: record()}},
    "record a list": {"claims": {1: "CN", 6: T, -65537: [1]}},
    "record v2": {"claims": {1: "CN", 6: T, -65537: record(v=2)}},
    "record without no": {"claims": {1: "CN", 6: T, -65537: {k: v for k, v in record().items() if k != "no"}}},
    "record without doc": {"claims": {1: "CN", 6: T, -65537: {k: v for k, v in record().items() if k != "doc"}}},
    "doc without title": {"claims": {1: "CN", 6: T, -65537: record(doc={"hn": "x"})}},
    "doc hash 31 bytes": {"claims": {1: "CN", 6: T, -65537: record(doc={"ti": "x", "h": bytes(31)})}},
    "doc pages negative": {"claims": {1: "CN", 6: T, -65537: record(doc={"ti": "x", "pg": -1})}},
    "bad date": {"claims": {1: "CN", 6: T, -65537: record(dt="2021-02-30")}},
    "date wrong shape": {"claims": {1: "CN", 6: T, -65537: record(dt="1.6.2021")}},
    "unknown kind of act": {"claims": {1: "CN", 6: T, -65537: record(t="passport")}},
    "text over 200": {"claims": {1: "CN", 6: T, -65537: record(au="a" * 201)}},
    "non-text record key": {"claims": {1: "CN", 6: T, -65537: {**record(), 5: "x"}}},
    "dst not alpha-2": {"claims": {1: "CN", 6: T, -65537: record(dst="FRA")}},
}


@pytest.mark.parametrize("name", list(MALFORMED_PARTS))
def test_malformed_structures(issuer: Issuer, name: str) -> None:
    parts = {**MALFORMED_PARTS[name]}
    seal = make_seal(issuer, iat=T, **{k: v for k, v in parts.items() if k != "claims"})
    if "claims" in parts:
        seal.claims = parts["claims"]
    result = verify(seal.text(), issuer.bundle())
    assert result.status is Status.MALFORMED, (name, result.reason)
    assert result.reason


def test_text_of_exactly_200_is_fine(issuer: Issuer) -> None:
    assert verify(make_seal(issuer, iat=T, rec=record(au="a" * 200)).text(), issuer.bundle()).status is Status.GENUINE


def test_deep_cbor_is_malformed(issuer: Issuer) -> None:
    deep: Any = "x"
    for _ in range(20):
        deep = [deep]
    seal = make_seal(issuer, iat=T, rec=record(deep=deep))
    assert verify(seal.text(), issuer.bundle()).status is Status.MALFORMED


@pytest.mark.parametrize(
    "text",
    [
        "CS1:",
        "CS1:A",  # length 1 mod 3
        "CS1:abc",  # lower case is not Base45
        "CS1:GGW",  # 3-char group above 65535
        "CS1:::",  # 2-char group above 255
        "CS1:" + b45(b"\x78\x9c" + b"garbage"),  # zlib header, broken stream
        "CS1:" + b45(zlib.compress(b"\x00" * 200_000)),  # bomb
        "CS1:" + b45(zlib.compress(cbor2.dumps(cbor2.CBORTag(18, [b"", {}, b"", b""])))[:-4]),  # truncated zlib
        "CS1:" + b45(b"\x01"),
    ],
)
def test_malformed_encodings(issuer: Issuer, text: str) -> None:
    assert verify(text, issuer.bundle()).status is Status.MALFORMED


def test_lowercase_prefix_is_not_a_seal(issuer: Issuer) -> None:
    text = make_seal(issuer, iat=T).text()
    assert verify("cs1:" + text[4:], issuer.bundle()).status is Status.NOT_A_SEAL
    assert verify("https://example.org/x", issuer.bundle()).status is Status.NOT_A_SEAL


def test_binary_payload_is_not_a_seal(issuer: Issuer) -> None:
    store = TrustStore.from_bundle(issuer.bundle(), "b")
    assert Verifier(trust=store).verify_payload(b"\xff\xfe\x00binary").status is Status.NOT_A_SEAL


# ---------------------------------------------------------------- trust bundle rules
def test_bundle_kid_must_match(issuer: Issuer) -> None:
    with pytest.raises(Exception, match="does not match"):
        TrustStore.from_bundle(issuer.bundle(kid="0011223344556677"), "b")
    TrustStore.from_bundle(issuer.bundle(kid=issuer.kid.hex()), "b")


def test_specimen_genuine_says_specimen(issuer: Issuer) -> None:
    result = verify(make_seal(issuer, iat=T).text(), issuer.bundle(specimen=True))
    assert result.genuine and result.specimen
    assert "SPECIMEN" in result.verdict_text and "SPECIMEN" in result.reason


def test_key_bound_to_another_state_is_untrusted(issuer: Issuer) -> None:
    seal = make_seal(issuer, iat=T, iss="FR")
    result = verify(seal.text(), issuer.bundle())
    assert result.status is Status.UNTRUSTED and "FR" in result.reason


def test_pem_public_key_is_trust(issuer: Issuer, tmp_path: Any) -> None:
    from cryptography.hazmat.primitives import serialization

    pem = tmp_path / "issuer.pub.pem"
    pem.write_bytes(
        issuer.public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    store = TrustStore.from_file(pem)
    result = Verifier(trust=store, clock=lambda: NOW).verify_payload(make_seal(issuer, iat=T).text())
    assert result.status is Status.GENUINE


def test_naive_clock_is_refused(issuer: Issuer) -> None:
    from scanverify import UsageError

    verifier = Verifier(trust=TrustStore(), clock=lambda: datetime(2026, 1, 1))
    with pytest.raises(UsageError):
        verifier.verify_payload("CS1:")


# ---------------------------------------------------------------- fuzzing the parser
@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.text(), st.text(alphabet=B45).map(lambda t: "CS1:" + t), st.binary().map(lambda b: "CS1:" + b45(b)))
)
def test_arbitrary_text_always_gets_a_status(text: str) -> None:
    result = Verifier(trust=TrustStore(), clock=lambda: NOW).verify_payload(text)
    assert isinstance(result.status, Status)
    assert result.status is not Status.GENUINE


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600), st.booleans())
def test_arbitrary_cose_bytes_never_genuine(issuer_bytes: bytes, compress: bool) -> None:
    data = zlib.compress(issuer_bytes) if compress else issuer_bytes
    result = Verifier(trust=_FUZZ_STORE, clock=lambda: NOW).verify_payload("CS1:" + b45(data))
    assert result.status is not Status.GENUINE


_FUZZ_ISSUER = Issuer("ES256")
_FUZZ_STORE = TrustStore.from_bundle(_FUZZ_ISSUER.bundle(), "fuzz")


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_mutated_genuine_seal_never_genuine(data: st.DataObject) -> None:
    cose = bytearray(make_seal(_FUZZ_ISSUER, iat=T).cose())
    position = data.draw(st.integers(0, len(cose) - 1))
    value = data.draw(st.integers(0, 255).filter(lambda v: v != cose[position]))
    cose[position] = value
    result = Verifier(trust=_FUZZ_STORE, clock=lambda: NOW).verify_payload("CS1:" + b45(zlib.compress(bytes(cose))))
    assert result.status is not Status.GENUINE
