"""Each format declares ``fact_labels``, the labels of the facts it names itself; the view shows
those in full and bounds the rest (render.bounded_facts). The declared sets are checked against
what each format really labels the facts of real seals, so a label added to a format's facts but
not to its set (or the reverse drift) fails here."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scanverify.formats import format_named
from scanverify.model import Fact, Status, VerificationResult
from scanverify.render import MAX_EXTRA_FACTS, bounded_facts, known_fact_labels

SHARED = Path(__file__).resolve().parents[2] / "shared" / "conformance"
#: Labels made from the seal's own content, which must never count as the format's.
FROM_THE_SEAL = {"VDS": re.compile(r"Feature 0x[0-9a-f]{2}"), "VDS-NC": re.compile(r"Vaccination, dose .*")}


def samples() -> list[tuple[str, bytes]]:
    import json

    found: list[tuple[str, bytes]] = []
    if not SHARED.is_dir():
        return found
    vectors = json.loads((SHARED / "icao-vds/tsenger-vdstools/extracted/VDS_VECTORS.json").read_text())
    found += [("VDS", bytes.fromhex(v["hex"])) for v in vectors["vds"].values()]
    found += [("VDS", p.read_bytes()) for p in (SHARED / "icao-vds/kurzdigital-vds-jvm/src/test/resources").glob("vds_sample_*")]
    found += [("VDS-NC", p.read_bytes()) for p in (SHARED / "icao-vds-nc/australian-passport-office/extracted").glob("vdsnc_*.json")]
    found += [("VDS-NC", p.read_bytes()) for p in (SHARED / "icao-vds-nc/kurzdigital-vds-jvm/src/test/resources").glob("vdsnc_*")]
    found += [("SHC", p.read_bytes().strip()) for p in (SHARED / "smart-health-cards/health-cards-gh-pages/examples").glob("example-0[013]-f-*.txt")]
    found += [("2D-DOC", p.read_bytes().rstrip(b"\n")) for p in (SHARED / "fr-2d-doc/nipo-tdd").rglob("*.txt")]
    found += [("HC1", json.loads(p.read_text())["PREFIX"].encode()) for p in sorted((SHARED / "eu-dcc/dgc-testdata").glob("[A-Z][A-Z]/2DCode/raw/1.json"))]
    return found


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared conformance data is absent")
def test_every_label_a_format_gives_a_real_seal_is_declared() -> None:
    seen: dict[str, set[str]] = {}
    for name, data in samples():
        fmt = format_named(name)
        assert fmt is not None
        try:
            seal = fmt.parse(data)
        except Exception:  # broken samples (negative cases) have no facts to check
            continue
        pattern = FROM_THE_SEAL.get(name)
        for fact in seal.facts:
            if pattern is not None and pattern.fullmatch(fact.label):
                assert fact.label not in fmt.fact_labels
                continue
            assert fact.label in fmt.fact_labels, (name, fact.label)
            seen.setdefault(name, set()).add(fact.label)
    assert set(seen) == {"VDS", "VDS-NC", "SHC", "2D-DOC", "HC1"}


def test_cs1_labels_are_its_own_declaration() -> None:
    """CS1 names its facts from its record tables; the view no longer has a CS1 fallback."""
    from specseal import Issuer, make_seal, record

    from scanverify import TrustStore, Verifier

    issuer = Issuer()
    rec = record(**{f"x{i:02d}": "extra" for i in range(MAX_EXTRA_FACTS + 5)})
    text = make_seal(issuer, iat=int(datetime(2025, 1, 1, tzinfo=UTC).timestamp()), rec=rec).text()
    result = Verifier(trust=TrustStore.from_bundle(issuer.bundle(), "t")).verify_payload(text)
    assert result.status is Status.GENUINE
    shown, hidden = bounded_facts(result)
    own = [f for f in result.facts if f.label in format_named("CS1").fact_labels]  # type: ignore[union-attr]
    assert {"Issuing state", "Sealed at", "Holder"} <= {f.label for f in own}
    assert all(f in shown for f in own) and hidden == 5


def test_an_unknown_format_names_nothing() -> None:
    assert known_fact_labels(None) == frozenset() and known_fact_labels("NOPE") == frozenset()
    result = VerificationResult(
        Status.MALFORMED, "x", "s", datetime(2025, 1, 1, tzinfo=UTC), format="NOPE",
        facts=tuple(Fact(f"f{i}", "v") for i in range(MAX_EXTRA_FACTS + 3)),
    )  # fmt: skip
    assert bounded_facts(result)[1] == 3
