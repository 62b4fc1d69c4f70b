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
from specseal import Issuer, b45, certificate_builder, raw_sign

from scanverify import Cause, Status, TrustStore, Verifier

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


def signer(
    issuer: Issuer,
    eku: list[str] | None,
    *,
    days: int = 3650,
    start: dt.datetime = NOW - dt.timedelta(days=30),
    raw_extensions: tuple[tuple[str, bytes], ...] = (),
) -> bytes:
    """A self-signed DSC; raw_extensions are added as DER bytes, unchecked (for non-strict DER)."""
    builder = certificate_builder(issuer, "DSC test", start, days)
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([x509.ObjectIdentifier(o) for o in eku]), critical=False)
    for oid, value in raw_extensions:
        builder = builder.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), value), critical=False)
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
    iss: str = "FR",
    extra_protected: dict[int, Any] | None = None,
) -> str:
    kid = hashlib.sha256(certificate).digest()[:8]
    alg = {"ES256": -7, "PS256": -37}[issuer.alg]
    protected: dict[int, Any] = {}
    unprotected: dict[int, Any] = {}
    (protected if kid_where == "protected" else unprotected)[4] = kid
    (protected if alg_where == "protected" else unprotected)[1] = alg
    protected.update(extra_protected or {})
    claims: dict[int, Any] = {1: iss, 6: iat, -260: {1: hcert or HCERT}}
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
        # An EKU that names no DCC type restricts nothing, as the reference
        # verifiers read it: Spain's DSCs (ES in the EU suite) carry only other
        # OIDs; this one is the ICAO VDS-NC signer OID (IS/3).
        (["2.23.136.1.1.14.2"], Status.GENUINE),
        (["1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.4"], Status.GENUINE),
        (["1.3.6.1.5.5.7.3.4", TEST], Status.UNTRUSTED),
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


# ---- added: headers, signer certificates, what is shown, hostile shapes --------------------------

BASIC_CONSTRAINTS, EKU = "2.5.29.19", "2.5.29.37"
#: BasicConstraints with cA=FALSE written out, which DER forbids (Finland's signers do it).
EXPLICIT_CA_FALSE = bytes.fromhex("3003010100")


def test_crit_header_is_malformed(es: Issuer) -> None:
    cert = signer(es, None)
    result = verify(hc1(es, cert, extra_protected={2: [-70000]}), cert)
    assert result.status is Status.MALFORMED and "crit" in result.reason


def test_kid_protected_wins_over_unprotected(es: Issuer) -> None:
    cert = signer(es, None)
    good = hc1(es, cert, kid_where="unprotected")
    assert verify(good, cert).status is Status.GENUINE
    wrong_protected = hc1(es, cert, extra_protected={4: b"\x00" * 8})  # overrides the right kid
    assert verify(wrong_protected, cert).status is Status.UNTRUSTED


def test_signer_not_yet_valid_when_signing(es: Issuer) -> None:
    later = signer(es, None, start=NOW - dt.timedelta(days=1))
    result = verify(hc1(es, later, iat=T - 3 * 86400), later)
    assert result.status is Status.NOT_YET_VALID and "before the signer's certificate" in result.reason


def test_seal_outliving_its_signer_stays_genuine(es: Issuer) -> None:
    # The signer's end bounds when it may sign (iat), not the seal's exp (EU suite PL/1.3.0/6).
    cert = signer(es, None, days=31)
    assert verify(hc1(es, cert, exp=T + 365 * 86400), cert).status is Status.GENUINE


def test_key_usage_reason_names_what_the_signer_may_issue(es: Issuer) -> None:
    cert = signer(es, [TEST])
    result = verify(hc1(es, cert), cert)
    assert result.status is Status.UNTRUSTED
    assert result.reason == "the signer may issue only test certificates, not this vaccination certificate"


def test_key_usage_is_judged_before_the_signers_validity(es: Issuer) -> None:
    from scanverify.formats.hc1 import HC1

    cert = signer(es, [TEST], days=10)  # ended 20 days ago, and for tests only
    seal = HC1().parse(hc1(es, cert))
    trust = TrustStore.from_bytes(cert, "dsc")
    findings = HC1().policy(seal, trust.keys[0], trust, NOW)
    assert {f.cause for f in findings} == {Cause.KEY_USAGE, Cause.KEY_EXPIRED}
    result = verify(hc1(es, cert), cert)
    assert (result.status, result.cause) == (Status.UNTRUSTED, Cause.KEY_USAGE)
    assert result.reason == "the signer may issue only test certificates, not this vaccination certificate"
    assert result.signature_valid is True and result.key is not None


@pytest.mark.parametrize(
    ("eku", "expected"),
    [([VACC], Status.GENUINE), ([TEST], Status.UNTRUSTED), (None, Status.GENUINE)],
)
def test_non_strict_der_signer_is_read(es: Issuer, eku: list[str] | None, expected: Status) -> None:
    cert = signer(es, eku, raw_extensions=((BASIC_CONSTRAINTS, EXPLICIT_CA_FALSE),))
    with pytest.raises(ValueError):
        _ = x509.load_der_x509_certificate(cert).extensions  # cryptography refuses it
    result = verify(hc1(es, cert), cert)
    assert result.status is expected, result.reason


def test_empty_eku_allows_every_type(es: Issuer) -> None:
    # RFC 5280 forbids an empty EKU; the EU suite (common/CO15) reads it as none.
    cert = signer(es, None, raw_extensions=((EKU, b"\x30\x00"),))
    assert verify(hc1(es, cert), cert).status is Status.GENUINE


def test_unreadable_eku_fails_closed(es: Issuer) -> None:
    cert = signer(es, None, raw_extensions=((EKU, b"\x30\x03\x02\x01\x00"),))  # an INTEGER, not an OID
    result = verify(hc1(es, cert), cert)
    assert result.status is Status.UNTRUSTED and "cannot be read" in result.reason


def test_eku_reader_on_der_oids() -> None:
    from scanverify.x509 import _oid

    assert _oid(bytes.fromhex("2b0601040181e656")) == "1.3.6.1.4.1.29526"
    assert _oid(bytes.fromhex("550425")) == "2.5.4.37"
    assert _oid(bytes.fromhex("8837")) == "2.999"


def test_bundle_binds_the_signer_to_its_state(es: Issuer) -> None:
    import base64

    cert = signer(es, None)
    entry = {
        "x5c": [base64.b64encode(cert).decode()],
        "kid": hashlib.sha256(cert).digest()[:8].hex(),
        "formats": ["HC1"],
    }
    for iss, expected in [("FR", Status.GENUINE), ("DE", Status.UNTRUSTED)]:
        store = TrustStore.from_bundle({"keys": [{**entry, "iss": iss}]}, "bundle")
        result = Verifier(trust=store, clock=lambda: NOW).verify_payload(hc1(es, cert))
        assert result.status is expected, result.reason
    # A key bound to one state verifies only seals that name that state: a DCC
    # whose iss is a ministry's name, or that has no iss, does not.
    store = TrustStore.from_bundle({"keys": [{**entry, "iss": "GE"}]}, "bundle")
    for iss in ("Ministry of Health", None):
        result = Verifier(trust=store, clock=lambda: NOW).verify_payload(hc1(es, cert, iss=iss))
        assert (result.status, result.cause) == (Status.UNTRUSTED, Cause.WRONG_STATE), iss
    # The same certificate unbound (as a DSC file) verifies both.
    assert verify(hc1(es, cert, iss="Ministry of Health"), cert).status is Status.GENUINE


def test_bundle_entry_is_cs1_trust_unless_it_names_hc1(es: Issuer) -> None:
    import base64

    cert = signer(es, None)
    store = TrustStore.from_bundle({"keys": [{"x5c": [base64.b64encode(cert).decode()]}]}, "bundle")
    result = Verifier(trust=store, clock=lambda: NOW).verify_payload(hc1(es, cert))
    assert (result.status, result.cause) == (Status.UNTRUSTED, Cause.UNKNOWN_KEY)


def test_x5c_entry_may_state_the_dcc_kid(es: Issuer) -> None:
    import base64

    from scanverify.errors import TrustError

    cert = signer(es, None)
    x5c = [base64.b64encode(cert).decode()]
    for kid in (hashlib.sha256(cert).digest()[:8].hex(), TrustStore.from_bytes(cert, "c").keys[0].kid_hex):
        assert len(TrustStore.from_bundle({"keys": [{"x5c": x5c, "kid": kid}]}, "b")) == 1
    with pytest.raises(TrustError, match="does not match"):
        TrustStore.from_bundle({"keys": [{"x5c": x5c, "kid": "00" * 8}]}, "b")


def test_pem_certificate_keeps_the_dcc_kid(es: Issuer) -> None:
    cert = signer(es, None)
    pem = x509.load_der_x509_certificate(cert).public_bytes(serialization.Encoding.PEM)
    assert verify(hc1(es, cert), pem).status is Status.GENUINE


def test_facts_of_test_and_recovery_certificates(es: Issuer) -> None:
    cert = signer(es, None)
    base = {k: v for k, v in HCERT.items() if k != "v"}
    test = {
        "tg": "840539006",
        "tt": "LP217198-3",
        "ma": "1232",
        "sc": cbor2.CBORTag(1, T - 7200),
        "tr": "260415000",
        "tc": "Centre de test",
        "co": "FR",
        "is": "Ministry of Health",
        "ci": "URN:UVCI:01:FR:T#1",
    }
    result = verify(hc1(es, cert, hcert={**base, "t": [test]}), cert)
    facts = {f.label: f.value for f in result.facts}
    assert result.status is Status.GENUINE, result.reason
    assert facts["Certificate type"].endswith("test")
    assert facts["Test type"] == "rapid antigen" and facts["Result"] == "not detected (negative)"
    assert facts["Sample taken"] == "2026-11-26T10:00:00Z" and result.record["t"][0]["sc"] == facts["Sample taken"]
    recovery = {"tg": "840539006", "fr": "2026-10-01", "co": "FR", "is": "MoH", "df": "2026-10-12", "du": "2027-03-30"}
    facts = {f.label: f.value for f in verify(hc1(es, cert, hcert={**base, "r": [recovery]}), cert).facts}
    assert (facts["First positive test"], facts["Valid from"], facts["Valid until"]) == (
        "2026-10-01",
        "2026-10-12",
        "2027-03-30",
    )
    assert facts["Country"] == "FR" and facts["Certificate issuer"] == "MoH"
    personal = {f.label for f in verify(hc1(es, cert), cert).facts if f.personal}
    assert personal == {"Holder", "Date of birth"}


def test_vaccine_product_is_named(es: Issuer) -> None:
    cert = signer(es, None)
    facts = {f.label: f.value for f in verify(hc1(es, cert), cert).facts}
    assert facts["Vaccine"] == "Comirnaty (BioNTech/Pfizer), EU/1/20/1528" and facts["Vaccinated on"] == "2021-06-01"


@pytest.mark.parametrize("moment", [float("nan"), float("inf"), -(10**15), 10**15])
def test_unrepresentable_time_inside_the_certificate_is_malformed(es: Issuer, moment: float) -> None:
    # Read before the signature is checked: a crash here would be anyone's to cause.
    cert = signer(es, None)
    hcert = {**HCERT, "v": [{**HCERT["v"][0], "dt": cbor2.CBORTag(1, moment)}]}
    result = verify(hc1(es, cert, hcert=hcert), cert)
    assert result.status is Status.MALFORMED and "not representable" in result.reason


def test_keys_that_collide_as_text_are_malformed(es: Issuer) -> None:
    cert = signer(es, None)
    result = verify(hc1(es, cert, hcert={**HCERT, 1: "a", "1": "b"}), cert)
    assert result.status is Status.MALFORMED and "twice" in result.reason


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_never_genuine(data: bytes) -> None:
    verifier = Verifier(trust=TrustStore(), clock=lambda: NOW)
    for payload in (data, b"HC1:" + data):
        result = verifier.verify_payload(payload)
        assert isinstance(result.status, Status) and result.status is not Status.GENUINE


_json_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats()
    | st.text(max_size=20)
    | st.binary(max_size=10)
    | st.builds(
        cbor2.CBORTag, st.sampled_from([0, 1, 2, 32, 1004]), st.integers() | st.floats() | st.text(max_size=30)
    ),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["v", "t", "r", "nam", "dob", "dn", "sd", "mp", "tt", "tr", "fn", "gn", 1]),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@pytest.fixture(scope="module")
def fuzz_signer() -> tuple[Issuer, bytes]:
    issuer = Issuer("ES256")
    return issuer, signer(issuer, [VACC])


@settings(max_examples=150, deadline=None)
@given(hcert=st.dictionaries(st.sampled_from(["v", "t", "r", "nam", "dob", "ver"]), _json_like, max_size=5))
def test_signed_arbitrary_certificate_content_is_a_status(fuzz_signer: tuple[Issuer, bytes], hcert: Any) -> None:
    # Correctly signed by a trusted signer, so every step runs on hostile shapes: parse, facts, key policy.
    issuer, cert = fuzz_signer
    result = verify(hc1(issuer, cert, hcert=hcert or {"x": 1}), cert)
    assert isinstance(result.status, Status)
    result.redacted().to_json()


def test_key_usage_ranks_before_time_verdicts() -> None:
    # An expired certificate from a signer not allowed to sign this type: the
    # section 6 order puts "untrusted" before "expired".
    es = Issuer("ES256")
    cert = signer(es, [TEST])
    result = verify(hc1(es, cert, iat=T - 100, exp=T - 1), cert)
    assert result.status is Status.UNTRUSTED
