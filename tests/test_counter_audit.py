"""Issue 14 part 5: the audit trail's hash chain and its concurrent writers."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support import Cli

from scanverify import Status, VerificationResult
from scanverify.audit import GENESIS, AuditLog, line_hash, verify_log
from scanverify.model import Fact

AT = datetime(2026, 11, 26, 12, tzinfo=UTC)


def result(n: int) -> VerificationResult:
    return VerificationResult(
        Status.GENUINE,
        "signature verified",
        f"photo-{n}.jpg",
        AT,
        format="CS1",
        payload="CS1:SECRET",
        facts=(Fact("Holder", "王小明", personal=True), Fact("Certificate number", str(n))),
    )


def write_log(path: Path, count: int = 5) -> list[bytes]:
    log = AuditLog(path)
    for n in range(count):
        log.append([result(n)])
    return path.read_bytes().splitlines(keepends=True)


def test_chain_links_and_redacts(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path, 3)
    records = [json.loads(line) for line in lines]
    assert records[0]["prev"] == GENESIS
    assert records[1]["prev"] == line_hash(lines[0])
    assert records[2]["prev"] == line_hash(lines[1])
    assert all(r["result"]["payload"] is None and "王小明" not in json.dumps(r, ensure_ascii=False) for r in records)
    assert records[0]["redacted"] is True
    report = verify_log(path)
    assert report.intact and report.lines == 3 and report.tip == line_hash(lines[2])
    assert path.stat().st_mode & 0o777 == 0o600


def test_full_keeps_personal_data(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    AuditLog(path, full=True).append([result(1)])
    record = json.loads(path.read_bytes())
    assert record["result"]["payload"] == "CS1:SECRET" and record["redacted"] is False


@pytest.mark.parametrize(
    ("damage", "line", "words"),
    [
        ("delete", 2, "does not follow line 1"),
        ("edit", 3, "does not follow line 2"),
        ("reorder", 2, "does not follow line 1"),
        ("delete_first", 1, "genesis"),
        ("garble", 2, "not valid JSON"),
        ("torn", 5, "incomplete"),
    ],
)
def test_damage_is_found_where_it_is(tmp_path: Path, damage: str, line: int, words: str) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path)
    if damage == "delete":
        del lines[1]
    elif damage == "edit":
        lines[1] = lines[1].replace(b"photo-1", b"photo-9")
    elif damage == "reorder":
        lines[1], lines[2] = lines[2], lines[1]
    elif damage == "delete_first":
        del lines[0]
    elif damage == "garble":
        lines[1] = b"{not json\n"
    elif damage == "torn":
        lines[4] = lines[4][:-20]
    path.write_bytes(b"".join(lines))
    report = verify_log(path)
    assert not report.intact
    assert report.broken_at == line, report
    assert words in report.problem


def test_tip_detects_a_changed_last_line(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path, 3)
    tip = verify_log(path).tip
    lines[2] = lines[2].replace(b"photo-2", b"photo-7")
    path.write_bytes(b"".join(lines))
    assert verify_log(path).intact  # a chain alone cannot see it
    assert not verify_log(path, tip=tip).intact
    del lines[2]
    path.write_bytes(b"".join(lines))
    assert verify_log(path, tip=tip).broken_at == 3


def test_append_after_a_torn_line_closes_it(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    write_log(path, 2)
    path.write_bytes(path.read_bytes()[:-10])
    AuditLog(path).append([result(9)])
    report = verify_log(path)
    assert report.broken_at == 2 and "not valid JSON" in report.problem


WRITER = """
import sys
from datetime import UTC, datetime
from scanverify import Status, VerificationResult
from scanverify.audit import AuditLog
log = AuditLog(sys.argv[1])
for n in range(int(sys.argv[2])):
    log.append([VerificationResult(Status.NO_CODE, "x" * 3000, f"{sys.argv[3]}-{n}", datetime.now(UTC))])
"""


def test_two_processes_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    count = 150
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(count), name]) for name in ("a", "b")
    ]
    assert [w.wait(timeout=300) for w in writers] == [0, 0]
    report = verify_log(path)
    assert report.intact, report
    assert report.lines == 2 * count
    sources = [json.loads(line)["result"]["source"] for line in path.read_bytes().splitlines()]
    assert sorted(sources) == sorted(f"{w}-{n}" for w in "ab" for n in range(count))


def test_cli_audit_verify(tmp_path: Path, run_cli: Cli) -> None:
    audit_verify = run_cli.with_args("audit", "verify")
    path = tmp_path / "audit.jsonl"
    lines = write_log(path, 4)
    code, out, _ = audit_verify(str(path))
    assert code == 0 and "intact: 4 lines" in out
    del lines[2]
    path.write_bytes(b"".join(lines))
    code, out, _ = audit_verify(str(path))
    assert code == 1 and "line 3" in out
    assert audit_verify(str(tmp_path / "missing")).code == 2
