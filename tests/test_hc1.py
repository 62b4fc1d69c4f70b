"""HC1 (EU DCC) seals made here, from the DCC specification, with our own certificates."""

from __future__ import annotations

import datetime as dt
import hashlib
import zlib
from typing import Any

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from hypothesis import given, settings
from hypothesis import strategies as st
from specseal import Issuer, b45, raw_sign

from scanverify import Status, TrustStore, Verifier

NOW = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)
T = int(NOW.timestamp())
TEST, VACC = "1.3.6.1.4.1.1847.2021.1.1", "1.3.6.1.4.1.1847.2021.1.2"
HCERT = {
    "ver": "1.3.0",
    "nam": {"fn": "Dupont", "gn": "Marie", "fnt": "DUPONT", "gnt": "MARIE"},
    "dob": "1990-04-01",
    "v": [
        {
            "tg": "840539006",
            "vp": "1119349007",
            "mp": "EU/1/20/1528",
            "ma": "ORG-100030215",
            "dn": 2,
            "sd": 2,
            "dt": "2021-06-01",
            "co": "FR",
            "is": "Ministry of Health",
            "ci": "URN:UVCI:01:FR:1234#X",
        }
    ],
}


def signer(issuer: Issuer, eku: list[str] | None, *, days: int = 3650) -> bytes:
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "DSC test")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(issuer.public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=30))
        .not_valid_after(NOW - dt.timedelta(days=30) + dt.timedelta(days=days))
    )
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([x509.ObjectIdentifier(o) for o in eku]), critical=False)
    return builder.sign(issuer.private_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def hc1(
    issuer: Issuer,
    certificate: bytes,
    *,
    hcert: dict[str, Any] | None = None,
    iat: int = T - 60,
    exp: int | None = T + 86400,
    compress: bool = True,
    tags: tuple[int, ...] = (18,),
    kid_where: str = "protected",
    alg_where: str = "protected",
) -> str:
    kid = hashlib.sha256(certificate).digest()[:8]
    alg = {"ES256": -7, "PS256": -37}[issuer.alg]
    protected: dict[int, Any] = {}
    unprotected: dict[int, Any] = {}
    (protected if kid_where == "protected" else unprotected)[4] = kid
    (protected if alg_where == "protected" else unprotected)[1] = alg
    claims: dict[int, Any] = {1: "FR", 6: iat, -260: {1: hcert or HCERT}}
    if exp is not None:
        claims[4] = exp
    protected_bytes = cbor2.dumps(protected)
    payload = cbor2.dumps(claims)
    signature = raw_sign(issuer.alg, issuer.private_key, cbor2.dumps(["Signature1", protected_bytes, b"", payload]))
    item: Any = [protected_bytes, unprotected, payload, signature]
    for tag in reversed(tags):
        item = cbor2.CBORTag(tag, item)
    data = cbor2.dumps(item)
    return "HC1:" + b45(zlib.compress(data) if compress else data)


def verify(text: str, certificate: bytes) -> Any:
    return Verifier(trust=TrustStore.from_bytes(certificate, "dsc"), clock=lambda: NOW).verify_payload(text)


@pytest.fixture(scope="module")
def es() -> Issuer:
    return Issuer("ES256")


@pytest.mark.parametrize(
    "variant",
    [{}, {"compress": False}, {"tags": ()}, {"tags": (61, 18)}, {"kid_where": "unprotected"}, {"exp": None}],
)
def test_dcc_variants_are_genuine(es: Issuer, variant: dict[str, Any]) -> None:
    cert = signer(es, None)
    result = verify(hc1(es, cert, **variant), cert)
    assert result.status is Status.GENUINE, result.reason
    assert result.format == "HC1" and result.claims["type"] == "v"
    facts = {f.label: f.value for f in result.facts}
    assert facts["Holder"] == "Marie Dupont" and facts["Date of birth"] == "1990-04-01" and facts["Dose"] == "2 of 2"


def test_ps256(es: Issuer) -> None:
    rsa = Issuer("PS256")
    cert = signer(rsa, None)
    assert verify(hc1(rsa, cert), cert).status is Status.GENUINE


def test_alg_only_unprotected_is_malformed(es: Issuer) -> None:
    cert = signer(es, None)
    assert verify(hc1(es, cert, alg_where="unprotected"), cert).status is Status.MALFORMED


def test_key_usage(es: Issuer) -> None:
    for eku, expected in [
        ([VACC], Status.GENUINE),
        ([TEST], Status.UNTRUSTED),
        ([TEST, VACC], Status.GENUINE),
        (["1.3.6.1.4.1.0.1847.2021.1.2"], Status.GENUINE),
        (["2.23.136.1.1.14.2"], Status.UNTRUSTED),
    ]:
        cert = signer(es, eku)
        result = verify(hc1(es, cert), cert)
        assert result.status is expected, (eku, result.reason)


def test_time_and_certificate_validity(es: Issuer) -> None:
    cert = signer(es, None)
    assert verify(hc1(es, cert, iat=T - 100, exp=T - 1), cert).status is Status.EXPIRED
    assert verify(hc1(es, cert, iat=T + 3600), cert).status is Status.NOT_YET_VALID
    short = signer(es, None, days=10)  # ended 20 days ago: signing now is after its end
    assert verify(hc1(es, short), short).status is Status.EXPIRED


def test_forged_and_untrusted(es: Issuer) -> None:
    cert = signer(es, None)
    text = hc1(es, cert, hcert={**HCERT, "dob": "1991-04-01"})
    good = hc1(es, cert)
    assert verify(good, signer(Issuer(), None)).status is Status.UNTRUSTED
    # swap the payload of one for another's: the signature no longer matches
    from scanverify._codec import b45decode

    a = cbor2.loads(zlib.decompress(b45decode(good[4:])))
    b = cbor2.loads(zlib.decompress(b45decode(text[4:])))
    mixed = cbor2.CBORTag(18, [a.value[0], a.value[1], b.value[2], a.value[3]])
    assert verify("HC1:" + b45(zlib.compress(cbor2.dumps(mixed))), cert).status is Status.FORGED


def test_several_types_are_malformed(es: Issuer) -> None:
    cert = signer(es, None)
    both = {**HCERT, "t": [{"tg": "840539006", "tt": "LP6464-4", "tr": "260415000", "sc": "2021-06-01T10:00:00Z"}]}
    assert verify(hc1(es, cert, hcert=both), cert).status is Status.MALFORMED


def test_redaction_hides_name_and_birth_date(es: Issuer) -> None:
    cert = signer(es, None)
    result = verify(hc1(es, cert), cert).redacted()
    text = str(result.to_json()) + str(result.facts)
    assert "Dupont" not in text and "1990-04-01" not in text and "Marie" not in text
    assert result.record["v"][0]["mp"] == "EU/1/20/1528"


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text().map(lambda t: "HC1:" + t),
        st.binary(max_size=400).map(lambda b: "HC1:" + b45(b)),
        st.binary(max_size=400).map(lambda b: "HC1:" + b45(zlib.compress(b))),
    )
)
def test_arbitrary_hc1_text_never_genuine(text: str) -> None:
    result = Verifier(trust=TrustStore(), clock=lambda: NOW).verify_payload(text)
    assert isinstance(result.status, Status) and result.status is not Status.GENUINE
