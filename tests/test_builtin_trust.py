"""The real samples of ../shared/conformance verify out of the box: no --trust, only the
built-in trust (default_trust.json, and the certificates of public_certificates.json that
each chained format loads the first time one of its seals is seen).

Every case goes through the command line as a clerk runs it (``scanverify --json``), at
the real time of checking unless said otherwise; where a test issuer's certificate has
expired, the verdict is expired and the test says which certificate and when.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from support import Cli

SHARED = Path(__file__).resolve().parents[2] / "shared"
CONFORMANCE = SHARED / "conformance"
ROOT = Path(__file__).resolve().parents[1]

if not SHARED.is_dir():
    pytest.skip(f"the conformance data lives in {SHARED}, which is absent", allow_module_level=True)
assert CONFORMANCE.is_dir(), f"{SHARED} is present but {CONFORMANCE} is missing"

SHC = CONFORMANCE / "smart-health-cards" / "health-cards-gh-pages" / "examples"
VDS = CONFORMANCE / "icao-vds"
KURZ_VDS = VDS / "kurzdigital-vds-jvm" / "src" / "test" / "resources"
APO = CONFORMANCE / "icao-vds-nc" / "australian-passport-office" / "extracted"
KURZ_VDSNC = CONFORMANCE / "icao-vds-nc" / "kurzdigital-vds-jvm" / "src" / "test" / "resources"
DDOC = CONFORMANCE / "fr-2d-doc" / "nipo-tdd"
KIT = DDOC / "samples" / "kit-deploiement_dispositif_de_controle_sanitaire_evenementiel"


@pytest.fixture
def cli(run_cli: Cli) -> Cli:
    """``scanverify --json ARGS`` with the built-in trust only."""
    return run_cli.with_args("--json")


def text_of(path: Path) -> str:
    return path.read_text(encoding="utf-8").rstrip("\n")


def verdict(line: dict[str, Any]) -> tuple[str, str, bool]:
    return line["status"], line["cause"], line["specimen"]


# ---- SMART Health Cards -------------------------------------------------------------------


def test_shc_spec_example_is_genuine_specimen(cli: Cli) -> None:
    run = cli("--text", text_of(SHC / "example-00-f-qr-code-numeric-value-0.txt"))
    line = run.record()
    assert (run.code, verdict(line)) == (0, ("genuine", "none", True)), line["reason"]
    assert line["format"] == "SHC" and line["issuer"]["iss"] == "https://spec.smarthealth.cards/examples/issuer"
    assert "SMART Health Cards spec example issuer" in line["reason"]


def test_shc_example_keys_are_bound_to_their_iss() -> None:
    """The built-in example keys sign only cards that name the examples' iss (the verifier
    holds a key bound to one iss against any other: wrong_state)."""
    from scanverify import TrustStore
    from scanverify.formats.shc import parse_card

    card = parse_card(text_of(SHC / "example-00-f-qr-code-numeric-value-0.txt").encode())
    built_in = TrustStore.default().signers("SHC")
    assert len(built_in) == 2 and {k.iss for k in built_in} == {card.iss}
    assert all(k.specimen and k.alg == "ES256" for k in built_in)


def test_shc_multi_chunk_example_is_one_genuine_card() -> None:
    """Example 02 is printed as 3 chunked QR codes: found together, one genuine specimen card."""
    from scanverify import Verifier
    from scanverify.decode import DecodedCode

    chunks = sorted(SHC.glob("example-02-f-qr-code-numeric-value-*.txt"))
    assert len(chunks) == 3
    codes = [DecodedCode(text_of(c).encode(), "QRCode", ((0, 0),) * 4, "test") for c in reversed(chunks)]
    results = Verifier().verify_codes(codes, source="example-02")
    assert [(r.status.value, r.specimen) for r in results] == [("genuine", True)], [r.reason for r in results]


# ---- ICAO VDS: DataMatrix images rendered now ---------------------------------------------

#: Seal, where its bytes are, and the pinned test signer that must verify it.
VDS_IMAGES = {
    "residentPermit": ("tsenger", "sealgen_UTTS5B"),
    "visa_224bitSig": ("tsenger", "sealgen_DETS32"),  # brainpoolP224r1 with SHA-224
    "socialInsurance": ("tsenger", "sealgen_DETS27"),  # the certificate ended 2025-01-10; signed inside it
    "vds_sample_covid_vaccination_cert": ("kurz", "KDS_TEST_VACC"),
    "vds_sample_taxstamp": ("kurz", "KDS_TAXSTAMPS"),
    "vds_sample_residence_permit": ("kurz", "sealgen_UTTS5B"),
}


def vds_bytes(name: str, where: str) -> bytes:
    if where == "kurz":
        return (KURZ_VDS / name).read_bytes()
    vectors = json.loads((VDS / "tsenger-vdstools" / "extracted" / "VDS_VECTORS.json").read_text())
    return bytes.fromhex(vectors["vds"][name]["hex"])


@pytest.mark.slow
def test_vds_datamatrix_images_are_genuine_specimen(tmp_path: Path, cli: Cli) -> None:
    from test_vds import datamatrix_png

    images = [datamatrix_png(vds_bytes(name, where), tmp_path / f"{name}.png") for name, (where, _) in VDS_IMAGES.items()]
    run = cli(*map(str, images))
    lines = run.records()
    assert len(lines) == len(VDS_IMAGES), lines
    for line, (name, (_, signer)) in zip(lines, VDS_IMAGES.items(), strict=True):
        assert (line["symbology"], line["format"]) == ("DataMatrix", "VDS"), name
        assert verdict(line) == ("genuine", "none", True), (name, line["reason"])
        assert f"VDS test signer {signer} " in line["reason"], (name, line["reason"])
    assert run.code == 0


def test_vds_seal_of_an_unpublished_signer_stays_untrusted(capsys: pytest.CaptureFixture[str]) -> None:
    """The KURZ supplement sheet names DETS/4F, whose certificate nobody published."""
    from scanverify import Verifier

    result = Verifier().verify_payload((KURZ_VDS / "vds_sample_supplement_sheet").read_bytes())
    assert (result.status.value, result.cause.value, result.key) == ("untrusted", "unknown_key", None)


# ---- ICAO VDS-NC --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["vdsnc_AUS_valid_JANE_CATHERINE.json", "vdsnc_AUS_valid_JOHN.json"])
def test_australian_vdsnc_is_genuine_not_specimen(name: str, cli: Cli) -> None:
    run = cli("--text", text_of(APO / name))
    line = run.record()
    assert (run.code, verdict(line)) == (0, ("genuine", "none", False)), line["reason"]
    assert "Australia CSCA" in line["reason"]


def test_kurz_australian_vdsnc_is_genuine(cli: Cli) -> None:
    line = cli("--text", text_of(KURZ_VDSNC / "vdsnc_sample_proof_of_vaccination_aus")).record()
    assert verdict(line) == ("genuine", "none", False), line["reason"]


@pytest.mark.parametrize("name", ["vdsnc_AUS_tampered_JANEX_CATHERINE.json", "vdsnc_AUS_tampered_JOHNX.json"])
def test_tampered_australian_vdsnc_is_forged(name: str, cli: Cli) -> None:
    run = cli("--text", text_of(APO / name))
    line = run.record()
    assert (run.code, line["status"], line["signature_valid"]) == (1, "forged", False)


@pytest.mark.parametrize("name", ["vdsnc_sample_proof_of_test", "vdsnc_sample_proof_of_vaccination"])
def test_icao_example_vdsnc_signers_have_expired(name: str, cli: Cli) -> None:
    """The ICAO "Utopia" example BSCs (UT 05, UT 06) ended on 2026-10-07: today their seals are
    expired (the signature still verifies); checked inside their validity, genuine specimen."""
    text = text_of(KURZ_VDSNC / name)
    run = cli("--text", text)
    line = run.record()
    assert (line["status"], line["cause"], line["signature_valid"]) == ("expired", "key_expired", True)
    assert "2026-10-07" in line["reason"]
    run = cli("--at", "2025-06-01T00:00:00Z", "--text", text)
    line = run.record()
    assert (run.code, verdict(line)) == (0, ("genuine", "none", True)), line["reason"]


# ---- 2D-Doc --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["vaccine-valid.txt", "vaccine-invalid-cycle.txt", "vaccine-invalid-test.txt"])
def test_ddoc_production_specimens_are_genuine(name: str, cli: Cli) -> None:
    """The French event-control kit's 2D-Docs (FR03/AV01, FR03/AHP1): their signer certificates
    ship, each trusted through the ANTS CA FR03. ("invalid" is about health rules, not signatures.)"""
    text = text_of(KIT / name)
    run = cli("--text", text)
    line = run.record()
    assert (run.code, verdict(line)) == (0, ("genuine", "none", False)), line["reason"]
    ca_id, cert_id = text[4:8], text[8:12]
    assert ca_id == "FR03" and f"2D-Doc signer {ca_id}/{cert_id}" in line["reason"]


def test_ddoc_test_certificate_has_expired(cli: Cli) -> None:
    """FR00, the specification's test certificate, ended on 2015-11-01: a sample signed in 2021
    with it is expired (signature valid, specimen), whenever it is checked."""
    line = cli("--text", text_of(DDOC / "samples" / "exemple-attestation-vaccination-certifiee.txt")).record()
    assert (line["status"], line["cause"], line["signature_valid"], line["specimen"]) == (
        "expired",
        "key_expired",
        True,
        True,
    )
    assert "2015-11-01" in line["reason"]


def test_ddoc_spec_example_signed_inside_fr00_is_genuine_specimen(cli: Cli) -> None:
    """Some spec examples were signed while FR00 was valid (2012-11-01 .. 2015-11-01)."""
    from scanverify.formats.ddoc_parse import parse

    inside = []
    for path in sorted((DDOC / "tests" / "spec_samples").rglob("*.txt")):
        signed = parse(path.read_bytes().rstrip(b"\n")).header.signed
        if signed is not None and signed.year in (2013, 2014):
            inside.append(path)
    assert inside, "no spec example is dated inside FR00's validity"
    line = cli("--text", text_of(inside[0])).record()
    assert verdict(line) == ("genuine", "none", True), line["reason"]


def test_ddoc_naming_a_certificate_no_ca_issued_is_untrusted(cli: Cli) -> None:
    """The CA id and certificate id pick the signer certificate: FR04/AV01 does not exist."""
    text = text_of(KIT / "vaccine-valid.txt").replace("FR03AV01", "FR04AV01", 1)
    run = cli("--text", text)
    line = run.record()
    assert (run.code, line["status"], line["cause"]) == (1, "untrusted", "unknown_key")


# ---- without the built-in trust, none of it -----------------------------------------------


def test_without_default_trust_every_sample_is_untrusted(cli: Cli) -> None:
    texts = [
        text_of(SHC / "example-00-f-qr-code-numeric-value-0.txt"),
        text_of(APO / "vdsnc_AUS_valid_JOHN.json").replace("\n", " "),
        text_of(KIT / "vaccine-valid.txt"),
    ]
    for text in texts:
        line = cli("--no-default-trust", "--text", text).record()
        assert line["status"] == "untrusted", line["reason"]


# ---- the data, its tool and its cost -------------------------------------------------------


def test_the_shipped_data_is_what_the_tool_makes() -> None:
    """tools/make_public_trust.py --check: the committed files match the published material."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import make_public_trust
    finally:
        sys.path.remove(str(ROOT / "tools"))
    assert make_public_trust.main(["--shared", str(SHARED), "--check"]) == 0


def test_real_anchors_are_the_ones_their_publishers_sign() -> None:
    """Every built-in anchor (none is a specimen) is vouched for by a signed list: the ANTS CAs by
    the ANTS trust-service list, the AU and JP CSCAs by the German CSCA master list (both lists'
    signatures checked as they load)."""
    import hashlib

    from scanverify import TrustStore
    from scanverify.formats._builtin_trust import for_format
    from scanverify.model import Role

    ants = TrustStore.from_file(DDOC / "tdd" / "chains" / "tsl_signed.xml")
    master_list = TrustStore.from_file(KURZ_VDSNC / "DE_ML_2025-08-14-07-41-09.ml")
    signed_anchors = {k.certificates[0] for k in (*ants.keys, *master_list.keys)}
    ddoc = for_format("2D-DOC")
    real_anchors = [k for k in (*ddoc.keys, *for_format("VDS-NC").keys) if k.role is Role.ANCHOR]
    assert all(not k.specimen and k.origin for k in real_anchors)
    assert len(real_anchors) == 8  # FR01, FR03..FR07; the AU and JP CSCAs
    unlisted = {k.name for k in real_anchors if k.certificates[0] not in signed_anchors}
    assert not unlisted, unlisted
    # The JP CSCA (explicit EC parameters) is also the one whose hash its publisher states.
    [japan] = [k for k in real_anchors if k.name.startswith("Japan")]
    assert hashlib.sha256(japan.certificates[0]).hexdigest().startswith("493260e5")
    # The signer certificates are trusted only through their CA, never on their own.
    leaves = [k for k in ddoc.keys if k.role is Role.CERTIFICATE]
    assert len(leaves) > 200 and not any(k.specimen for k in leaves)
    assert not [k for k in ddoc.keys if k.role is Role.SIGNER and not k.specimen]


def test_every_pinned_signer_is_a_specimen_with_its_source() -> None:
    """A signer pinned on its own (no CA behind it) is a test issuer's: marked specimen, with its origin."""
    from scanverify import TrustStore
    from scanverify.formats._builtin_trust import for_format
    from scanverify.model import Role

    stores = [TrustStore.default(), for_format("VDS"), for_format("VDS-NC"), for_format("2D-DOC")]
    pinned = [k for s in stores for k in s.keys if k.role is Role.SIGNER and k.formats != frozenset({"CS1"})]
    assert {f for k in pinned for f in k.formats or ()} == {"VDS", "VDS-NC", "2D-DOC", "SHC"}
    assert all(k.specimen and k.origin for k in pinned), [k.name for k in pinned if not k.specimen]


def run_python(code: str) -> Sequence[str]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_start_does_not_read_certificates() -> None:
    """The built-in bundle loaded at start holds keys only: no certificate is read (asn1crypto,
    which scanverify.x509 reads them with, is not even imported) until a seal of a chained format
    is verified. (A fact about imports, not a timing.)"""
    before, after = run_python(
        "import sys\n"
        "from scanverify import TrustStore, Verifier\n"
        "TrustStore.default(); v = Verifier()\n"
        "print('asn1crypto' in sys.modules)\n"
        f"v.verify_payload(open({str(KIT / 'vaccine-valid.txt')!r}, 'rb').read().rstrip(b'\\n'))\n"
        "print('asn1crypto' in sys.modules)\n"
    )
    assert (before, after) == ("False", "True")


def test_each_format_loads_only_its_own_certificates() -> None:
    from scanverify import Verifier
    from scanverify.trust import FORMATS_BUILT_IN

    trust = Verifier().trust
    assert FORMATS_BUILT_IN in trust.deferred  # each format's own, asked when its first seal is seen
    vds = trust.for_format("VDS")
    added = vds.keys[len(trust.keys) :]
    assert added and all(k.serves("VDS") for k in added)
    assert not vds.anchors("2D-DOC") and not vds.certificates("2D-DOC")


def test_the_library_default_store_carries_the_late_loaded_trust() -> None:
    """`TrustStore.default() + TrustStore.from_file(...)`, the README's library example, verifies
    what the command line does: the formats' certificates and the VCI directory come with it."""
    from scanverify import Status, TrustStore, Verifier
    from scanverify.trust import FORMATS_BUILT_IN

    store = TrustStore.default() + TrustStore()
    assert FORMATS_BUILT_IN in store.deferred
    result = Verifier(trust=store).verify_payload(text_of(APO / "vdsnc_AUS_valid_JOHN.json"))
    assert (result.format, result.status) == ("VDS-NC", Status.GENUINE), result.reason
    assert Verifier(trust=TrustStore()).verify_payload(text_of(APO / "vdsnc_AUS_valid_JOHN.json")).status is (
        Status.UNTRUSTED
    )
