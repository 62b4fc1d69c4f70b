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
it, and counted so in the table.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
DATA = SHARED / "conformance" / "fr-2d-doc" / "nipo-tdd"
if not SHARED.is_dir():
    pytest.skip(f"the 2D-Doc conformance data lives in {SHARED}, which is absent", allow_module_level=True)
# ../shared present but the suite missing is a broken checkout: fail, do not skip.
assert DATA.is_dir(), f"{SHARED} is present but {DATA} is missing"

yaml = pytest.importorskip("yaml", reason="the examples' expected values are YAML (PyYAML is a test tool)")

from scanverify.formats.ddoc_parse import DdocError, parse  # noqa: E402

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
