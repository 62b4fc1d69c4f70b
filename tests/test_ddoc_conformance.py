"""France's 2D-Doc against ../shared/conformance/fr-2d-doc (nipo/tdd, MIT; see its SOURCE.md).

* The 48 worked examples of the ANTS specification v3.1.3 (section 15.2): the
  header, document type and every field value the .yaml beside each gives,
  the signature bytes, and the verdict with the FR00 test certificate,
  through the library and the command line (``--text``).
* The production specimens of the French event-control kit, verified with
  their signer certificates chained to the ANTS trust-service list.
* A DataMatrix of a 2D-Doc, rendered and photographed at test time, gives the
  verdict its text gives.

FR00's test certificate was valid from 2012-11-01 to 2015-11-01; each example
is verified the day after its signature date, and the header's signature
date is checked against the certificate: an example signed after the test
certificate ended is ``expired`` (key_expired), as the spec's date rule has
it, and counted so in the table; so is 15.2.2/06, whose own expiry date
(field 08, 2012-10-16) is before its signature (seal_expired).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from support import Cli

SHARED = Path(__file__).resolve().parents[2] / "shared"
DATA = SHARED / "conformance" / "fr-2d-doc" / "nipo-tdd"
if not SHARED.is_dir():
    pytest.skip(f"the 2D-Doc conformance data lives in {SHARED}, which is absent", allow_module_level=True)
# ../shared present but the suite missing is a broken checkout: fail, do not skip.
assert DATA.is_dir(), f"{SHARED} is present but {DATA} is missing"

import yaml  # noqa: E402  (the examples' expected values; a test dependency)

from scanverify.formats.ddoc_parse import parse  # noqa: E402

SPEC = DATA / "tests" / "spec_samples" / "3.1.3"
CHAINS = DATA / "tdd" / "chains"
EXAMPLES = sorted(p.relative_to(SPEC).as_posix() for p in SPEC.rglob("*.txt"))
SPECIMENS = sorted(p.relative_to(DATA / "samples").as_posix() for p in (DATA / "samples").rglob("*.txt"))
TALLY: Counter[tuple[str, str]] = Counter()


def _text(path: Path) -> bytes:
    return path.read_bytes().rstrip(b"\r\n")  # the files add a newline; the code has none


def _reference(name: str) -> dict[str, Any]:
    return yaml.safe_load((SPEC / name).with_suffix(".yaml").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _same(kind: str, value: Any, expected: str) -> bool:
    """A parsed value against the .yaml's spelling of it (nipo/tdd's conventions)."""
    if kind == "num":  # the .yaml drops a number's zero padding; we keep identifiers as written
        return str(value).lstrip("0") == expected.lstrip("0") and str(value).isdigit()
    if kind == "bool":
        return value is (expected == "1")
    if kind == "hhmm":
        return str(value).replace(":", "") == expected
    if kind == "dt12":
        return datetime.fromisoformat(str(value)) == datetime.fromisoformat(expected)
    return str(value) == expected


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


# ---- the parser, on every example -----------------------------------------
@pytest.mark.parametrize("name", EXAMPLES)
def test_example_parses_to_its_reference(name: str) -> None:
    ref = _reference(name)
    doc = parse(_text(SPEC / name))
    header, expected = doc.header, ref["header"]
    assert int(header.version) == expected["version"]
    assert (header.ca_id, header.cert_id) == (expected["ca_id"], expected["cert_id"])
    assert header.emitted == _day(expected["emit_date"]) and header.signed == _day(expected["sign_date"])
    assert header.doc_type == expected["doc_type_id"]
    if "perimeter_id" in expected:
        assert header.perimeter is not None and int(header.perimeter) == expected["perimeter_id"]
    if int(header.version) >= 4:
        assert header.country == expected["country_id"]
    fields = {f.id: f for f in doc.fields}
    assert list(fields) == [f.id for f in doc.fields], "a field id appears twice"
    assert set(fields) == set(ref["fields"]) and not doc.unparsed
    wrong = {
        fid: (fields[fid].value, value)
        for fid, value in ref["fields"].items()
        if not _same(fields[fid].definition.kind, fields[fid].value, str(value))
    }
    assert not wrong, wrong
    assert doc.signature.hex() == "".join(ref["signature"].split())
    assert not doc.annex and not any(f.invalid for f in doc.fields)
    TALLY[("examples", "parsed")] += 1


# ---- verdicts: library and command line ---------------------------------
def _fr00_bundle(tmp: Path) -> Path:
    """FR00's test leaf as a trusted 2D-Doc signer (its CA, "AC DE TEST", is not published)."""
    import base64

    der = (CHAINS / "FR00.der").read_bytes()
    bundle = {
        "format": "scanverify.trust.v1",
        "version": 1,
        "keys": [
            {
                "name": "ANTS test certificate FR00/0001",
                "x5c": [base64.b64encode(der).decode()],
                "role": "signer",
                "formats": ["2D-DOC"],
                "specimen": True,
            }
        ],
    }
    path = tmp / "fr00.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def fr00(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _fr00_bundle(tmp_path_factory.mktemp("fr00"))


def _window(der_name: str) -> tuple[date, date]:
    from cryptography import x509

    certificate = x509.load_der_x509_certificate((CHAINS / der_name).read_bytes())
    return certificate.not_valid_before_utc.date(), certificate.not_valid_after_utc.date()


def _checked_at(signed: date) -> datetime:
    """The day after the signature: the test certificate is expired today."""
    return datetime.combine(signed + timedelta(days=1), time(12), UTC)


def _expected_status(signed: date, window: tuple[date, date]) -> tuple[str, str]:
    start, end = window
    if signed > end:
        return "expired", "key_expired"
    if signed < start:
        return "not_yet_valid", "key_not_yet_valid"
    return "genuine", "none"


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_verdict_with_fr00(name: str, fr00: Path, run_cli: Cli) -> None:
    from scanverify import TrustStore, Verifier

    text = _text(SPEC / name)
    signed = _day(_reference(name)["header"]["sign_date"])
    assert signed is not None
    at = _checked_at(signed)
    status, cause = _expected_status(signed, _window("FR00.der"))
    expiry = _reference(name)["fields"].get("08")  # the document's own expiry date, if it has one
    if expiry is not None and date.fromisoformat(expiry) < at.date():
        status, cause = "expired", "seal_expired"  # the verifier's own rule, ranked before the format's
    result = Verifier(trust=TrustStore.from_file(fr00), clock=lambda: at).verify_payload(text)
    assert (result.format, result.signature_valid) == ("2D-DOC", True), result.reason
    assert (result.status.value, result.cause.value) == (status, cause), result.reason
    assert result.specimen  # FR00 is the test authority: never a real document
    TALLY[("examples", "signature valid")] += 1
    TALLY[("examples", status)] += 1
    line = run_cli(
        "--json", "--no-default-trust", "--trust", str(fr00), "--at", at.isoformat(), "--text", text.decode()
    ).record()
    assert (line["format"], line["status"], line["cause"]) == ("2D-DOC", status, cause)
    assert line["kid"] == "FR00/0001" and line["record"]["document_type"] == _reference(name)["header"]["doc_type_id"]
    TALLY[("examples", "CLI agrees")] += 1


def test_example_is_untrusted_without_fr00() -> None:
    from scanverify import TrustStore, Verifier

    result = Verifier(trust=TrustStore()).verify_payload(_text(SPEC / EXAMPLES[0]))
    assert (result.status.value, result.cause.value, result.signature_valid) == ("untrusted", "unknown_key", None)


def test_example_with_one_character_changed_is_forged(fr00: Path) -> None:
    from scanverify import TrustStore, Verifier

    text = _text(SPEC / "15.2.3/01.txt").replace(b"METZ", b"NICE")
    result = Verifier(trust=TrustStore.from_file(fr00), clock=lambda: datetime(2013, 1, 1, tzinfo=UTC)).verify_payload(
        text
    )
    assert (result.status.value, result.signature_valid) == ("forged", False)


# ---- production specimens -------------------------------------------------
def _specimen_trust(doc_ca: str, doc_cert: str, fr00: Path) -> Any:
    from scanverify import TrustStore

    if doc_ca == "FR00":
        return TrustStore.from_file(fr00)
    # The CA from the signed ANTS list; the signer certificate as given, chained to it.
    return TrustStore.from_file(CHAINS / "tsl_signed.xml") + TrustStore.from_file(CHAINS / f"{doc_ca}_{doc_cert}.der")


@pytest.mark.parametrize("name", SPECIMENS)
def test_specimen_verdict(name: str, fr00: Path, run_cli: Cli) -> None:
    from scanverify import Verifier

    text = _text(DATA / "samples" / name)
    doc = parse(text)
    assert doc.header.signed is not None and not doc.unparsed and doc.fields
    assert not any(f.invalid for f in doc.fields)
    TALLY[("specimens", "parsed")] += 1
    at = _checked_at(doc.header.signed)
    der = "FR00.der" if doc.header.ca_id == "FR00" else f"{doc.header.ca_id}_{doc.header.cert_id}.der"
    status, cause = _expected_status(doc.header.signed, _window(der))
    trust = _specimen_trust(doc.header.ca_id, doc.header.cert_id, fr00)
    result = Verifier(trust=trust, clock=lambda: at).verify_payload(text)
    assert (result.signature_valid, result.status.value, result.cause.value) == (True, status, cause), result.reason
    TALLY[("specimens", "signature valid")] += 1
    TALLY[("specimens", status)] += 1
    if doc.header.ca_id != "FR00":
        args = ["--trust", str(CHAINS / "tsl_signed.xml"), "--trust", str(CHAINS / der)]
    else:
        args = ["--trust", str(fr00)]
    line = run_cli("--json", "--no-default-trust", *args, "--at", at.isoformat(), "--text", text.decode()).record()
    assert (line["status"], line["cause"]) == (status, cause)
    TALLY[("specimens", "CLI agrees")] += 1


def test_specimen_leaf_without_its_ca_is_untrusted_chain() -> None:
    from scanverify import TrustStore, Verifier

    text = _text(DATA / "samples" / SPECIMENS[-1])
    assert b"FR03AV01" in text
    result = Verifier(trust=TrustStore.from_file(CHAINS / "FR03_AV01.der")).verify_payload(text)
    assert (result.status.value, result.cause.value) == ("untrusted", "chain")


def test_specimen_leaf_of_another_ca_does_not_chain() -> None:
    """FR03's leaf named as issued by FR01: the FR01 anchor's key does not verify it."""
    from scanverify import TrustStore, Verifier

    text = _text(DATA / "samples" / SPECIMENS[-1])
    trust = TrustStore.from_file(CHAINS / "tsl_signed.xml") + TrustStore.from_file(CHAINS / "FR03_AV01.der")
    only_fr01 = type(trust)(keys=tuple(k for k in trust.keys if k.iss != "FR03"))
    result = Verifier(trust=only_fr01).verify_payload(text)
    assert (result.status.value, result.cause.value) == ("untrusted", "chain")


# ---- a DataMatrix photo gives the verdict its text gives ----------------------
def test_datamatrix_photo_gives_the_text_verdict(tmp_path: Path) -> None:
    import numpy as np
    import zxingcpp
    from PIL import Image

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    import photosim

    from scanverify import Verifier

    name = next(n for n in SPECIMENS if n.endswith("vaccine-valid.txt"))
    text = _text(DATA / "samples" / name)
    doc = parse(text)
    assert doc.header.signed is not None
    at = _checked_at(doc.header.signed)
    verifier = Verifier(trust=_specimen_trust(doc.header.ca_id, doc.header.cert_id, Path()), clock=lambda: at)
    symbol = zxingcpp.write_barcode_to_image(zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.DataMatrix), scale=6)
    page = Image.new("RGB", (900, 1200), (248, 246, 238))
    page.paste(Image.fromarray(np.asarray(symbol)).convert("RGB"), (520, 820))
    photo = photosim.phone_photo(page, np.random.default_rng(12))
    path = tmp_path / "page.jpg"
    photo.save(path, quality=90)
    [from_photo] = [r for r in verifier.verify_image(path) if r.format == "2D-DOC"]
    from_text = verifier.verify_payload(text)
    assert from_photo.status.value == from_text.status.value == "genuine"
    assert from_photo.code is not None and from_photo.code.symbology == "DataMatrix"
    assert from_photo.record == from_text.record and from_photo.payload == from_text.payload
    TALLY[("DataMatrix photo", "same as text")] += 1


# ---- the table ------------------------------------------------------------
COLUMNS = ("parsed", "signature valid", "genuine", "expired", "not_yet_valid", "CLI agrees", "same as text")


def conformance_table() -> str:
    rows = [("set", *COLUMNS)]
    for group, total in (("examples", len(EXAMPLES)), ("specimens", len(SPECIMENS)), ("DataMatrix photo", 1)):
        rows.append((f"{group} ({total})", *(str(TALLY[(group, c)]) for c in COLUMNS)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows)
