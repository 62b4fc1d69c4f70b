"""2D-Doc parsing rules on codes made at test time (throw-away keys), and bad input."""

from __future__ import annotations

import base64
import json

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


# ---- the plug-in: trust, dates, CRLs, facts, redaction (throw-away PKI) ------
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

from scanverify import Role, TrustStore, Verifier  # noqa: E402

START = datetime(2024, 1, 1, tzinfo=UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


class Pki:
    """A CA "ZZ01" and its signer "TST1", made at test time."""

    def __init__(self, leaf_days: int = 365) -> None:
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca = (
            x509.CertificateBuilder()
            .subject_name(_name("ZZ01"))
            .issuer_name(_name("ZZ01"))
            .public_key(self.ca_key.public_key())
            .serial_number(1)
            .not_valid_before(START - timedelta(days=10))
            .not_valid_after(START + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(self.ca_key, hashes.SHA256())
        )
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.leaf = (
            x509.CertificateBuilder()
            .subject_name(_name("TST1"))
            .issuer_name(self.ca.subject)
            .public_key(self.key.public_key())
            .serial_number(4242)
            .not_valid_before(START)
            .not_valid_after(START + timedelta(days=leaf_days))
            .sign(self.ca_key, hashes.SHA256())
        )

    def der(self, certificate: x509.Certificate) -> bytes:
        from cryptography.hazmat.primitives.serialization import Encoding

        return certificate.public_bytes(Encoding.DER)

    def trust(self, *, crls: tuple[bytes, ...] = (), anchor: bool = True) -> TrustStore:
        keys = [TrustStore.from_bytes(self.der(self.leaf), "TST1.der").keys[0]]
        if anchor:
            keys.append(TrustStore.from_bytes(self.der(self.ca), "ZZ01.der").keys[0])
        from scanverify.x509 import CrlSource

        # CRLs come in as the CRL trust source loads them (scanverify.x509).
        return TrustStore.combine([TrustStore(keys=tuple(keys)), *(CrlSource().load(c, "zz01.crl") for c in crls)])

    def crl(self, *serials: int) -> bytes:
        from cryptography.hazmat.primitives.serialization import Encoding

        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.ca.subject)
            .last_update(START)
            .next_update(START + timedelta(days=30))
        )
        for serial in serials:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(START).build()
            )
        return builder.sign(self.ca_key, hashes.SHA256()).public_bytes(Encoding.DER)

    def seal(self, signed: datetime, body: str = "10MME/SPECIMEN/NATACHA" + GS + "2475000", doc_type: str = "01") -> bytes:
        days = f"{(signed.date() - datetime(2000, 1, 1).date()).days:04X}"
        return sign(f"DC04ZZ01TST1{days}{days}{doc_type}01FR" + body, key=self.key).encode()


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


def _verdict(pki: Pki, seal: bytes, trust: TrustStore, at: datetime = START + timedelta(days=40)) -> tuple[str, str]:
    result = Verifier(trust=trust, clock=lambda: at).verify_payload(seal)
    return result.status.value, result.cause.value


def test_leaf_chained_to_its_ca_is_genuine(pki: Pki) -> None:
    assert _verdict(pki, pki.seal(START + timedelta(days=30)), pki.trust()) == ("genuine", "none")


def test_leaf_without_its_ca_is_untrusted_chain(pki: Pki) -> None:
    assert _verdict(pki, pki.seal(START + timedelta(days=30)), pki.trust(anchor=False)) == ("untrusted", "chain")


def test_a_ca_named_alike_but_with_another_key_does_not_chain(pki: Pki) -> None:
    impostor = Pki()  # also "ZZ01", another key
    trust = TrustStore(keys=(pki.trust(anchor=False).keys[0], impostor.trust().keys[1]))
    assert _verdict(pki, pki.seal(START + timedelta(days=30)), trust) == ("untrusted", "chain")


def test_signed_before_the_certificate_is_not_yet_valid(pki: Pki) -> None:
    assert _verdict(pki, pki.seal(START - timedelta(days=2)), pki.trust()) == ("not_yet_valid", "key_not_yet_valid")


def test_signed_after_the_certificate_ended_is_expired(pki: Pki) -> None:
    at = START + timedelta(days=400)
    assert _verdict(pki, pki.seal(START + timedelta(days=380)), pki.trust(), at) == ("expired", "key_expired")


def test_signed_on_the_certificates_first_day_is_genuine(pki: Pki) -> None:
    # The header has the day only: the certificate starts that day (at 00:00 here, later in real life).
    assert _verdict(pki, pki.seal(START), pki.trust()) == ("genuine", "none")


def test_certificate_on_its_cas_crl_is_revoked(pki: Pki) -> None:
    seal = pki.seal(START + timedelta(days=30))
    assert _verdict(pki, seal, pki.trust(crls=(pki.crl(4242),))) == ("revoked", "revoked_key")
    assert _verdict(pki, seal, pki.trust(crls=(pki.crl(7),))) == ("genuine", "none")


def test_a_crl_not_signed_by_the_ca_revokes_nothing(pki: Pki) -> None:
    forged_crl = Pki().crl(4242)  # names "ZZ01", signed by another key
    assert _verdict(pki, pki.seal(START + timedelta(days=30)), pki.trust(crls=(forged_crl,))) == ("genuine", "none")


def test_tampered_seal_is_forged(pki: Pki) -> None:
    seal = pki.seal(START + timedelta(days=30)).replace(b"75000", b"75001")
    assert _verdict(pki, seal, pki.trust()) == ("forged", "signature")


def test_broken_dc_text_is_malformed_and_other_text_is_not_a_seal(pki: Pki) -> None:
    assert _verdict(pki, b"DC04ZZ01", pki.trust())[0] == "malformed"
    assert _verdict(pki, b"HELLO DC", pki.trust())[0] == "not_a_seal"


def test_facts_name_type_and_fields_in_french_and_english_and_redaction_hides_personal(pki: Pki) -> None:
    result = Verifier(trust=pki.trust(), clock=lambda: START + timedelta(days=40)).verify_payload(
        pki.seal(START + timedelta(days=30), "10MME/SPECIMEN/NATACHA" + GS + "2475000" + "26FR" + "ZZ99", "02")
    )
    facts = {f.label: f for f in result.facts}
    assert facts["Type de document / Document type"].value == "Avis de taxe d'habitation / Housing tax notice"
    holder = facts["Beneficiary address line 1 (name)"]
    assert holder.value == "MME/SPECIMEN/NATACHA (Ligne 1 de la norme adresse postale du bénéficiaire de la prestation)"
    assert holder.personal and not facts["Service address country"].personal
    assert facts["Données non reconnues / Unrecognised data"].value == "ZZ99"  # ZZ is no field id
    redacted = result.redacted()
    text = json.dumps(redacted.to_json())
    assert "NATACHA" not in text and "75000" not in text and "ZZ99" not in text and '"26"' in text


def test_unknown_document_type_is_shown_raw(pki: Pki) -> None:
    result = Verifier(trust=pki.trust(), clock=lambda: START + timedelta(days=40)).verify_payload(
        pki.seal(START + timedelta(days=30), doc_type="Z9")
    )
    assert result.status.value == "genuine"
    assert result.facts[0].value == "type Z9 (inconnu / unknown)" and result.record["document_type_name"] is None


# ---- the ANTS trust-service list ------------------------------------------------
TSL = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "fr-2d-doc" / "nipo-tdd" / "tdd" / "chains" / "tsl_signed.xml"
needs_tsl = pytest.mark.skipif(not TSL.is_file(), reason="the ANTS list lives in ../shared, which is absent")


@needs_tsl
def test_tsl_loads_the_listed_cas_as_2ddoc_anchors() -> None:
    store = TrustStore.from_file(TSL)
    assert [k.iss for k in store.keys] == ["FR01", "FR03", "FR04", "FR05", "FR06", "FR07"]
    assert all(k.role is Role.ANCHOR and k.formats == frozenset({"2D-DOC"}) and not k.revoked for k in store.keys)
    assert store.expires == datetime(2026, 2, 25, 11, tzinfo=UTC) and list(store.versions.values()) == [22]


@needs_tsl
@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"<tsl:TSLSequenceNumber>22<", b"<tsl:TSLSequenceNumber>23<"),  # signed content
        (b"Goodflag FR07", b"Badflag FR07"),
        (b"<xades:SigningTime>2025-08-25T08:19:41Z", b"<xades:SigningTime>2025-08-25T08:19:42Z"),  # signed properties
    ],
)
def test_tsl_edited_anywhere_signed_is_refused(old: bytes, new: bytes) -> None:
    from scanverify import TrustError

    data = TSL.read_bytes()
    assert old in data
    with pytest.raises(TrustError, match="does not verify"):
        TrustStore.from_bytes(data.replace(old, new, 1), "edited.xml")


@needs_tsl
def test_tsl_signed_by_an_unpinned_key_is_refused() -> None:
    from scanverify import TrustError
    from scanverify.formats.ddoc_tsl import AntsTsl

    with pytest.raises(TrustError, match="not ANTS's pinned"):
        AntsTsl(pins=["00" * 32]).load(TSL.read_bytes(), "tsl.xml")


def test_tsl_that_is_not_xml_is_a_trust_error() -> None:
    from scanverify import TrustError
    from scanverify.formats.ddoc_tsl import AntsTsl

    source = AntsTsl()
    data = b"<tsl:TrustServiceStatusList> FR:2D-Doc <unclosed"
    assert source.sniff(data)
    with pytest.raises(TrustError):
        source.load(data, "broken.xml")


def test_a_stale_crl_is_said_with_the_verdict(pki: Pki) -> None:
    """The CA's CRL is past its next update at the time of checking: the verdict stands, and says so."""
    seal = pki.seal(START + timedelta(days=20))
    fresh = Verifier(trust=pki.trust(crls=(pki.crl(7),)), clock=lambda: START + timedelta(days=25)).verify_payload(seal)
    assert (fresh.status.value, fresh.warnings) == ("genuine", ())
    stale = Verifier(trust=pki.trust(crls=(pki.crl(7),)), clock=lambda: START + timedelta(days=40)).verify_payload(seal)
    assert stale.status.value == "genuine"
    assert [w for w in stale.warnings if "CRL" in w] == [
        f"the CRL of ZZ01 (FR) is out of date (next update {START + timedelta(days=30):%Y-%m-%d})"
    ]
    revoked = Verifier(trust=pki.trust(crls=(pki.crl(4242),)), clock=lambda: START + timedelta(days=40))
    result = revoked.verify_payload(seal)
    assert result.status.value == "revoked" and any("out of date" in w for w in result.warnings)


def test_a_crl_not_signed_by_the_ca_is_said_to_be_ignored(pki: Pki) -> None:
    result = Verifier(trust=pki.trust(crls=(Pki().crl(4242),)), clock=lambda: START + timedelta(days=25)).verify_payload(
        pki.seal(START + timedelta(days=20))
    )
    assert result.status.value == "genuine"
    assert any("not signed by it and was ignored" in w for w in result.warnings), result.warnings
