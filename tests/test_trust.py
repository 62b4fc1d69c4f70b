"""Loading trust: bundles, PEM keys and certificates, DER certificates, merging."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from specseal import Issuer, certificate_builder, make_seal

from scanverify import Cause, Role, Status, TrustError, TrustStore, Verifier

NOW = dt.datetime(2026, 11, 26, 12, tzinfo=dt.timezone.utc)
T = int(NOW.timestamp())
ROOT = Path(__file__).resolve().parents[1]


def certificate(issuer: Issuer, *, days: int = 365) -> x509.Certificate:
    start = NOW - dt.timedelta(days=30)
    return certificate_builder(issuer, "Consular Seal Signer 1", start, days).sign(issuer.private_key, hashes.SHA256())


def verify(store: TrustStore, text: str) -> Any:
    return Verifier(trust=store, clock=lambda: NOW).verify_payload(text)


def test_pem_certificate(issuer: Issuer, tmp_path: Path) -> None:
    cert = certificate(issuer)
    path = tmp_path / "signer.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    store = TrustStore.from_file(path)
    [key] = store.keys
    assert key.name == "Consular Seal Signer 1"
    # "one key, active, no time bounds" (seal-format.md section 7), whatever the certificate says
    assert key.not_before is None and key.not_after is None and not key.revoked
    # A certificate file is trust for the certificate-based formats, never for
    # CS1 (seal-format.md section 7): a CS1 key with a certificate is a bundle
    # entry with x5c.
    assert key.role is Role.CERTIFICATE and key.formats is None
    result = verify(store, make_seal(issuer, iat=T).text())
    assert (result.status, result.cause) == (Status.UNTRUSTED, Cause.UNKNOWN_KEY)


def test_der_certificate_and_x5c_bundle(issuer: Issuer, tmp_path: Path) -> None:
    der = certificate(issuer).public_bytes(serialization.Encoding.DER)
    path = tmp_path / "signer.der"
    path.write_bytes(der)
    assert verify(TrustStore.from_file(path), make_seal(issuer, iat=T).text()).status is Status.UNTRUSTED
    bundle = {
        "format": "scanverify.trust.v1",
        "version": 2,
        "keys": [{"x5c": [base64.b64encode(der).decode()], "iss": "CN"}],
    }
    store = TrustStore.from_bundle(bundle, "x5c bundle")
    assert verify(store, make_seal(issuer, iat=T).text()).genuine
    assert store.versions == {"x5c bundle": 2}
    later = dt.datetime(2028, 1, 1, tzinfo=dt.timezone.utc)
    seal = make_seal(issuer, iat=int(later.timestamp())).text()
    # "one key, active, no time bounds", whatever the certificate's own validity says
    assert Verifier(trust=store, clock=lambda: later).verify_payload(seal).status is Status.GENUINE


def test_revocation_in_any_source_wins(issuer: Issuer) -> None:
    active = TrustStore.from_bundle(issuer.bundle(), "a")
    revoked = TrustStore.from_bundle(issuer.bundle(status="revoked"), "b")
    seal = make_seal(issuer, iat=T).text()
    assert verify(active, seal).genuine
    assert verify(active + revoked, seal).status is Status.REVOKED
    assert verify(revoked + active, seal).status is Status.REVOKED


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "other"}, "not a scanverify.trust.v1"),
        ({"version": -1}, "version"),
        ({"version": "3"}, "version"),
        ({"keys": {}}, "keys must be a list"),
        ({"keys": [{}]}, "needs spki or x5c"),
        ({"keys": [{"spki": base64.b64encode(b"junk").decode()}]}, "not a readable public key"),
        ({"keys": [{"x5c": [base64.b64encode(b"junk").decode()]}]}, "not a readable X.509"),
        ({"revoked_seals": "CN/1"}, "revoked_seals"),
    ],
)
def test_bad_bundles_are_refused(change: dict[str, Any], message: str) -> None:
    bundle = {"format": "scanverify.trust.v1", "version": 1, "keys": [], **change}
    with pytest.raises(TrustError, match=message):
        TrustStore.from_bundle(bundle, "bad")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("iss", "China", "alpha-2"),
        ("status", "suspended", "status"),
        ("specimen", "yes", "specimen"),
        ("not_before", "2021-01-01T00:00:00", "no time zone"),
        ("not_after", "soon", "not an ISO-8601"),
        ("alg", "RS256", "unknown alg"),
        ("kid", "00", "does not match"),
    ],
)
def test_bad_key_entries_are_refused(issuer: Issuer, field: str, value: Any, message: str) -> None:
    with pytest.raises(TrustError, match=message):
        TrustStore.from_bundle(issuer.bundle(**{field: value}), "bad")


def test_unreadable_files(tmp_path: Path) -> None:
    for content, message in [
        (b"{not json", "not valid JSON"),
        (b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "unreadable public key"),
        (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "unreadable certificate"),
        (b"-----BEGIN PUBLIC KEY-----\nno end", "no complete PEM block"),
        (b"\x30\x01 random", "not a readable X.509"),
        (b"\x00\x01 random", "not a kind of trust file scanverify reads"),
        (b'{"something": "else"}', "not a kind of trust file scanverify reads"),
    ]:
        path = tmp_path / "trust.bin"
        path.write_bytes(content)
        with pytest.raises(TrustError, match=message):
            TrustStore.from_file(path)
    with pytest.raises(TrustError, match="cannot read"):
        TrustStore.from_file(tmp_path / "missing.json")


def test_unsupported_key_type(tmp_path: Path) -> None:
    small = ec.generate_private_key(ec.SECP192R1()) if hasattr(ec, "SECP192R1") else None
    if small is None:
        pytest.skip("this cryptography build has no P-192 to test with")
    path = tmp_path / "p192.pem"
    try:
        path.write_bytes(
            small.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
    except Exception:
        pytest.skip("this OpenSSL cannot serialise P-192")
    with pytest.raises(TrustError):
        TrustStore.from_file(path)


@pytest.mark.parametrize("name", ["default_trust.json", "public_certificates.json"])
def test_built_in_bundle_holds_public_keys_only(name: str) -> None:
    from scanverify.x509 import load_certificate

    text = (ROOT / "src" / "scanverify" / "data" / name).read_text()
    assert "PRIVATE" not in text
    bundle = json.loads(text)
    for entry in bundle["keys"]:
        # Only fields the bundle reader knows: nothing is carried that scanverify silently ignores.
        assert set(entry) <= {
            "spki",
            "x5c",
            "kid",
            "iss",
            "name",
            "alg",
            "not_before",
            "not_after",
            "status",
            "specimen",
            "role",
            "formats",
            "origin",
        }
        if "spki" in entry:
            serialization.load_der_public_key(base64.b64decode(entry["spki"]))  # a public key, or this raises
        else:
            [der] = entry["x5c"]
            load_certificate(base64.b64decode(der))  # a certificate (public key inside), or this raises
    store = TrustStore.from_bundle(bundle, name)
    assert len(store) == len(bundle["keys"]) >= 1
    # Only test issuers are signers on their own; a real issuer is trusted through its CA.
    assert all(key.specimen for key in store if key.role.value == "signer")
    assert all(key.origin or key.name.startswith("SPECIMEN Consular") for key in store)


@pytest.mark.parametrize("value", [["ES256"], {"alg": "ES256"}, 7, True])
def test_alg_of_the_wrong_json_type_is_refused_not_a_crash(issuer: Issuer, value: Any) -> None:
    # Regression: the atheris target `bundle` found that a list here raised TypeError.
    with pytest.raises(TrustError, match="unknown alg"):
        TrustStore.from_bundle(issuer.bundle(alg=value), "fuzzed")


def test_fuzz_finding_bundle_alg_list() -> None:
    text = (
        '{"keys": [{"spki": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEq2HyvBZqq6zERLWEJl0SqxkHyCOcbZMDcOXOwRu76x4zAts4'
        'GuV156r3P2O4JD9MRZj8kKKTl5j6aH/IgQ2i5Q==", "alg": [{"spki": "x"}], "kid": ""}]}'
    )
    with pytest.raises(TrustError):
        TrustStore.from_bytes(text.encode(), "fuzzed")
