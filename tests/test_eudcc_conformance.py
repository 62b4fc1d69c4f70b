"""The EU DCC conformance suite (../shared/conformance/eu-dcc), flag by flag.

Each EXPECTED* flag a test file states is checked in isolation, on the fields
it names, as SOURCE.md there recommends. Cases listed in KNOWN_ISSUES.json are
asserted as known: for each, the test checks that scanverify's answer is the
one the listed reason predicts, and prints it.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support import Cli

from scanverify import Cause, ImageError, Status, TrustStore, Verifier
from scanverify.decode import decode_image
from scanverify.formats import MalformedSeal
from scanverify.formats.hc1 import HC1

SHARED = Path(__file__).resolve().parents[2] / "shared"
SUITE = SHARED / "conformance" / "eu-dcc"
DATA = SUITE / "dgc-testdata"
FLAGS = (
    "EXPECTEDPICTUREDECODE",
    "EXPECTEDUNPREFIX",
    "EXPECTEDB45DECODE",
    "EXPECTEDCOMPRESSION",
    "EXPECTEDVERIFY",
    "EXPECTEDDECODE",
    "EXPECTEDEXPIRATIONCHECK",
    "EXPECTEDKEYUSAGE",
)
TALLY: Counter[tuple[str, str]] = Counter()
KNOWN_SEEN: list[str] = []

#: CI runs .ci/run with CI=true in its environment; there the suite must run.
IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")
PRESENT = SHARED.is_dir()

if not PRESENT and not IN_CI:
    # Outside CI, a checkout without ../shared (a clone of this repository
    # alone) may skip this module, and says why.
    pytest.skip(
        f"the EU DCC conformance data lives in {SHARED}, which is absent (in CI, with CI=true, this fails)",
        allow_module_level=True,
    )
if PRESENT:
    # ../shared present but the suite missing is a broken checkout: fail, do not skip.
    assert DATA.is_dir(), f"{SHARED} is present but {DATA} is missing"


def test_conformance_data_is_present() -> None:
    """In CI a missing suite fails here: a skipped module would look green."""
    assert PRESENT, f"CI=true but the EU DCC conformance data ({SHARED}) is absent: the suite cannot run"
    assert CASES, f"no conformance cases found under {DATA}"


def _known() -> dict[str, list[dict[str, Any]]]:
    if not PRESENT:
        return {}
    issues = json.loads((SUITE / "KNOWN_ISSUES.json").read_text())["issues"]
    by_file: dict[str, list[dict[str, Any]]] = {}
    for issue in issues:
        for pattern in issue["files"]:
            for path in DATA.glob(pattern):
                by_file.setdefault(path.relative_to(DATA).as_posix(), []).append(issue)
    return by_file


KNOWN = _known()
IMAGE_FOR = {
    json_name: image
    for image, facts in (json.loads((SUITE / "IMAGE_INDEX.json").read_text())["images"] if PRESENT else {}).items()
    for json_name in facts.get("matches_json_PREFIX_of") or []
}
CASES = sorted(
    p.relative_to(DATA).as_posix()
    for p in DATA.rglob("*.json")
    if "2DCode" in p.parts and p.parent.name.lower() == "raw"
)
# What our answer is, for a known issue's flag, and why (each matches a KNOWN_ISSUES entry).
# "flag": our answer is the flag's, once the harness does what the issue says.
AGREES = "flag"
KNOWN_ANSWERS: dict[str, tuple[bool | str, str]] = {
    "expected_true_but_nonconformant": (
        False,
        "a P-384 key under an ES256 header never verifies (alg must fit the key)",
    ),
    "certificate_not_strict_DER": (
        AGREES,
        "cryptography refuses the extensions; the EKU is read again from the DER on its own"
        " (an empty EKU allows every type, like none, as the EU's reference verifiers have it)",
    ),
    "certificate_not_strict_DER/EXPECTEDVERIFY": (AGREES, "kid and signature check out; the key itself is readable"),
    "certificate_not_strict_DER/EXPECTEDEXPIRATIONCHECK": (AGREES, "the certificate's validity dates are readable"),
    "field_renamed": (AGREES, "the image is read from _2DCODE"),
    "missing_fields": (AGREES, "COSE is derived from BASE45, as the issue suggests"),
    "description_mismatch": (False, "alg only in the unprotected header is refused: alg must be signed"),
    "dsc_window": (True, "like CS1, the signer's validity bounds when it may sign (iat), not the seal's exp"),
    "semantics_ambiguous": (
        True,
        "as the reference verifiers read it (the Corona-Warn-App's DscSignatureValidator): an EKU that names"
        " no DCC type restricts nothing; the upstream harness reads it as 'no type', hence the flag",
    ),
    "json_field_mismatch": (False, "the signed payload differs from the JSON beside it; we report the signed data"),
    "json_field_tampered": (False, "the JSON beside the payload was edited; we report the signed data"),
}


def _clock(text: str) -> datetime:
    moment = datetime.fromisoformat(re.sub(r"[zZ]$", "+00:00", text))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # no zone means UTC (SOURCE.md)


def _normalise(value: Any) -> Any:
    """JSON compared semantically: sorted keys, date-times as UTC seconds."""
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})?", value):
        return int(_clock(value).timestamp())
    return value


class Case:
    def __init__(self, name: str) -> None:
        self.name = name
        self.data = json.loads((DATA / name).read_text(encoding="utf-8"))
        self.ctx = self.data.get("TESTCTX", {})
        self.expected = {k: v for k, v in self.data.get("EXPECTEDRESULTS", {}).items() if k in FLAGS}

    def field(self, key: str) -> Any:
        return self.data.get(key)

    # Missing fields are derived from the step before (SOURCE.md); None if they cannot be.
    def base45_text(self) -> str | None:
        if self.field("BASE45"):
            return str(self.field("BASE45"))
        prefix = self.field("PREFIX")
        return prefix[4:] if isinstance(prefix, str) and prefix.startswith("HC1:") else None

    def compressed_hex(self) -> str | None:
        if self.field("COMPRESSED"):
            return str(self.field("COMPRESSED")).lower()
        text = self.base45_text()
        try:
            return HC1.base45(text).hex() if text else None
        except MalformedSeal:
            return None

    def cose_hex(self) -> str | None:
        if self.field("COSE"):
            return str(self.field("COSE")).lower()
        compressed = self.compressed_hex()
        try:
            return HC1.decompress(bytes.fromhex(compressed))[0].hex() if compressed else None
        except MalformedSeal:
            return None

    def verifier(self) -> Verifier:
        der = base64.b64decode(self.ctx["CERTIFICATE"])
        clock = _clock(self.ctx["VALIDATIONCLOCK"])
        return Verifier(trust=TrustStore.from_bytes(der, source=f"{self.name} DSC"), clock=lambda: clock)

    def payload(self) -> str:
        cose = self.cose_hex()
        return "HC1:" + _b45(bytes.fromhex(cose)) if cose else str(self.field("PREFIX"))

    # ---- one method per flag: our answer to "did this step succeed?"
    def PICTUREDECODE(self) -> bool:
        image = self.field("2DCODE") or self.field("_2DCODE")
        if image:
            data = base64.b64decode(image)
        elif self.name in IMAGE_FOR:
            data = (DATA / IMAGE_FOR[self.name]).read_bytes()  # the PNG beside it (IMAGE_INDEX.json)
        else:
            raise Underivable("no image")
        try:
            codes = decode_image(data)
        except ImageError:
            return False
        return any(code.text == self.field("PREFIX") for code in codes)

    def UNPREFIX(self) -> bool:
        result = Verifier(trust=TrustStore()).verify_payload(str(self.field("PREFIX")))
        return result.format == "HC1" and self.field("PREFIX")[4:] == self.field("BASE45")

    def B45DECODE(self) -> bool:
        text = self.base45_text()
        if text is None:
            raise Underivable("no BASE45 or PREFIX")
        try:
            decoded = HC1.base45(text).hex()
        except MalformedSeal:
            return False
        return self.field("COMPRESSED") is None or decoded == str(self.field("COMPRESSED")).lower()

    def COMPRESSION(self) -> bool:
        compressed = self.compressed_hex()
        if compressed is None:
            raise Underivable("no COMPRESSED, BASE45 or PREFIX")
        try:
            cose, was_compressed = HC1.decompress(bytes.fromhex(compressed))
        except MalformedSeal:
            return False
        return was_compressed and (self.field("COSE") is None or cose.hex() == str(self.field("COSE")).lower())

    def VERIFY(self) -> bool:
        result = self.verifier().verify_payload(self.payload())
        # The signature verified with the DSC; whether the DSC may sign this type is KEYUSAGE's flag.
        return result.signature_valid is True

    def DECODE(self) -> bool:
        try:
            seal = HC1().parse(self.payload())
        except MalformedSeal:
            return False
        return _normalise(dict(seal.record)) == _normalise(self.field("JSON"))

    def EXPIRATIONCHECK(self) -> bool:
        result = self.verifier().verify_payload(self.payload())
        if result.status in (Status.NOT_YET_VALID, Status.EXPIRED):
            return False
        try:
            seal = HC1().parse(self.payload())
        except MalformedSeal:
            return False
        clock = _clock(self.ctx["VALIDATIONCLOCK"])
        # Checked on its own too, whatever the signature: iat <= clock <= exp.
        return seal.issued_at <= clock and (seal.expires_at is None or clock <= seal.expires_at)

    def KEYUSAGE(self) -> bool:
        # The format's own rules, called directly: this flag is about key usage
        # alone. Its time answers (the signer's validity) belong to EXPIRATIONCHECK.
        verifier = self.verifier()
        seal = HC1().parse(self.payload())
        [key] = verifier.trust.keys
        findings = HC1().policy(seal, key, verifier.trust, verifier.clock())
        return not any(f.cause is Cause.KEY_USAGE for f in findings)


class Underivable(Exception):
    """A flag's input fields are missing and cannot be derived: the flag is not checked."""


def _b45(data: bytes) -> str:
    from scanverify._codec import b45encode

    return b45encode(data)


@pytest.mark.parametrize("name", CASES)
def test_conformance_case(name: str) -> None:
    case = Case(name)
    known = {flag: issue for issue in KNOWN.get(name, []) for flag in issue["flags"]}
    if not case.expected:
        pytest.skip(f"{name}: states no flag this suite checks")
    failures = []
    for flag, expected in case.expected.items():
        step = flag.removeprefix("EXPECTED")
        try:
            answer = getattr(case, step)()
        except Underivable:
            TALLY[(flag, "underivable")] += 1
            continue
        except MalformedSeal as exc:
            answer, note = False, str(exc)
        else:
            note = ""
        if flag in known:
            kind, why = assert_known(known[flag], name, flag, expected, answer)
            TALLY[(flag, "known")] += 1
            KNOWN_SEEN.append(f"{name} {flag}: flag {expected}, ours {answer} — {kind}: {why}")
            continue
        TALLY[(flag, "cases")] += 1
        if answer is expected:
            TALLY[(flag, "agreed")] += 1
        else:
            failures.append(f"{flag}: expected {expected}, scanverify says {answer} {note}".rstrip())
    assert not failures, f"{name}: " + "; ".join(failures)


def assert_known(issue: dict[str, Any], name: str, flag: str, expected: bool, answer: bool) -> tuple[str, str]:
    """Our answer on a known issue's flag is the one KNOWN_ANSWERS predicts; returns its kind and why."""
    kind = issue["kind"]
    ours, why = KNOWN_ANSWERS.get(f"{kind}/{flag}") or KNOWN_ANSWERS[kind]
    predicted = expected if ours == AGREES else ours
    assert answer is predicted, f"{name} {flag}: known issue '{kind}' predicts {predicted} ({why}), got {answer}"
    return kind, why


def conformance_table() -> str:
    """The table of flags, cases and agreement; printed at the end of the run (tests/conftest.py)."""
    lines = [f"{'flag':<26}{'cases':>7}{'agreed':>8}{'known':>7}{'underivable':>13}"]
    for flag in FLAGS:
        counts = [TALLY[(flag, column)] for column in ("cases", "agreed", "known", "underivable")]
        lines.append(f"{flag:<26}{counts[0]:>7}{counts[1]:>8}{counts[2]:>7}{counts[3]:>13}")
    if CLI_TALLY:
        lines.append(
            f"through the CLI (--json --text, --trust DSC, --at clock): {CLI_TALLY['stated']} stated outcomes,"
            f" {CLI_TALLY['agreed']} agreed, {CLI_TALLY['known']} known issues,"
            f" {CLI_TALLY['not asked']} not asked (key usage of a signature that did not verify)"
        )
    lines.append("known issues (KNOWN_ISSUES.json), each asserted as known:")
    lines += [f"  {line}" for line in KNOWN_SEEN]
    return "\n".join(lines)


def test_every_checked_flag_agrees() -> None:
    """Runs after the cases: no flag outside the known issues disagrees."""
    if not sum(TALLY.values()):
        pytest.skip("the conformance cases did not run in this session (deselected)")
    assert all(TALLY[(f, "cases")] == TALLY[(f, "agreed")] for f in FLAGS), conformance_table()
    assert TALLY[("EXPECTEDVERIFY", "agreed")] > 500 and TALLY[("EXPECTEDPICTUREDECODE", "agreed")] > 400


# ---------------------------------------------------------------- the same suite through the command line
#: The flags a verdict on the command line answers, and how a --json row answers each.
CLI_FLAGS: dict[str, Any] = {
    "EXPECTEDUNPREFIX": lambda row: row["format"] == "HC1",
    "EXPECTEDB45DECODE": lambda row: row["format"] == "HC1" and row["status"] != "malformed",
    "EXPECTEDVERIFY": lambda row: row.get("signature_valid") is True,
    # Whether the DSC may sign this type is only asked of a signature it made.
    "EXPECTEDKEYUSAGE": lambda row: row["cause"] != "key_usage" if row.get("signature_valid") else None,
    "EXPECTEDEXPIRATIONCHECK": lambda row: row["status"] not in ("not_yet_valid", "expired"),
}
CLI_TALLY: Counter[str] = Counter()


def test_suite_through_the_cli(tmp_path: Path, run_cli: Cli) -> None:
    """Every stated outcome a verdict answers, through `scanverify --json --text` as a clerk's
    integrator would run it: the DSC as --trust, the suite's clock as --at."""
    failures = []
    for name in CASES:
        case = Case(name)
        stated = {flag: value for flag, value in case.expected.items() if flag in CLI_FLAGS}
        if not stated or not case.field("PREFIX") or not case.ctx.get("CERTIFICATE"):
            continue
        dsc = tmp_path / "dsc.der"
        dsc.write_bytes(base64.b64decode(case.ctx["CERTIFICATE"]))
        clock = _clock(case.ctx["VALIDATIONCLOCK"]).isoformat()
        out = run_cli("--json", "-q", "--no-default-trust", "--trust", str(dsc), "--at", clock, "--text", case.field("PREFIX")).out
        row = json.loads(out.splitlines()[0])
        known = {flag: issue for issue in KNOWN.get(name, []) for flag in issue["flags"]}
        for flag, expected in stated.items():
            answer = CLI_FLAGS[flag](row)
            if answer is None:
                CLI_TALLY["not asked"] += 1
                continue
            if flag in known:
                assert_known(known[flag], f"{name} (through the CLI)", flag, expected, answer)
                CLI_TALLY["known"] += 1
                continue
            CLI_TALLY["stated"] += 1
            if answer is expected:
                CLI_TALLY["agreed"] += 1
            else:
                failures.append(f"{name} {flag}: expected {expected}, the CLI says {row['status']} ({row['reason']})")
    assert CLI_TALLY["stated"] > 1500
    assert not failures, "\n".join(failures)
