"""Issue 14 part 6: keygen and sign refuse what cannot work; encrypted private keys."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from support import Cli

from scanverify.errors import TrustError, UsageError
from scanverify.issuer import generate_key, load_private_key, sign_record, write_key_files

RECORD = {"v": 1, "no": "2026-BJ-1", "t": "apostille", "dt": "2026-11-26", "au": "Consular Department", "doc": {"ti": "Birth certificate"}}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--iss", "cn"], "must be upper case: CN"),
        (["--iss", "ZZ"], "not an ISO 3166-1 alpha-2"),
        (["--iss", "CHN"], "not an ISO 3166-1 alpha-2"),
        (["--not-before", "2027-01-01", "--not-after", "2026-01-01"], "is not before its end"),
        (["--not-before", "2026-01-01", "--not-after", "2026-01-01"], "is not before its end"),
    ],
)
def test_keygen_refuses_terms_that_cannot_work(run_cli: Cli, tmp_path: Path, args: list[str], words: str) -> None:
    code, _, err = run_cli("keygen", "-o", str(tmp_path / "k"), *args)
    assert code == 2
    assert words in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == [], "nothing is written when a term is refused"


def test_keygen_refuses_bad_output_paths(run_cli: Cli, tmp_path: Path) -> None:
    code, _, err = run_cli("keygen", "-o", str(tmp_path / "missing" / "k"))
    assert code == 2 and "does not exist" in err and len(err.strip().splitlines()) == 1
    (tmp_path / "k.pub.pem").write_text("mine", encoding="utf-8")
    code, _, err = run_cli("keygen", "-o", str(tmp_path / "k"))
    assert code == 2 and "already exists" in err
    assert not (tmp_path / "k.key.pem").exists()
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.geteuid() != 0:  # root writes anywhere: the check cannot fail for it
        code, _, err = run_cli("keygen", "-o", str(locked / "k"))
        assert code == 2 and "not writable" in err


def test_encrypted_key_round_trip(run_cli: Cli, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("SV_PASS", "correct horse battery staple")
    code, out, _ = run_cli("keygen", "-o", str(tmp_path / "k"), "--iss", "CN", "--passphrase-env", "SV_PASS")
    assert code == 0 and "encrypted" in out
    pem = (tmp_path / "k.key.pem").read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in pem
    assert (tmp_path / "k.key.pem").stat().st_mode & 0o777 == 0o600
    record = tmp_path / "r.json"
    record.write_text(json.dumps(RECORD), encoding="utf-8")
    key = str(tmp_path / "k.key.pem")
    code, _, err = run_cli("sign", str(record), "--key", key, "--iss", "CN")
    assert code == 2 and "encrypted" in err and "--passphrase-env" in err
    monkeypatch.setenv("SV_WRONG", "wrong")
    code, _, err = run_cli("sign", str(record), "--key", key, "--iss", "CN", "--passphrase-env", "SV_WRONG")
    assert code == 2 and "does not decrypt" in err
    code, out, _ = run_cli("sign", str(record), "--key", key, "--iss", "CN", "--passphrase-env", "SV_PASS")
    assert code == 0 and out.startswith("CS1:")
    code, _, err = run_cli("sign", str(record), "--key", key, "--iss", "CN", "--passphrase-env", "SV_UNSET")
    assert code == 2 and "is not set" in err


def test_keygen_without_passphrase_is_unencrypted_and_asks_nothing(run_cli: Cli, tmp_path: Path) -> None:
    code, _, _ = run_cli("keygen", "-o", str(tmp_path / "k"))
    assert code == 0
    assert b"BEGIN PRIVATE KEY" in (tmp_path / "k.key.pem").read_bytes()


def test_sign_refusals(run_cli: Cli, tmp_path: Path) -> None:
    key = generate_key()
    write_key_files(key, tmp_path / "k")
    record = tmp_path / "r.json"
    record.write_text(json.dumps(RECORD), encoding="utf-8")
    base = ["sign", str(record), "--key", str(tmp_path / "k.key.pem")]
    code, _, err = run_cli(*base, "--iss", "cn")
    assert code == 2 and "upper case" in err
    code, _, err = run_cli(*base, "--iss", "CN", "--iat", "2026-12-01", "--exp", "2026-11-01")
    assert code == 2 and "not before its end" in err
    code, _, err = run_cli(*base, "--iss", "CN", "-o", str(tmp_path / "nowhere" / "seal.png"))
    assert code == 2 and "does not exist" in err
    (tmp_path / "seal.d").mkdir()
    code, _, err = run_cli(*base, "--iss", "CN", "-o", str(tmp_path / "seal.d"))
    assert code == 2 and "is a directory" in err
    # A seal can be made again: -o replaces an old one.
    (tmp_path / "seal.txt").write_text("old", encoding="utf-8")
    code, _, _ = run_cli(*base, "--iss", "CN", "-o", str(tmp_path / "seal.txt"))
    assert code == 0 and (tmp_path / "seal.txt").read_text(encoding="utf-8").startswith("CS1:")


def test_library_refusals(tmp_path: Path) -> None:
    key = generate_key()
    with pytest.raises(UsageError, match="upper case"):
        sign_record(RECORD, key, iss="cn")
    write_key_files(key, tmp_path / "a", passphrase=b"secret")
    with pytest.raises(TrustError, match="encrypted"):
        load_private_key(tmp_path / "a.key.pem")
    assert load_private_key(tmp_path / "a.key.pem", b"secret").public_key() == key.public_key()
    with pytest.raises(UsageError, match="empty"):
        write_key_files(key, tmp_path / "b", passphrase=b"")
