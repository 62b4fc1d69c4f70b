"""scanverify.x509 on the real ICAO / ANTS material in ../shared, and on throw-away CAs made here."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509 as cx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from scanverify import x509
from scanverify.errors import TrustError
from scanverify.model import Role

SHARED = Path(__file__).resolve().parents[2] / "shared" / "conformance"
NC = SHARED / "icao-vds-nc"
APO = NC / "australian-passport-office" / "extracted"
KURZ_NC = NC / "kurzdigital-vds-jvm" / "src" / "test" / "resources"
TSENGER = SHARED / "icao-vds" / "tsenger-vdstools"
CHAINS = SHARED / "fr-2d-doc" / "nipo-tdd" / "tdd" / "chains"
NOW = dt.datetime.now(dt.UTC)

if not SHARED.is_dir():  # the conformance data sits beside the repository, not in it
    pytest.skip("../shared/conformance is not present", allow_module_level=True)


def cert(path: Path) -> x509.Certificate:
    return x509.load_certificate(path.read_bytes())


def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def vdsnc(path: Path) -> tuple[bytes, x509.Certificate, bytes]:
    """(the signed JCS bytes, the BSC, the raw r||s) of a VDS-NC seal file."""
    seal = json.loads(path.read_bytes())
    # For these samples (strings and integers only) RFC 8785 is sorted compact JSON (SOURCE.md).
    signed = json.dumps(seal["data"], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return signed, x509.load_certificate(b64url(seal["sig"]["cer"])), b64url(seal["sig"]["sigvl"])


@pytest.fixture(scope="module")
def master_list() -> x509.MasterList:
    return x509.load_master_list((KURZ_NC / "DE_ML_2025-08-14-07-41-09.ml").read_bytes())


# ------------------------------------------------------------------ real material


def test_japanese_csca_with_explicit_ec_parameters_loads_and_its_crl_verifies() -> None:
    jp = cert(APO / "JP_CSCA_e-passportCSCA_serialE3_explicitEC.der")
    assert isinstance(jp.public_key, ec.EllipticCurvePublicKey)
    assert jp.public_key.curve.name == "secp384r1"  # the explicit parameters, recognised
    assert (jp.country, jp.is_ca, jp.self_signed) == ("JP", True, True)  # its own ECDSA-SHA384 signature verifies
    crl = x509.load_crl((APO / "JP_CSCA_CRL.crl").read_bytes())
    assert x509.crl_signed_by(crl, jp)
    assert not x509.crl_signed_by(crl, cert(APO / "AU_CSCA_Passport_Country_Signing_Authority_serial16F2.der"))
    broken = bytearray(crl.der)
    broken[-5] ^= 1  # inside the signature
    assert not x509.crl_signed_by(x509.load_crl(bytes(broken)), jp)


def test_australian_bsc_chains_to_its_csca_and_the_crl_is_stale_today() -> None:
    csca = cert(APO / "AU_CSCA_Passport_Country_Signing_Authority_serial16F2.der")
    bsc = cert(APO / "AU_BSC_DFAT_serial18AD.der")
    crl = x509.load_crl((APO / "AU_CSCA_CRL_2021-08-19.crl").read_bytes())
    assert x509.crl_signed_by(crl, csca)
    result = x509.chain(bsc, [csca], [crl], NOW, required_eku=x509.VDS_NC_BSC_EKU)
    assert result.ok and result.anchor == csca
    assert result.warnings == (
        "the CRL of Passport Country Signing Authority (AU) is out of date (next update 2021-11-17)",
    )
    fresh = x509.chain(bsc, [csca], [crl], dt.datetime(2021, 9, 15, tzinfo=dt.UTC), required_eku=x509.VDS_NC_BSC_EKU)
    assert fresh.ok and fresh.warnings == ()
    # The test CSCA has the same kind of name but is another CA: it certifies nothing here.
    other = cert(APO / "AU_TEST_CSCA_Passport_Country_Signing_Auth_TEST_serial3100.der")
    refused = x509.chain(bsc, [other], [], NOW)
    assert not refused.ok and refused.failure is x509.ChainFailure.CHAIN


@pytest.mark.parametrize(
    "path", [KURZ_NC / "vdsnc_sample_proof_of_test", KURZ_NC / "vdsnc_sample_proof_of_vaccination"]
)
def test_uto_bscs_with_null_ecdsa_parameters_load_and_their_seals_verify(path: Path) -> None:
    signed, bsc, signature = vdsnc(path)
    assert (bsc.country, bsc.issuer_text) == ("UT", "Common Name: UT CA, Country: UT")
    assert bsc.signature_algorithm == "1.2.840.10045.4.3.2"
    assert x509.VDS_NC_BSC_EKU in (bsc.extended_key_usage or ())
    assert x509.ecdsa_verify(bsc.public_key, signed, signature, "sha256")
    assert not x509.ecdsa_verify(bsc.public_key, signed.replace(b"UTO", b"UTA", 1), signature, "sha256")
    # "UT CA" is published nowhere: the BSC chains to nothing.
    result = x509.chain(bsc, [cert(APO / "AU_CSCA_Passport_Country_Signing_Authority_serial16F2.der")], [], NOW)
    assert (result.ok, result.failure) == (False, x509.ChainFailure.CHAIN)
    assert "UT CA" in result.reason


@pytest.mark.parametrize(
    ("name", "genuine"),
    [
        ("vdsnc_AUS_valid_JANE_CATHERINE.json", True),
        ("vdsnc_AUS_valid_JOHN.json", True),
        ("vdsnc_AUS_tampered_JANEX_CATHERINE.json", False),
        ("vdsnc_AUS_tampered_JOHNX.json", False),
    ],
)
def test_australian_seals(name: str, genuine: bool) -> None:
    signed, bsc, signature = vdsnc(APO / name)
    assert bsc == cert(APO / "AU_BSC_DFAT_serial18AD.der")
    assert x509.ecdsa_verify(bsc.public_key, signed, signature, "sha256") is genuine


def vds_vectors() -> list[tuple[str, str, str]]:
    vectors = json.loads((TSENGER / "extracted" / "VDS_VECTORS.json").read_bytes())["vds"]
    return [(n, v["hex"], v["certificate"]) for n, v in vectors.items() if v.get("signature_verifies_independently")]


@pytest.mark.parametrize(("name", "seal", "certificate"), vds_vectors())
def test_vds_vectors_verify_including_brainpool_p224r1(name: str, seal: str, certificate: str) -> None:
    data = bytes.fromhex(seal)
    signer = cert(TSENGER / certificate)
    size = 2 * ((signer.public_key.key_size + 7) // 8)
    assert data[-size - 2 :][:2] == bytes([0xFF, size])  # the signature zone: tag 0xFF, length, r||s
    signed, signature = data[: -size - 2], data[-size:]
    hash_name = "sha224" if signer.public_key.key_size == 224 else "sha256"  # the curve decides (TR-03137)
    assert x509.ecdsa_verify(signer.public_key, signed, signature, hash_name)
    assert not x509.ecdsa_verify(signer.public_key, signed[:-1] + bytes([signed[-1] ^ 1]), signature, hash_name)


def test_dets32_is_brainpool_p224r1_in_pure_python() -> None:
    dets32 = cert(TSENGER / "src" / "commonTest" / "resources" / "sealgen_DETS32.crt")
    assert isinstance(dets32.public_key, x509.PurePythonECKey)
    assert (dets32.public_key.curve.name, dets32.public_key.key_size) == ("brainpoolP224r1", 224)
    assert dets32.signature_algorithm == "1.2.840.10045.4.3.1"  # ecdsa-with-SHA224
    assert any(v[2].endswith("DETS32.crt") for v in vds_vectors())


def test_2d_doc_fr03_leaves_chain_to_the_fr03_ca() -> None:
    fr03 = cert(CHAINS / "FR03.der")
    assert fr03.is_ca and not fr03.self_signed  # certified by Certigna: an anchor all the same
    leaves = sorted(CHAINS.glob("FR03_*.der"))
    assert len(leaves) > 100
    for path in leaves:
        result = x509.chain(cert(path), [fr03], [], NOW)
        assert result.ok, (path.name, result.reason)
    # Another ANTS CA does not certify FR03's leaves.
    result = x509.chain(cert(CHAINS / "FR03_AV01.der"), [cert(CHAINS / "FR01.der")], [], NOW)
    assert not result.ok and result.failure is x509.ChainFailure.CHAIN


def test_a_tampered_certificate_does_not_chain() -> None:
    csca = cert(APO / "AU_CSCA_Passport_Country_Signing_Authority_serial16F2.der")
    der = (APO / "AU_BSC_DFAT_serial18AD.der").read_bytes()
    at = der.rindex(b"DFAT")  # the subject's CN, after the issuer's OU=DFAT
    tampered = x509.load_certificate(der[:at] + b"DFAX" + der[at + 4 :])
    assert tampered.common_name == "DFAX"
    result = x509.chain(tampered, [csca], [], NOW)
    assert (result.ok, result.failure) == (False, x509.ChainFailure.CHAIN)
    assert result.reason == "the signer certificate's signature is not by Passport Country Signing Authority (AU)"


def test_master_list_signature_is_checked_and_the_au_bsc_chains_to_its_csca(master_list: x509.MasterList) -> None:
    assert master_list.signer.common_name == "CSCA Master List Signer"
    assert master_list.signer_issuer in master_list.certificates  # certified by a CSCA of the list (csca-germany)
    assert master_list.signer_issuer.common_name == "csca-germany"
    assert len(master_list.certificates) > 500 and master_list.warnings == ()
    countries = {c.country for c in master_list.certificates}
    assert {"AU", "DE", "JP"} <= countries
    csca = cert(APO / "AU_CSCA_Passport_Country_Signing_Authority_serial16F2.der")
    assert csca in master_list.certificates
    bsc = cert(APO / "AU_BSC_DFAT_serial18AD.der")
    result = x509.chain(bsc, master_list.certificates, [], NOW, required_eku=x509.VDS_NC_BSC_EKU)
    assert result.ok and result.anchor is not None and result.anchor.subject_key_id == bsc.authority_key_id
    # Given the German CSCA on its own, the list's signer is checked against it instead.
    germany = master_list.signer_issuer
    again = x509.load_master_list((KURZ_NC / "DE_ML_2025-08-14-07-41-09.ml").read_bytes(), trusted_issuers=[germany])
    assert again.signer_issuer == germany
    with pytest.raises(TrustError, match="not certified by any CSCA in the given"):
        x509.load_master_list((KURZ_NC / "DE_ML_2025-08-14-07-41-09.ml").read_bytes(), trusted_issuers=[csca])


def test_a_tampered_master_list_is_refused(master_list: x509.MasterList) -> None:
    data = (KURZ_NC / "DE_ML_2025-08-14-07-41-09.ml").read_bytes()
    au = cert(APO / "AU_CSCA_Passport_Country_Signing_Authority_serial16F2.der")
    at = data.index(au.der)  # swap a byte of the AU CSCA's key inside the listed content
    content = bytearray(data)
    content[at + len(au.der) - 300] ^= 1
    with pytest.raises(TrustError, match="does not match its signed digest"):
        x509.load_master_list(bytes(content))
    signed_time = bytearray(data)
    at = data.rindex(b"250814054109Z")  # the signing time, inside the signed attributes
    signed_time[at + 5] ^= 1
    with pytest.raises(TrustError, match="signature does not verify"):
        x509.load_master_list(bytes(signed_time))
    with pytest.raises(TrustError):
        x509.load_master_list(data[:-10])


# ------------------------------------------------------------------ throw-away CAs


def _name(cn: str) -> cx.Name:
    return cx.Name([cx.NameAttribute(NameOID.COUNTRY_NAME, "UT"), cx.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(cn: str = "Throwaway CSCA", *, ca: bool = True, key: Any = None) -> tuple[Any, x509.Certificate]:
    key = key or ec.generate_private_key(ec.SECP256R1())
    builder = (
        cx.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(cx.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=10))
        .not_valid_after(NOW + dt.timedelta(days=3650))
        .add_extension(cx.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
        .add_extension(cx.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    signed = builder.sign(key, hashes.SHA256())
    return key, x509.load_certificate(signed.public_bytes(serialization.Encoding.DER))


def issue(
    ca_key: Any, ca: x509.Certificate, *, eku: list[str] | None = None, serial: int = 0x18AD, **sign: Any
) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        cx.CertificateBuilder()
        .subject_name(_name("BSC"))
        .issuer_name(cx.Name.from_rfc4514_string("CN=Throwaway CSCA,C=UT"))
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=365))
        .add_extension(cx.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
    )
    if eku is not None:
        builder = builder.add_extension(cx.ExtendedKeyUsage([cx.ObjectIdentifier(o) for o in eku]), critical=False)
    return x509.load_certificate(builder.sign(ca_key, hashes.SHA256(), **sign).public_bytes(serialization.Encoding.DER))


def make_crl(ca_key: Any, serials: list[int], *, next_update: dt.datetime | None = None) -> x509.Crl:
    next_update = next_update or NOW + dt.timedelta(days=30)
    builder = (
        cx.CertificateRevocationListBuilder()
        .issuer_name(cx.Name.from_rfc4514_string("CN=Throwaway CSCA,C=UT"))
        .last_update(min(NOW, next_update) - dt.timedelta(days=1))
        .next_update(next_update)
    )
    for serial in serials:
        builder = builder.add_revoked_certificate(
            cx.RevokedCertificateBuilder().serial_number(serial).revocation_date(NOW - dt.timedelta(hours=1)).build()
        )
    pem = builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
    return x509.load_crl(pem)


def test_a_crl_that_lists_the_signer_revokes_it() -> None:
    ca_key, ca = make_ca()
    signer = issue(ca_key, ca, eku=[x509.VDS_NC_BSC_EKU])
    assert x509.chain(signer, [ca], [make_crl(ca_key, [1, 2])], NOW).ok
    result = x509.chain(signer, [ca], [make_crl(ca_key, [1, 0x18AD])], NOW)
    assert (result.ok, result.failure, result.anchor) == (False, x509.ChainFailure.REVOKED, ca)
    assert result.reason.startswith("the signer certificate (serial 18AD) was revoked on ")


def test_a_crl_not_signed_by_its_ca_is_ignored_with_a_warning() -> None:
    ca_key, ca = make_ca()
    signer = issue(ca_key, ca)
    forged = make_crl(ec.generate_private_key(ec.SECP256R1()), [0x18AD])  # same issuer name, another key
    result = x509.chain(signer, [ca], [forged], NOW)
    assert result.ok
    assert result.warnings == ("a CRL naming Throwaway CSCA (UT) is not signed by it and was ignored",)
    stale = x509.chain(signer, [ca], [make_crl(ca_key, [], next_update=NOW - dt.timedelta(days=2))], NOW)
    assert stale.ok and "is out of date" in stale.warnings[0]


def test_required_extended_key_usage() -> None:
    ca_key, ca = make_ca()
    for eku in (None, [], ["2.5.29.37.0"], ["1.3.6.1.5.5.7.3.1"]):  # none, empty-ish, anyExtendedKeyUsage, another
        result = x509.chain(issue(ca_key, ca, eku=eku), [ca], [], NOW, required_eku=x509.VDS_NC_BSC_EKU)
        assert (result.ok, result.failure) == (False, x509.ChainFailure.KEY_USAGE), eku
    assert x509.chain(issue(ca_key, ca, eku=None), [ca], [], NOW).ok  # no purpose required: no EKU needed


def test_an_anchor_that_is_not_a_ca_or_not_valid_certifies_nothing() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    _, not_ca = make_ca(ca=False, key=key)
    result = x509.chain(issue(key, not_ca), [not_ca], [], NOW)
    assert (result.ok, result.failure) == (False, x509.ChainFailure.CHAIN)
    assert "not a CA certificate" in result.reason
    ca_key, ca = make_ca()
    late = x509.chain(issue(ca_key, ca), [ca], [], NOW + dt.timedelta(days=4000))
    assert not late.ok and "is valid only" in late.reason


def test_rsa_pss_and_pkcs1_certificate_signatures() -> None:
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _, ca = make_ca(key=ca_key)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    for signer in (issue(ca_key, ca), issue(ca_key, ca, rsa_padding=pss)):
        assert x509.verify_signed_by(signer, ca) and x509.chain(signer, [ca], [], NOW).ok
    assert issue(ca_key, ca, rsa_padding=pss).signature_algorithm == "1.2.840.113549.1.1.10"


def test_explicit_curve_parameters_are_matched_or_refused() -> None:
    from asn1crypto import keys

    public = ec.generate_private_key(ec.BrainpoolP256R1()).public_key()
    spki = keys.PublicKeyInfo.load(
        public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    point = bytes(spki["public_key"])
    import ecdsa

    reference = ecdsa.curves.BRAINPOOLP256r1
    size = reference.baselen

    def explicit(b: int, compressed: bool = False) -> bytes:
        g = reference.generator
        base = (
            bytes([2 + (int(g.y()) & 1)]) + int(g.x()).to_bytes(size, "big")
            if compressed
            else b"\x04" + int(g.x()).to_bytes(size, "big") + int(g.y()).to_bytes(size, "big")
        )
        params = keys.SpecifiedECDomain(
            {
                "version": "ecdpVer1",
                "field_id": {"field_type": "prime_field", "parameters": reference.curve.p()},
                "curve": {
                    "a": int(reference.curve.a()).to_bytes(size, "big"),
                    "b": b.to_bytes(size, "big"),
                },
                "base": base,
                "order": reference.order,
                "cofactor": 1,
            }
        )
        return bytes(
            keys.PublicKeyInfo(
                {
                    "algorithm": {"algorithm": "ec", "parameters": keys.ECDomainParameters(name="specified", value=params)},
                    "public_key": point,
                }
            ).dump()
        )

    for compressed in (False, True):
        loaded = x509.load_public_key(explicit(int(reference.curve.b()), compressed))
        assert loaded.curve.name == "brainpoolP256r1" and loaded == public
    with pytest.raises(TrustError, match="match no supported named curve"):
        x509.load_public_key(explicit(int(reference.curve.b()) + 1))


def test_plain_ecdsa_signatures_are_range_checked() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    r, s = decode_dss_signature(key.sign(b"seal", ec.ECDSA(hashes.SHA256())))
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert x509.ecdsa_verify(key.public_key(), b"seal", raw, "sha256")
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    assert not x509.ecdsa_verify(key.public_key(), b"seal", r.to_bytes(32, "big") + n.to_bytes(32, "big"), "sha256")
    if r + n < 1 << 256:  # r and r + n are the same modulo n: only a range check tells them apart
        assert not x509.ecdsa_verify(key.public_key(), b"seal", (r + n).to_bytes(32, "big") + raw[32:], "sha256")
    assert not x509.ecdsa_verify(key.public_key(), b"seal", bytes(32) + raw[32:], "sha256")  # r = 0
    assert not x509.ecdsa_verify(key.public_key(), b"seal", b"\x00" + raw, "sha256")  # wrong length
    assert not x509.ecdsa_verify(key.public_key(), b"seal", raw, "sha384")
    assert not x509.ecdsa_verify(rsa.generate_private_key(65537, 2048).public_key(), b"seal", raw, "sha256")


def test_pure_python_brainpool_p224r1_verifies_and_rejects() -> None:
    import ecdsa

    signing = ecdsa.SigningKey.generate(curve=ecdsa.curves.BRAINPOOLP224r1)  # throw-away, test only
    point = signing.get_verifying_key().to_string("uncompressed")
    from asn1crypto import keys

    spki = bytes(
        keys.PublicKeyInfo(
            {"algorithm": {"algorithm": "ec", "parameters": ("named", "1.3.36.3.3.2.8.1.1.5")}, "public_key": point}
        ).dump()
    )
    key = x509.load_public_key(spki)
    assert isinstance(key, x509.PurePythonECKey)
    import hashlib

    raw = signing.sign(b"seal", hashfunc=hashlib.sha224)
    assert x509.ecdsa_verify(key, b"seal", raw, "sha224")
    assert not x509.ecdsa_verify(key, b"seaL", raw, "sha224")
    assert not x509.ecdsa_verify(key, b"seal", raw, "sha256")
    with pytest.raises(TrustError, match="not a point on its curve"):
        x509.load_public_key(spki[:-1] + bytes([spki[-1] ^ 1]))


# ------------------------------------------------------------------ trust sources and bad input


def test_trust_sources_sniff_their_own_files_only() -> None:
    files = {
        "crl": (APO / "AU_CSCA_CRL_2021-08-19.crl").read_bytes(),
        "ml": (KURZ_NC / "DE_ML_2025-08-14-07-41-09.ml").read_bytes(),
        "csca": (APO / "AU_CSCA_Passport_Country_Signing_Authority_serial16F2.der").read_bytes(),
        "bsc": (APO / "AU_BSC_DFAT_serial18AD.der").read_bytes(),
        "json": (APO / "not_a_vds.json").read_bytes(),
    }
    sources = {"crl": x509.CrlSource(), "ml": x509.MasterListSource(), "cert": x509.CertificateSource()}
    claimed = {name: sorted(s for s, source in sources.items() if source.sniff(data)) for name, data in files.items()}
    assert claimed == {"crl": ["crl"], "ml": ["ml"], "csca": ["cert"], "bsc": ["cert"], "json": []}
    pem = b"".join(
        cx.load_der_x509_certificate(files[n]).public_bytes(serialization.Encoding.PEM) for n in ("csca", "bsc")
    )
    loaded = sources["cert"].load(pem, "au.pem")
    assert [(k.name, k.role) for k in loaded.keys] == [
        ("Passport Country Signing Authority", Role.ANCHOR),
        ("DFAT", Role.CERTIFICATE),
    ]
    assert loaded.anchors("VDS-NC")[0].certificates == (files["csca"],)
    crls = sources["crl"].load(files["crl"], "au.crl").crls
    assert [c.der for c in crls] == [files["crl"]]
    pem_crl = b"-----BEGIN X509 CRL-----\n" + base64.encodebytes(files["crl"]) + b"-----END X509 CRL-----\n"
    assert sources["crl"].sniff(pem_crl) and sources["crl"].load(pem_crl, "au.pem").crls == tuple(crls)
    with pytest.raises(TrustError, match=r"^au\.crl: "):
        sources["crl"].load(files["crl"][:-1], "au.crl")
    # A certificate cryptography refuses (brainpoolP224r1) is trust all the same.
    dets32 = (TSENGER / "src" / "commonTest" / "resources" / "sealgen_DETS32.crt").read_bytes()
    [entry] = sources["cert"].load(dets32, "dets32.crt").keys
    assert (entry.role, type(entry.public_key)) == (Role.CERTIFICATE, x509.PurePythonECKey)
    assert entry.spki == x509.load_certificate(dets32).spki


def test_master_list_source_gives_icao_anchors() -> None:
    store = x509.MasterListSource().load((KURZ_NC / "DE_ML_2025-08-14-07-41-09.ml").read_bytes(), "de.ml")
    assert len(store.keys) > 500 and store.sources == ("de.ml",)
    # Seven real CSCAs (BE, CM, IT, LU, PT, TR) carry basicConstraints cA=FALSE: not anchors.
    assert store.warnings == ("de.ml: 7 certificates in the master list say they are no CA and were left out",)
    assert all(k.role is Role.ANCHOR for k in store.keys)
    assert store.anchors("VDS-NC") == store.keys and store.anchors("HC1") == ()  # CSCAs certify ICAO seals only
    au = (APO / "AU_CSCA_Passport_Country_Signing_Authority_serial16F2.der").read_bytes()
    assert any(k.certificates == (au,) for k in store.anchors("VDS-NC"))
    broken = bytearray((KURZ_NC / "DE_ML_2025-08-14-07-41-09.ml").read_bytes())
    broken[len(broken) // 2] ^= 1
    with pytest.raises(TrustError, match=r"^de\.ml: "):
        x509.MasterListSource().load(bytes(broken), "de.ml")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_garbage_is_a_trust_error_never_a_crash(data: bytes) -> None:
    for load in (x509.load_certificate, x509.load_crl, x509.load_master_list, x509.load_public_key):
        try:
            load(b"\x30" + data)
        except TrustError:
            pass


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0), st.integers(min_value=0, max_value=255))
def test_a_flipped_byte_in_a_real_certificate_never_crashes_or_verifies(position: int, mask: int) -> None:
    csca = cert(APO / "AU_CSCA_Passport_Country_Signing_Authority_serial16F2.der")
    der = bytearray((APO / "AU_BSC_DFAT_serial18AD.der").read_bytes())
    position %= len(der)
    der[position] ^= mask or 1
    try:
        changed = x509.load_certificate(bytes(der))
    except TrustError:
        return
    assert not x509.chain(changed, [csca], [], NOW).ok or changed.tbs == cert(APO / "AU_BSC_DFAT_serial18AD.der").tbs


def test_a_ca_certificate_or_one_without_digital_signature_may_not_sign() -> None:
    ca_key, ca = make_ca()
    key = ec.generate_private_key(ec.SECP256R1())
    for extension in (cx.BasicConstraints(ca=True, path_length=None), _key_usage(key_cert_sign=True)):
        builder = (
            cx.CertificateBuilder()
            .subject_name(_name("BSC"))
            .issuer_name(cx.Name.from_rfc4514_string("CN=Throwaway CSCA,C=UT"))
            .public_key(key.public_key())
            .serial_number(7)
            .not_valid_before(NOW - dt.timedelta(days=1))
            .not_valid_after(NOW + dt.timedelta(days=30))
            .add_extension(extension, critical=True)
        )
        signer = x509.load_certificate(builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
        result = x509.chain(signer, [ca], [], NOW)
        assert (result.ok, result.failure, result.anchor) == (False, x509.ChainFailure.KEY_USAGE, ca), extension


def _key_usage(**allowed: bool) -> cx.KeyUsage:
    names = ["digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"]
    return cx.KeyUsage(**{n: allowed.get(n, False) for n in names})


@pytest.mark.parametrize(
    ("scope", "accepted"),
    [
        ({"only_contains_user_certs": True}, True),
        ({"only_contains_ca_certs": True}, False),
        ({"indirect_crl": True}, False),
        ({"only_some_reasons": frozenset({cx.ReasonFlags.key_compromise})}, False),
    ],
)
def test_partial_and_indirect_crls_are_refused(scope: dict[str, Any], accepted: bool) -> None:
    ca_key, _ = make_ca()
    arguments: dict[str, Any] = {
        "full_name": None,
        "relative_name": None,
        "only_contains_user_certs": False,
        "only_contains_ca_certs": False,
        "only_some_reasons": None,
        "indirect_crl": False,
        "only_contains_attribute_certs": False,
        **scope,
    }
    crl = (
        cx.CertificateRevocationListBuilder()
        .issuer_name(cx.Name.from_rfc4514_string("CN=Throwaway CSCA,C=UT"))
        .last_update(NOW - dt.timedelta(days=1))
        .next_update(NOW + dt.timedelta(days=1))
        .add_extension(cx.IssuingDistributionPoint(**arguments), critical=True)
        .sign(ca_key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )
    if accepted:
        assert x509.load_crl(crl).revoked == ()
    else:
        with pytest.raises(TrustError, match="partial and indirect CRLs"):
            x509.load_crl(crl)
