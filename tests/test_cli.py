"""The command-line contract: output shapes and exit codes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from specseal import Issuer, make_seal, record
from support import Cli, json_lines, write_trust

T = int(datetime(2026, 11, 26, 12, tzinfo=UTC).timestamp())
AT = "2026-11-26T12:00:00Z"


@pytest.fixture()
def bundle(issuer: Issuer, tmp_path: Path) -> str:
    return str(write_trust(issuer, tmp_path / "trust.json", name="Consular Department 领事司"))


def test_genuine_text_json(run_cli: Cli, issuer: Issuer, bundle: str) -> None:
    seal = make_seal(issuer, iat=T).text()
    code, out, _ = run_cli("--json", "--at", AT, "--trust", bundle, "--text", seal)
    assert code == 0
    [obj] = json_lines(out)
    assert obj["status"] == "genuine" and obj["format"] == "CS1" and obj["payload"] == seal
    assert obj["kid"] == issuer.kid.hex()
    assert obj["issuer"]["name"] == "Consular Department 领事司" and obj["issuer"]["specimen"] is False
    assert obj["claims"]["iss"] == "CN" and obj["record"]["doc"]["hn"] == "王小明"
    assert obj["record"]["doc"]["h"] == record()["doc"]["h"].hex()
    assert set(obj) >= {
        "source",
        "status",
        "reason",
        "format",
        "payload",
        "polygon",
        "kid",
        "issuer",
        "claims",
        "record",
    }


def test_forged_text_exits_1(run_cli: Cli, issuer: Issuer, bundle: str) -> None:
    seal = make_seal(issuer, iat=T, signature=bytes(64)).text()
    code, out, _ = run_cli("--at", AT, "--trust", bundle, "--text", seal)
    assert code == 1
    assert "FORGED" in out and "✘" in out


def test_not_a_seal_exits_3(run_cli: Cli) -> None:
    code, out, _ = run_cli("--json", "--text", "https://example.org/")
    assert code == 3 and json_lines(out)[0]["status"] == "not_a_seal"


def test_stdin_lines_in_order(issuer: Issuer, bundle: str) -> None:
    good = make_seal(issuer, iat=T).text()
    stdin = f"{good}\n\nhttps://example.org\n{good[:-1]}\n"
    proc = subprocess.run(
        [sys.executable, "-m", "scanverify", "--json", "--at", AT, "--trust", bundle, "--text", "-"],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    objs = json_lines(proc.stdout)
    assert [o["source"] for o in objs] == ["<stdin>:1", "<stdin>:3", "<stdin>:4"]
    assert [o["status"] for o in objs] == ["genuine", "not_a_seal", "malformed"]
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr


def test_at_sets_the_clock(run_cli: Cli, issuer: Issuer, bundle: str) -> None:
    seal = make_seal(issuer, iat=T, exp=T + 3600).text()
    assert run_cli("--at", AT, "--trust", bundle, "--text", seal)[0] == 0
    code, out, _ = run_cli("--json", "--at", "2026-11-26T14:00:00+01:00", "--trust", bundle, "--text", seal)
    assert code == 0  # 13:00Z, exactly exp: still valid
    code, out, _ = run_cli("--json", "--at", "2026-11-27", "--trust", bundle, "--text", seal)
    assert code == 1 and json_lines(out)[0]["status"] == "expired"


@pytest.mark.parametrize("bad", ["2026-11-26T12:00:00", "tomorrow", "2026-13-01"])
def test_bad_at_is_a_usage_error(run_cli: Cli, bad: str) -> None:
    code, _, err = run_cli("--at", bad, "--text", "x")
    assert code == 2 and "--at" in err and "Traceback" not in err


def test_usage_errors(run_cli: Cli) -> None:
    assert run_cli()[0] == 2
    assert run_cli("--no-such-option", "x.jpg")[0] == 2
    assert run_cli("--text", "x", "also.jpg")[0] == 2
    code, _, err = run_cli("--trust", "/nonexistent/trust.json", "--text", "x")
    assert code == 2 and "cannot read trust file" in err


def test_broken_trust_file(run_cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "scanverify.trust.v1", "keys": [{"spki": "!!"}]}')
    code, _, err = run_cli("--trust", str(bad), "--text", "x")
    assert code == 2 and "spki is not valid base64" in err
    private = tmp_path / "leak.pem"
    private.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    code, _, err = run_cli("--trust", str(private), "--text", "x")
    assert code == 2 and "PRIVATE key" in err


def test_human_view_renders_chinese_and_specimen(run_cli: Cli, issuer: Issuer, tmp_path: Path) -> None:
    path = write_trust(issuer, tmp_path / "specimen.json", specimen=True)
    code, out, _ = run_cli("--at", AT, "--trust", str(path), "--text", make_seal(issuer, iat=T).text())
    assert code == 0
    assert "✔ GENUINE" in out and "SPECIMEN" in out
    assert "王小明" in out and "出生公证书" in out and "2021-BJ-0012345" in out


def test_redact_hides_holder(run_cli: Cli, issuer: Issuer, bundle: str) -> None:
    seal = make_seal(issuer, iat=T).text()
    code, out, _ = run_cli("--json", "--redact", "--at", AT, "--trust", bundle, "--text", seal)
    assert code == 0
    assert "王小明" not in out and seal not in out
    obj = json_lines(out)[0]
    assert obj["status"] == "genuine" and obj["record"]["no"] == "2021-BJ-0012345"
    code, out, _ = run_cli("--redact", "--at", AT, "--trust", bundle, "--text", seal)
    assert "王小明" not in out and "2021-BJ-0012345" in out


def test_no_default_trust(run_cli: Cli, issuer: Issuer, bundle: str) -> None:
    seal = make_seal(issuer, iat=T).text()
    code, out, _ = run_cli("--json", "--no-default-trust", "--at", AT, "--text", seal)
    assert code == 1 and json_lines(out)[0]["status"] == "untrusted"


def test_keygen_and_sign_round_trip(run_cli: Cli, tmp_path: Path) -> None:
    stem = tmp_path / "post"
    code, out, _ = run_cli("keygen", "--alg", "EdDSA", "-o", str(stem), "--iss", "CN", "--name", "Post 1")
    assert code == 0
    key = Path(f"{stem}.key.pem")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "PRIVATE KEY" in key.read_text() and "PRIVATE" not in Path(f"{stem}.trust.json").read_text()
    entry = json.loads(Path(f"{stem}.trust.json").read_text())["keys"][0]
    assert entry["alg"] == "EdDSA" and entry["iss"] == "CN"
    # keygen never overwrites a key
    assert run_cli("keygen", "-o", str(stem))[0] == 2

    rec = tmp_path / "rec.json"
    rec.write_text(json.dumps({**record(), "doc": {"ti": "Diploma", "h": "ab" * 32}}), encoding="utf-8")
    code, out, _ = run_cli("sign", str(rec), "--key", str(key), "--iss", "CN", "--exp", "2030-01-01T00:00:00Z")
    assert code == 0
    seal = out.strip()
    code, out, _ = run_cli("--json", "--trust", f"{stem}.trust.json", "--text", seal)
    assert code == 0
    obj = json_lines(out)[0]
    assert obj["record"]["doc"]["h"] == "ab" * 32 and obj["claims"]["exp"] == "2030-01-01T00:00:00Z"


def test_sign_refuses_a_bad_record(run_cli: Cli, tmp_path: Path) -> None:
    stem = tmp_path / "k"
    run_cli("keygen", "-o", str(stem))
    rec = tmp_path / "rec.json"
    rec.write_text(json.dumps(record(t="passport") | {"doc": {"ti": "x"}}))
    code, _, err = run_cli("sign", str(rec), "--key", f"{stem}.key.pem", "--iss", "CN")
    assert code == 2 and "unknown kind of act" in err
    code, _, err = run_cli("sign", str(rec), "--key", f"{stem}.pub.pem", "--iss", "CN")
    assert code == 2 and "private key" in err


def test_version_and_help(run_cli: Cli) -> None:
    code, out, _ = run_cli("--version")
    assert code == 0 and "scanverify" in out
    code, out, _ = run_cli("--help")
    assert code == 0 and "Exit status" in out


def test_python_dash_m_never_prints_a_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "scanverify", "--json", "--text", "CS1:" + "9" * 5000],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["status"] == "malformed"


def test_doctor_lists_decoders_and_trust(run_cli: Cli) -> None:
    code, out, _ = run_cli("doctor")
    assert code == 0
    assert "zxing-cpp" in out and "pyzbar" in out and "opencv" in out
    assert "formats: CS1, HC1" in out and "trust:" in out


def test_claims_of_a_seal_that_did_not_verify_are_marked(run_cli: Cli, issuer: Issuer, bundle: str) -> None:
    seal = make_seal(issuer, iat=T, signature=bytes(64)).text()
    code, out, _ = run_cli("--at", AT, "--trust", bundle, "--text", seal)
    assert code == 1 and "NOT VERIFIED" in out and "2021-BJ-0012345" in out
    code, out, _ = run_cli("--at", AT, "--trust", bundle, "--text", make_seal(issuer, iat=T).text())
    assert code == 0 and "NOT VERIFIED" not in out
