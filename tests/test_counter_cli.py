"""Issue 14 on the command line: PDF pages, skipped files, --audit-log, doctor --json, help."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from specseal import Issuer
from support import Cli, json_lines, write_trust
from test_counter_pages import blank, page_with_seal

from scanverify.audit import verify_log

T = int(datetime(2026, 11, 26, 12, tzinfo=UTC).timestamp())
AT = "2026-11-26T12:00:00Z"


@pytest.fixture()
def trust(issuer: Issuer, tmp_path: Path) -> str:
    return str(write_trust(issuer, tmp_path / "trust.json"))


def test_pdf_seal_on_page_2(run_cli: Cli, issuer: Issuer, trust: str, tmp_path: Path) -> None:
    pdf = tmp_path / "scan.pdf"
    blank().save(pdf, "PDF", resolution=72, save_all=True, append_images=[page_with_seal(issuer)])
    code, out, _ = run_cli(str(pdf), "--trust", trust, "--at", AT, "--json")
    rows = json_lines(out)
    assert {(r["source"], r["status"]) for r in rows} == {(f"{pdf}#page=1", "no_code"), (f"{pdf}#page=2", "genuine")}
    assert all(r["schema"] == "scanverify.result.v1" for r in rows)
    genuine = next(r for r in rows if r["status"] == "genuine")
    assert {"label": "Certificate number", "value": "2021-BJ-0012345", "personal": False} in genuine["facts"]
    assert code == 3  # page 1 holds no seal: an input without one


def test_directory_says_what_it_skipped(run_cli: Cli, issuer: Issuer, trust: str, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    page_with_seal(issuer).save(folder / "seal.png")
    (folder / "notes.txt").write_text("x", encoding="utf-8")
    code, _, err = run_cli(str(folder), "--trust", trust, "--at", AT)
    assert code == 0
    assert "skipped" in err and "notes.txt" in err and "not an image" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_cli(str(empty), "--trust", trust, "--at", AT)
    assert code == 3 and "no image, HEIC or PDF file found" in err


def test_audit_log_from_the_command_line(run_cli: Cli, issuer: Issuer, trust: str, tmp_path: Path) -> None:
    from specseal import make_seal

    log = tmp_path / "audit.jsonl"
    seal = make_seal(issuer, iat=T).text()
    for _ in range(2):
        assert run_cli("--text", seal, "--trust", trust, "--at", AT, "--audit-log", str(log))[0] == 0
    assert verify_log(log).lines == 2 and verify_log(log).intact
    assert "王小明" not in log.read_text(encoding="ascii").encode().decode("unicode_escape")
    assert run_cli("--text", seal, "--trust", trust, "--at", AT, "--audit-log", str(log), "--audit-full")[0] == 0
    last = json.loads(log.read_bytes().splitlines()[-1])
    assert last["redacted"] is False and last["result"]["payload"] == seal
