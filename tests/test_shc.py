"""SMART Health Cards (formats/shc.py): decoding, chunks, keys, trust sources, the VCI snapshot."""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from shcseal import ISS, Issuer, card_payload, chunks, deflate_raw, qr

from scanverify import TrustStore, Verifier
from scanverify.errors import TrustError
from scanverify.formats import MalformedSeal, shc
from scanverify.formats import shc_directory as directory
from scanverify.formats._jws import b64url_encode
from scanverify.model import VerificationResult

SHARED = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "smart-health-cards"
TESTDATA = SHARED / "health-cards-dev-tools" / "testdata"
NOW = datetime(2026, 11, 27, tzinfo=UTC)


def verify(data: bytes, store: TrustStore, at: datetime = NOW) -> VerificationResult:
    return Verifier(trust=store, clock=lambda: at).verify_payload(data)


def judge(data: bytes, store: TrustStore, at: datetime = NOW) -> str:
    result = verify(data, store, at)
    assert result.format == "SHC"
    return result.status.value


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer()


@pytest.fixture(scope="module")
def jwks(issuer: Issuer) -> Any:
    return shc.load_jwks(issuer.jwks(), "test.jwks.json")


# ---------------------------------------------------------------- numeric mode
@given(st.text(alphabet=[chr(c) for c in range(45, 123)], min_size=1, max_size=300))
def test_numeric_round_trip(text: str) -> None:
    assert shc.numeric_decode(shc.numeric_encode(text).encode()) == text


@pytest.mark.parametrize(
    ("digits", "why"),
    [(b"123", "odd number"), (b"5678", "pair 78"), (b"0099", "pair 99"), (b"12a4", "other than digits")],
)
def test_numeric_refusals(digits: bytes, why: str) -> None:
    with pytest.raises(MalformedSeal, match=why):
        shc.numeric_decode(digits)


def test_a_genuine_card_parses_with_its_facts(issuer: Issuer, jwks: Any) -> None:
    data = issuer.card()
    assert shc.SHC().recognise(data) and not shc.SHC().recognise(b"HC1:xyz")
    card = shc.parse_card(data)
    assert (card.iss, card.kid, card.nbf.timestamp()) == (ISS, issuer.kid, 1_700_000_000.5)
    facts = {f.label: (f.value, f.personal) for f in card.facts}
    assert facts["Holder"] == ("Jane Testperson", True)
    assert facts["Date of birth"] == ("1970-02-03", True)
    assert (
        facts["Vaccination"][0]
        == "2021-05-01, Pfizer-BioNTech COVID-19 (mRNA, 30 mcg) (CVX 208), lot LOT42, by Test Clinic"
    )
    result = verify(data, jwks)
    assert result.genuine, result.reason
    assert "Testperson" not in json.dumps(result.redacted().to_json())
    redacted = json.dumps(shc.redact_record(card.record))
    assert "Testperson" not in redacted and "1970-02-03" not in redacted and "LOT42" in redacted
    assert "Testperson" in json.dumps(card.record)  # the original is untouched


@pytest.mark.parametrize(
    ("header", "why"),
    [
        ({"alg": "ES256", "kid": "k"}, "no 'zip'"),
        ({"zip": "DEF", "kid": "k"}, "no 'alg'"),
        ({"zip": "DEF", "alg": "ES256"}, "no kid"),
        ({"zip": "GZIP", "alg": "ES256", "kid": "k"}, "zip is 'GZIP'"),
        ({"zip": "DEF", "alg": "ES384", "kid": "k"}, "alg is 'ES384'"),
        ({"zip": "DEF", "alg": "none", "kid": "k"}, "alg is 'none'"),
        ({"zip": "DEF", "alg": "ES256", "kid": "k", "crit": ["x"]}, "crit"),
    ],
)
def test_header_refusals(issuer: Issuer, header: dict[str, Any], why: str) -> None:
    with pytest.raises(MalformedSeal, match=why):
        shc.parse_card(qr(issuer.jws(card_payload(), header)))


def test_a_der_signature_is_malformed_and_never_verifies(issuer: Issuer) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    jws = issuer.jws(card_payload())
    signing_input = jws.rsplit(".", 1)[0]
    der = issuer.private.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    with pytest.raises(MalformedSeal, match="DER"):
        shc.parse_card(qr(signing_input + "." + b64url_encode(der)))


def test_a_changed_payload_is_forged(issuer: Issuer, jwks: Any) -> None:
    header, _, signature = issuer.jws(card_payload()).split(".")
    other = b64url_encode(deflate_raw(json.dumps(card_payload(nbf=1_600_000_000)).encode()))
    assert judge(qr(f"{header}.{other}.{signature}"), jwks) == "forged"


def test_a_deflate_bomb_stops_at_the_bound(issuer: Issuer) -> None:
    bomb = b'{"iss":"' + b"a" * (shc.MAX_PAYLOAD_BYTES * 4) + b'"}'
    with pytest.raises(MalformedSeal, match="decompression bomb"):
        shc.parse_card(issuer.card(bomb))


def test_a_zlib_wrapped_payload_is_not_raw_deflate(issuer: Issuer) -> None:
    header, _, signature = issuer.jws(card_payload()).split(".")
    wrapped = b64url_encode(zlib.compress(json.dumps(card_payload()).encode()))
    with pytest.raises(MalformedSeal, match="DEFLATE"):
        shc.parse_card(qr(f"{header}.{wrapped}.{signature}"))


def test_a_key_twice_in_the_payload_is_refused(issuer: Issuer) -> None:
    doubled = json.dumps(card_payload())[:-1].encode() + b',"iss":"https://evil.test"}'
    with pytest.raises(MalformedSeal, match="twice"):
        shc.parse_card(issuer.card(doubled))


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"iss": "http://issuer.test"}, "https"),
        ({"iss": ISS + "/"}, "trailing"),
        ({"nbf": "1700000000"}, "nbf is not a number"),
        ({"nbf": True}, "nbf is not a number"),
        ({"vc": {"type": ["https://smarthealth.cards#immunization"]}}, "health-card"),
    ],
)
def test_payload_refusals(issuer: Issuer, change: dict[str, Any], why: str) -> None:
    with pytest.raises(MalformedSeal, match=why):
        shc.parse_card(issuer.card(card_payload(**change)))


def test_times(issuer: Issuer, jwks: Any) -> None:
    assert judge(issuer.card(card_payload(exp=NOW.timestamp() - 10)), jwks) == "expired"
    assert judge(issuer.card(card_payload(nbf=NOW.timestamp() + 3600)), jwks) == "not_yet_valid"
    # nbf in milliseconds is far in the future, not a crash.
    assert judge(issuer.card(card_payload(nbf=NOW.timestamp() * 1000)), jwks) == "not_yet_valid"


# ---------------------------------------------------------------- chunks
def test_three_chunks_in_any_order_are_one_card(issuer: Issuer) -> None:
    data = issuer.card()
    parts = chunks(data, 3)
    assert [shc.chunk_of(p).index for p in parts] == [1, 2, 3]  # type: ignore[union-attr]
    [card] = shc.assemble([parts[2], b"https://example.com", parts[0], parts[1]])
    assert card.data == data and card.members == (0, 2, 3)
    assert shc.SHC().join(parts[::-1]) == data
    with pytest.raises(MalformedSeal, match="chunk 2 of 3 of a card"):
        shc.parse_card(parts[1])


def test_a_missing_or_extra_chunk_is_named(issuer: Issuer) -> None:
    parts = chunks(issuer.card(), 3)
    [broken] = shc.assemble(parts[:2])
    assert broken.data is None and broken.problem is not None and "chunk 3 of 3 is missing" in broken.problem
    [broken] = shc.assemble([*parts, b"shc:/4/3/0000"])
    assert broken.problem is not None and "chunk 4 of 3 is out of range" in broken.problem
    [broken] = shc.assemble([*parts, parts[0]])
    assert broken.problem is not None and "chunk 1 of 3 appears twice" in broken.problem
    # Over live frames the same chunk is seen again and again: one chunk.
    [card] = shc.assemble([*parts, parts[0], parts[2]], merge_repeats=True)
    assert card.data is not None
    with pytest.raises(MalformedSeal, match="missing"):
        shc.join_chunks(parts[1:])


def test_two_cards_of_three_chunks_in_one_image(issuer: Issuer) -> None:
    first = issuer.card(card_payload(nbf=1_700_000_000))
    second = issuer.card(card_payload(nbf=1_700_000_999))
    found = shc.assemble([*chunks(first, 3), *chunks(second, 3)])
    assert sorted(a.data for a in found if a.data) == sorted([first, second])
    assert all(a.problem is None for a in found)


def test_a_single_chunk_header_is_one_card(issuer: Issuer) -> None:
    data = issuer.card()
    assert shc.parse_card(b"shc:/1/1/" + data[5:]).signing_input == shc.parse_card(data).signing_input
    assert shc.chunk_of(b"shc:/1/1/" + data[5:]) is None


# ---------------------------------------------------------------- keys and trust sources
@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("wrong_kty_key.json", "kty must be 'EC'"),
        ("wrong_curve_key.json", "crv must be 'P-256'"),
        ("wrong_alg_key.json", "alg must be 'ES256'"),
        ("wrong_use_key.json", "use must be 'sig'"),
        ("wrong_kid_key.json", "not the key's RFC 7638 thumbprint"),
    ],
)
def test_the_validators_bad_keys_are_refused(name: str, why: str) -> None:
    if not TESTDATA.is_dir():
        pytest.skip(f"the SMART validator's test data lives in {TESTDATA}, which is absent")
    with pytest.raises(TrustError, match=why):
        shc.load_jwks((TESTDATA / name).read_bytes(), name)


def test_a_private_key_and_short_coordinates_are_refused(issuer: Issuer) -> None:
    with pytest.raises(TrustError, match="private"):
        shc.load_jwks(issuer.jwks(d="AAAA"), "leak.json")
    jwk = issuer.jwk()
    jwk["x"] = jwk["x"][:-1]
    with pytest.raises(TrustError, match="32-byte"):
        shc.load_jwks(json.dumps({"keys": [jwk]}).encode(), "short.json")


def test_sources_tell_files_apart(issuer: Issuer) -> None:
    bundle = json.dumps({"format": "scanverify.trust.v1", "keys": [{"spki": "AA"}]}).encode()
    directory_doc = json.dumps({"time": "2026-01-01T00:00:00Z", "issuerInfo": []}).encode()
    crl = json.dumps({"kid": "k", "method": "rid", "ctr": 1, "rids": []}).encode()
    jwks_source, directory_source, crl_source = shc.TRUST_SOURCES
    for data, wanted in ((issuer.jwks(), jwks_source), (directory_doc, directory_source), (crl, crl_source)):
        assert [s.name for s in shc.TRUST_SOURCES if s.sniff(data)] == [wanted.name]
    assert not any(s.sniff(bundle) for s in shc.TRUST_SOURCES)
    assert not any(s.sniff(b"-----BEGIN PUBLIC KEY-----") for s in shc.TRUST_SOURCES)


def _directory(issuer: Issuer, iss: str = ISS, **info: Any) -> bytes:
    entry = {"issuer": {"iss": iss, "name": "Test Health"}, "keys": [issuer.jwk()], **info}
    return json.dumps({"directory": "x", "time": "2026-11-01T00:00:00Z", "issuerInfo": [entry]}).encode()


def test_a_directory_binds_keys_to_their_issuer(issuer: Issuer) -> None:
    store = shc.load_directory(_directory(issuer), "dir.json")
    [key] = store.keys
    assert (key.iss, key.name) == (ISS, "Test Health")
    assert not key.warnings and store.expires is None
    stale = shc.load_directory(_directory(issuer), "dir.json", now=datetime(2026, 12, 15, tzinfo=UTC))
    assert stale.keys[0].warnings[0].startswith("the trust list is out of date (the issuer directory is of 2026-11-01")
    assert judge(issuer.card(), store) == "genuine"
    # The same key under another iss: trusted key, wrong issuer.
    result = verify(issuer.card(card_payload(iss="https://other.test")), store)
    assert (result.status.value, result.cause.value) == ("untrusted", "wrong_state")
    assert verify(issuer.card(), shc.load_jwks(Issuer().jwks(), "other.json")).cause.value == "unknown_key"


def test_crls_revoke_by_rid_with_the_time_bound_form(issuer: Issuer) -> None:
    nbf = 1_700_000_000
    rids = ["plainrid", f"timedrid.{nbf + 10}", f"pastrid.{nbf - 10}"]
    crl = {"kid": issuer.kid, "method": "rid", "ctr": 2, "rids": rids}
    both = shc.load_jwks(issuer.jwks(crlVersion=2), "j.json") + shc.load_crl(json.dumps(crl).encode(), "crl.json")
    in_directory = shc.load_directory(_directory(issuer, crls=[crl]), "dir.json")

    def with_rid(rid: str) -> str:
        payload = card_payload(nbf=nbf)
        payload["vc"]["rid"] = rid
        answer = judge(issuer.card(payload), both)
        assert judge(issuer.card(payload), in_directory) == answer
        return answer

    assert with_rid("plainrid") == "revoked"
    assert with_rid("timedrid") == "revoked"  # issued before the time given
    assert with_rid("pastrid") == "genuine"  # issued after it: a new card, not revoked
    assert with_rid("otherrid") == "genuine"


@pytest.mark.parametrize(
    ("crl", "why"),
    [
        ({"method": "other", "rids": []}, "method"),
        ({"rids": ["a.1", "a"]}, "twice"),
        ({"rids": ["x" * 25]}, "at most 24"),
        ({"rids": ["bad=="]}, "not a rid"),
        ({"ctr": 3, "rids": []}, "does not match the key's crlVersion 2"),
    ],
)
def test_bad_crls_are_refused(issuer: Issuer, crl: dict[str, Any], why: str) -> None:
    full = {"kid": issuer.kid, "method": "rid", "ctr": 2, **crl}
    data = json.loads(_directory(issuer, crls=[full]))
    data["issuerInfo"][0]["keys"][0]["crlVersion"] = 2
    with pytest.raises(TrustError, match=why):
        shc.load_directory(json.dumps(data).encode(), "dir.json")
    # In the VCI snapshot, one issuer's bad CRL is left out and noted, not fatal.
    store = shc.load_directory(json.dumps(data).encode(), "dir.json", strict=False)
    assert len(store.keys) == 1 and not store.revoked_seals and "left out" in store.sources[-1]


def test_x5c_must_hold_the_jwk_and_name_the_issuer() -> None:
    if not TESTDATA.is_dir():
        pytest.skip(f"the SMART validator's test data lives in {TESTDATA}, which is absent")
    examples = SHARED / "health-cards-gh-pages" / "examples" / "issuer" / ".well-known" / "jwks.json"
    keys = json.loads(examples.read_text())["keys"]
    with_chain = next(k for k in keys if "x5c" in k)
    entry = {
        "issuer": {"iss": "https://spec.smarthealth.cards/examples/issuer", "name": "Example"},
        "keys": [with_chain],
    }
    doc = {"time": "2026-11-01T00:00:00Z", "issuerInfo": [entry]}
    [key] = shc.load_directory(json.dumps(doc).encode(), "d.json").keys
    assert len(key.certificates) == 3
    entry["issuer"]["iss"] = "https://elsewhere.test"
    with pytest.raises(TrustError, match="subjectAltName"):
        shc.load_directory(json.dumps(doc).encode(), "d.json")
    mismatch = json.loads((TESTDATA / "cert_mismatch.public.json").read_text())
    with pytest.raises(TrustError, match=r"another key|x5c|thumbprint"):
        shc.load_jwks(json.dumps(mismatch).encode(), "cert_mismatch.public.json")
    broken = json.loads((TESTDATA / "invalid_chain.public.json").read_text())
    with pytest.raises(TrustError, match=r"chain|x5c"):
        shc.load_jwks(json.dumps(broken).encode(), "invalid_chain.public.json")


# ---------------------------------------------------------------- the VCI snapshot
def test_the_shipped_snapshot_checks_and_names_real_issuers() -> None:
    snapshot = directory.built_in_snapshot()
    assert snapshot.time == datetime(2026, 8, 22, 4, 43, 50, tzinfo=UTC)
    california = [k for k in snapshot.store.keys if k.iss == "https://myvaccinerecord.cdph.ca.gov/creds"]
    assert california and california[0].name == "State of California"
    assert len({k.iss for k in snapshot.store.keys}) > 600


def test_a_changed_snapshot_or_signature_is_refused() -> None:
    from importlib import resources

    folder = resources.files("scanverify").joinpath("data")
    data, signature = (
        folder.joinpath("vci_snapshot.json").read_bytes(),
        folder.joinpath("vci_snapshot.sig").read_bytes(),
    )
    directory.verify_snapshot_signature(data, signature)
    with pytest.raises(directory.RefusedSnapshot, match="does not verify"):
        directory.verify_snapshot_signature(data.replace(b"State of California", b"State of Kalifornia"), signature)
    with pytest.raises(directory.RefusedSnapshot, match="does not verify"):
        directory.verify_snapshot_signature(data, signature[:-1] + bytes([signature[-1] ^ 1]))


@pytest.fixture()
def vci_key(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A throw-away P-521 'VCI' pinned in place of the real certificate, to sign new snapshots."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP521R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test vci")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2040, 1, 1, tzinfo=UTC))
        .sign(private, hashes.SHA512())
    )
    monkeypatch.setattr(directory, "_pinned_certificate", lambda: certificate)
    monkeypatch.setattr(
        directory, "built_in_snapshot", lambda: directory.Snapshot(datetime(2026, 8, 22, tzinfo=UTC), None, "built-in")
    )
    return private


def _signed(private: Any, issuer: Issuer, time: str) -> tuple[bytes, bytes]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    entry = {"issuer": {"iss": ISS, "name": "Test Health"}, "keys": [issuer.jwk()]}
    data = json.dumps({"directory": "x", "time": time, "issuerInfo": [entry]}).encode()
    return data, private.sign(data, ec.ECDSA(hashes.SHA512()))


def test_install_takes_a_newer_snapshot_and_refuses_a_rollback(vci_key: Any, issuer: Issuer, tmp_path: Path) -> None:
    data, signature = _signed(vci_key, issuer, "2026-11-01T00:00:00Z")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "vci_snapshot.json").write_bytes(data)
    with pytest.raises(directory.RefusedSnapshot, match="no detached signature"):
        directory.install_snapshot_file(tmp_path / "in" / "vci_snapshot.json", home=tmp_path, now=NOW)
    (tmp_path / "in" / "vci_snapshot.sig").write_bytes(signature)
    message = directory.install_snapshot_file(tmp_path / "in" / "vci_snapshot.json", home=tmp_path, now=NOW)
    assert "1 issuers, 1 keys" in message
    active, problems = directory.active_snapshot(tmp_path)
    assert active.time == datetime(2026, 11, 1, tzinfo=UTC) and not problems
    older, older_signature = _signed(vci_key, issuer, "2026-10-01T00:00:00Z")
    with pytest.raises(directory.RefusedSnapshot, match="rollback"):
        directory.install_snapshot(older, older_signature, "older.json", home=tmp_path, now=NOW)
    with pytest.raises(directory.RefusedSnapshot, match="does not verify"):
        directory.install_snapshot(data.replace(b"Test", b"Fake"), signature, "edited.json", home=tmp_path, now=NOW)
    future, future_signature = _signed(vci_key, issuer, "2027-01-01T00:00:00Z")
    with pytest.raises(directory.RefusedSnapshot, match="future"):
        directory.install_snapshot(future, future_signature, "future.json", home=tmp_path, now=NOW)
    assert directory.active_snapshot(tmp_path)[0].time == datetime(2026, 11, 1, tzinfo=UTC)
    # An installed file edited afterwards no longer checks: the built-in one is used, and said.
    (tmp_path / "shc" / "vci_snapshot.json").write_bytes(data.replace(b"Test", b"Fake"))
    active, problems = directory.active_snapshot(tmp_path)
    assert active.source == "built-in" and "ignored" in problems[0]
