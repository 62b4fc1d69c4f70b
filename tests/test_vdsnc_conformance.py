"""ICAO VDS-NC conformance (../shared/conformance/icao-vds-nc): every outcome its data states.

Each stated outcome is one row (sample, what is stated, what scanverify says)
in the table printed at the end of the run (tests/conftest.py). The samples
are read in place; the time of checking is fixed inside the signer
certificates' validity unless a row is about time.
"""

from __future__ import annotations

import base64
import io
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support import Cli

from scanverify import Status, TrustStore, Verifier
from scanverify.formats.vdsnc import VDSNC, read_certificate
from scanverify.model import Cause, VerificationResult

SHARED = Path(__file__).resolve().parents[2] / "shared"
SUITE = SHARED / "conformance" / "icao-vds-nc"
KURZ = SUITE / "kurzdigital-vds-jvm"
KURZ_DATA = KURZ / "src" / "test" / "resources"
APO = SUITE / "australian-passport-office" / "extracted"
AU_CSCA = APO / "AU_CSCA_Passport_Country_Signing_Authority_serial16F2.der"
AU_CRL = APO / "AU_CSCA_CRL_2021-08-19.crl"
MASTER_LIST = KURZ_DATA / "DE_ML_2025-08-14-07-41-09.ml"
#: Inside every sample BSC's validity (UT: 2021-04-07..2026-10-07, AU: 2021-08-31..2031-09-30).
INSIDE = datetime(2025, 6, 1, tzinfo=UTC)
AT = "2025-06-01T00:00:00Z"
#: After the UT BSCs' end of validity.
AFTER_UT = datetime(2026, 11, 1, tzinfo=UTC)

if not SHARED.is_dir():
    pytest.skip(f"the VDS-NC conformance data lives in {SHARED}, which is absent", allow_module_level=True)
# ../shared present but the suite missing is a broken checkout: fail, do not skip.
assert SUITE.is_dir(), f"{SHARED} is present but {SUITE} is missing"

KURZ_EXPECTED = json.loads((KURZ / "EXPECTED.json").read_text())["samples"]
APO_EXPECTED = json.loads((APO / "EXPECTED.json").read_text())


@dataclass(frozen=True)
class Row:
    sample: str
    stated: str
    expected: str
    ours: str

    @property
    def agreed(self) -> bool:
        return self.expected == self.ours


ROWS: list[Row] = []
#: Rows recorded and agreed (tests/conftest.py prints the table when this is not empty).
TALLY: Counter[str] = Counter()


def record_row(sample: str, stated: str, expected: object, ours: object) -> None:
    row = Row(sample, stated, str(expected), str(ours))
    ROWS.append(row)
    TALLY["rows"] += 1
    TALLY["agreed"] += row.agreed
    assert row.agreed, f"{sample}: {stated}: stated {expected}, scanverify says {ours}"


def conformance_table() -> str:
    """The stated outcomes and scanverify's answers; printed at the end of the run."""
    width = max(len(r.sample) for r in ROWS)
    lines = [f"{'sample':<{width}}  {'stated outcome':<58}{'expected':<22}{'scanverify':<22}ok"]
    for r in ROWS:
        lines.append(f"{r.sample:<{width}}  {r.stated:<58}{r.expected:<22}{r.ours:<22}{'yes' if r.agreed else 'NO'}")
    agreed = sum(r.agreed for r in ROWS)
    lines.append(f"{agreed}/{len(ROWS)} stated outcomes agreed")
    return "\n".join(lines)


# ---- trust and verdicts -------------------------------------------------------------


def au_csca() -> TrustStore:
    return TrustStore.from_file(AU_CSCA)


def au_crl() -> TrustStore:
    from scanverify.x509 import load_crl

    return TrustStore(crls=(load_crl(AU_CRL.read_bytes()),), sources=(str(AU_CRL),))


def pinned_bsc(data: bytes, *, name: str) -> TrustStore:
    """A bundle entry that pins a sample's own BSC as a VDS-NC signer (specimen): how a
    seal whose CA is not published is verified."""
    bsc = read_certificate(VDSNC().parse(data).certificates[0], "sig.cer")
    entry = {
        "name": name,
        "spki": base64.b64encode(bsc.spki).decode(),
        "role": "signer",
        "formats": ["VDS-NC"],
        "iss": "UT",
        "specimen": True,
    }
    return TrustStore.from_bundle({"format": "scanverify.trust.v1", "keys": [entry]}, source=f"pinned {name}")


def verdict(data: bytes, trust: TrustStore, at: datetime = INSIDE) -> VerificationResult:
    return Verifier(trust=trust, clock=lambda: at).verify_payload(data)


def outcome(result: VerificationResult) -> str:
    return f"{result.status.value}/{result.cause.value}"


def leaves(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in leaves(v)]
    return [str(value)]


# ---- kurzdigital/vds-jvm -----------------------------------------------------------------

KURZ_SAMPLES = sorted(KURZ_EXPECTED)


@pytest.mark.parametrize("name", KURZ_SAMPLES)
def test_kurzdigital_fields(name: str) -> None:
    """Every field upstream asserts is in the seal's record, as the header says."""
    seal = VDSNC().parse((KURZ_DATA / name).read_bytes())
    found = leaves(seal.record)
    for assertion in KURZ_EXPECTED[name]["assertions"]:
        value = json.loads(assertion["expected"])
        expr = assertion["actual_expr"]
        if expr.endswith("header.issuingCountry"):
            record_row(name, "header issuing country", value, seal.claims["is"])
        elif expr.endswith("header.type"):
            record_row(name, "header type", value, seal.claims["t"])
        else:
            record_row(name, f"field {expr.removeprefix('vdsNc.')}", value, value if value in found else "absent")


@pytest.mark.parametrize("name", [n for n in KURZ_SAMPLES if KURZ_EXPECTED[n]["verify_expected"] is not True])
def test_utopia_samples(name: str) -> None:
    """Signature valid, certificate not expired, certificate unknown (the UT CA is published nowhere)."""
    assert KURZ_EXPECTED[name]["verify_expected"] == "signature_valid_but_certificate_unknown"
    data = (KURZ_DATA / name).read_bytes()
    fmt = VDSNC()
    seal = fmt.parse(data)
    pinned = pinned_bsc(data, name=f"UT BSC of {name}")
    [key] = pinned.keys
    record_row(name, "signature valid (with its own BSC)", True, fmt.verify_signature(seal, key))
    findings = fmt.policy(seal, key, pinned, INSIDE)
    record_row(name, f"BSC not expired at {AT[:10]}", "no finding", [f.cause.value for f in findings] or "no finding")
    # The UT CA is in no master list: with the real AU CSCA as the only anchor
    # (and with no trust at all) the seal's certificate is unknown.
    record_row(name, "certificate unknown (AU CSCA trusted)", "untrusted/chain", outcome(verdict(data, au_csca())))
    record_row(name, "certificate unknown (no trust)", "untrusted/chain", outcome(verdict(data, TrustStore())))
    # Beyond upstream: the BSC pinned as a specimen signer by a bundle entry.
    pinned_result = verdict(data, pinned)
    record_row(
        name,
        "pinned UT BSC: genuine, SPECIMEN",
        "genuine/none/True",
        f"{outcome(pinned_result)}/{pinned_result.specimen}",
    )
    record_row(name, "pinned UT BSC after 2026-10-07", "expired/key_expired", outcome(verdict(data, pinned, AFTER_UT)))


def test_australian_sample_against_the_au_csca() -> None:
    name = "vdsnc_sample_proof_of_vaccination_aus"
    assert KURZ_EXPECTED[name]["verify_expected"] is True
    result = verdict((KURZ_DATA / name).read_bytes(), au_csca())
    record_row(name, "genuine (AU CSCA)", "genuine/none", outcome(result))
    assert result.signature_valid is True and result.key is not None and result.key.iss == "AU"


def test_australian_sample_against_the_german_master_list() -> None:
    name = "vdsnc_sample_proof_of_vaccination_aus"
    # The master list's own CMS signature is checked by the trust layer (scanverify.x509).
    trust = TrustStore.from_file(MASTER_LIST)
    anchors = {k.certificates[0] for k in trust.anchors("VDS-NC")}
    record_row(name, "the AU CSCA is a master-list anchor", True, AU_CSCA.read_bytes() in anchors)
    record_row(
        name, "genuine (German master list)", "genuine/none", outcome(verdict((KURZ_DATA / name).read_bytes(), trust))
    )


# ---- australian-passport-office -------------------------------------------------------------

APO_SAMPLES = sorted(APO_EXPECTED["samples"])


def apo_expected(name: str) -> str:
    stated = APO_EXPECTED["samples"][name]["expected"]
    if "decode" in stated:
        return "not_a_seal/not_a_seal"
    return "genuine/none" if stated["signature_valid"] else "forged/signature"


@pytest.mark.parametrize("name", APO_SAMPLES)
def test_apo_samples(name: str) -> None:
    data = (APO / name).read_bytes()
    result = verdict(data, au_csca())
    record_row(name, "verdict (AU CSCA)", apo_expected(name), outcome(result))
    if result.format == "VDS-NC":
        stated = APO_EXPECTED["samples"][name]["expected"]["signature_valid"]
        record_row(name, "signature_valid", stated, result.signature_valid)
        carried = VDSNC().parse(data).certificates[0] == (APO / "AU_BSC_DFAT_serial18AD.der").read_bytes()
        record_row(name, "sig.cer is the BSC CN=DFAT,C=AU", True, carried)


@pytest.mark.parametrize("name", [n for n in APO_SAMPLES if "valid_" in n])
def test_apo_samples_with_the_stale_au_crl(name: str) -> None:
    """Not revoked per the AU CRL, which is stale today: genuine, with a warning saying so."""
    result = verdict((APO / name).read_bytes(), au_csca() + au_crl())
    stale = [w for w in result.warnings if "CRL" in w and "out of date" in w]
    record_row(name, "with the AU CRL: genuine, stale-CRL warning", "genuine/none/1", f"{outcome(result)}/{len(stale)}")


def test_canonicalisation_example() -> None:
    example = APO_EXPECTED["canonicalization_example"]
    seal = VDSNC().parse((APO / example["input"]).read_bytes())
    # Upstream canonicalises the whole seal; the prefix it states covers data only.
    canonical = '{"data":' + seal.to_be_signed.decode()
    prefix = example["expected_canonical_prefix"]
    ours = "the stated prefix" if canonical.startswith(prefix) else canonical[: len(prefix)]
    record_row(example["input"], "RFC 8785 canonical form (upstream's prefix)", "the stated prefix", ours)


JP_CSCA = APO / "JP_CSCA_e-passportCSCA_serialE3_explicitEC.der"


@pytest.mark.parametrize("name", sorted(APO_EXPECTED["certificates_and_crls"]))
def test_trust_material_is_what_upstream_states(name: str) -> None:
    import hashlib

    stated = APO_EXPECTED["certificates_and_crls"][name]["sha256"]
    digest = hashlib.sha256((APO / name).read_bytes()).hexdigest()
    record_row(name, f"SHA-256 {stated[:8]}... as upstream states", "equal", "equal" if digest == stated else digest)


def test_japanese_csca_with_explicit_parameters_is_readable() -> None:
    """No Japanese sample exists; the stated point is that the certificate (explicit EC
    parameters, ecdsa-with-SHA384 with a NULL parameter) can be read and used."""
    csca = read_certificate(JP_CSCA.read_bytes(), "JP CSCA")
    record_row(
        JP_CSCA.name, "key readable (explicit EC parameters)", "EC secp384r1", f"EC {csca.public_key.curve.name}"
    )


def test_japanese_csca_is_accepted_as_a_trust_file() -> None:
    [key] = TrustStore.from_file(JP_CSCA).keys
    record_row(JP_CSCA.name, "--trust file: a CSCA anchor", "anchor", key.role.value)


def test_tampered_au_seal_with_the_wrong_state_is_untrusted_before_forged() -> None:
    """Beyond the data: an AU-signed seal that claims NZL is untrusted (wrong_state), whatever else."""
    document = json.loads((APO / "vdsnc_AUS_valid_JOHN.json").read_bytes())
    document["data"]["hdr"]["is"] = "NZL"
    result = verdict(json.dumps(document).encode(), au_csca())
    assert (result.status, result.cause) == (Status.UNTRUSTED, Cause.WRONG_STATE)


# ---- through the command line, and a QR image ---------------------------------------------------


@pytest.mark.parametrize("name", APO_SAMPLES)
def test_apo_samples_through_the_cli(run_cli: Cli, name: str) -> None:
    text = (APO / name).read_text("utf-8")
    run = run_cli("verify", "--json", "--at", AT, "--trust", str(AU_CSCA), "--text", text)
    code, line = run.code, run.record()
    record_row(name, "CLI --text --trust csca.der --json", apo_expected(name), f"{line['status']}/{line['cause']}")
    assert code == {"genuine": 0, "forged": 1, "not_a_seal": 3}[line["status"]]


def _qr_png(data: bytes) -> bytes:
    import segno

    buffer = io.BytesIO()
    # Byte mode, as VDS-NC seals are printed; ECC level L keeps the AU seal's 1.6 KB in one QR.
    segno.make_qr(data, error="l", mode="byte").save(buffer, kind="png", scale=3, border=4)
    return buffer.getvalue()


@pytest.mark.slow
def test_a_qr_image_of_a_real_seal(tmp_path: Path) -> None:
    name = "vdsnc_AUS_valid_JANE_CATHERINE.json"
    # The seal as it is printed: compact JSON (the file holds it pretty-printed).
    data = json.dumps(json.loads((APO / name).read_bytes()), separators=(",", ":"), ensure_ascii=False).encode()
    image = tmp_path / "vdsnc.png"
    image.write_bytes(_qr_png(data))
    results = Verifier(trust=au_csca(), clock=lambda: INSIDE).verify_image(image)
    record_row(name, "QR image (segno, byte mode) read back", "genuine/none", "/".join(outcome(r) for r in results))
    assert results[0].code is not None and results[0].code.payload == data


def test_every_stated_outcome_agrees() -> None:
    """Runs after the rows: every stated outcome recorded agreed (each row also asserts itself)."""
    if not ROWS:
        pytest.skip("the conformance rows did not run in this session (deselected)")
    assert all(r.agreed for r in ROWS), conformance_table()
