"""The registry of issued seals (docs/registry.md), on SQLite and on PostgreSQL alike.

Every test that takes ``url`` runs twice: on a SQLite file, and on a database
in a throw-away PostgreSQL cluster that the ``postgres`` fixture starts on a
local socket (Debian's ``postgresql``, installed by .ci/run).
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support import Cli, CliRun

from scanverify.errors import RegistryError, UsageError
from scanverify.issuer import generate_key, sign_record, write_key_files
from scanverify.registry import RateLimiter, Registry, lookup_answer
from scanverify.trust import TrustStore
from scanverify.trustlist import built_in_version, root_document

NOW = datetime.now(UTC)


# ---------------------------------------------------------------- the two engines
def _pg_tools() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@pytest.fixture(scope="session")
def postgres() -> Iterator[Path]:
    """A throw-away PostgreSQL cluster on a Unix socket; yields the socket's folder."""
    tools = _pg_tools()
    if tools is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed: .ci/run must install Debian's postgresql")
        pytest.skip("PostgreSQL (Debian's postgresql) is not installed: the PostgreSQL runs of these tests need it")
    base = Path(tempfile.mkdtemp(prefix="scanverify-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        # initdb refuses to run as root: the cluster belongs to the postgres user.
        import pwd

        owner = pwd.getpwnam("postgres")
        os.chown(base, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data = base / "data"
    quiet = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}
    subprocess.run(
        [
            *as_user,
            str(tools / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
        ],
        **quiet,
    )  # type: ignore[call-overload]
    options = f"-k {base} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
    subprocess.run(
        [*as_user, str(tools / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "-o", options, "start"],
        **quiet,
    )  # type: ignore[call-overload]
    try:
        yield base
    finally:
        subprocess.run(
            [*as_user, str(tools / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


def _new_database(socket: Path) -> str:
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(host=str(socket), user="postgres", dbname="postgres", autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return f"postgresql://postgres@/{name}?host={socket}"


@pytest.fixture(params=["sqlite", "postgresql"])
def blank_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no registry in it yet."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    return _new_database(request.getfixturevalue("postgres"))


@pytest.fixture()
def url(blank_url: str) -> str:
    """A fresh, empty registry."""
    Registry.open(blank_url, create=True).close()
    return blank_url


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv("SCANVERIFY_HOME", str(path))
    monkeypatch.delenv("SCANVERIFY_REGISTRY", raising=False)
    return path


@pytest.fixture()
def issuer(tmp_path: Path) -> Path:
    """An issuer key on disk (throw-away); returns the private key's path."""
    key_file, _, _ = write_key_files(generate_key("ES256"), tmp_path / "issuer", iss="CN", name="Test Consulate")
    return key_file


def record(
    no: str, *, dt: str = "2026-11-20", t: str = "apostille", au: str = "Consulate General, Shanghai"
) -> dict[str, Any]:
    return {"v": 1, "no": no, "t": t, "dt": dt, "au": au, "doc": {"ti": "Birth certificate", "hn": "王小明"}}


def record_file(tmp_path: Path, no: str, **terms: Any) -> str:
    path = tmp_path / f"record-{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps(record(no, **terms), ensure_ascii=False), encoding="utf-8")
    return str(path)


def sign(run_cli: Cli, tmp_path: Path, issuer: Path, url: str, no: str, *extra: str, **terms: Any) -> CliRun:
    return run_cli(
        "sign",
        record_file(tmp_path, no, **terms),
        "--key",
        str(issuer),
        "--iss",
        "CN",
        "--registry",
        url,
        *extra,
    )


def one_line(err: str) -> str:
    assert len(err.strip().splitlines()) == 1, err
    return err.strip()


# ---------------------------------------------------------------- signing into the registry
def test_sign_records_the_seal_and_prints_it(run_cli: Cli, tmp_path: Path, issuer: Path, url: str) -> None:
    code, out, err = sign(run_cli, tmp_path, issuer, url, "2026-SH-0001")
    assert code == 0, err
    text = out.strip()
    assert text.startswith("CS1:")
    with Registry.open(url) as registry:
        seal = registry.seal("2026-SH-0001")
        history = registry.history("2026-SH-0001")
    assert seal is not None and (seal.iss, seal.dt, seal.kind, seal.revoked) == ("CN", "2026-11-20", "apostille", False)
    import hashlib

    assert seal.seal_sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert seal.record["doc"]["hn"] == "王小明"
    assert [(c.action, c.no) for c in history] == [("issued", "2026-SH-0001")]


@pytest.mark.parametrize("suffix", ["", ".txt", ".png", ".svg"])
def test_a_number_is_sealed_once(run_cli: Cli, tmp_path: Path, issuer: Path, url: str, suffix: str) -> None:
    assert sign(run_cli, tmp_path, issuer, url, "2026-SH-0002")[0] == 0
    out_args = ("-o", str(tmp_path / f"again{suffix}")) if suffix else ()
    code, out, err = sign(run_cli, tmp_path, issuer, url, "2026-SH-0002", *out_args, dt="2026-11-21")
    assert code == 2 and out == ""
    assert "2026-SH-0002" in one_line(err) and "already" in err
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("again", ".seal-"))) == []
    with Registry.open(url) as registry:
        assert registry.seal("2026-SH-0002").dt == "2026-11-20"  # type: ignore[union-attr]
        assert len(registry.history()) == 1


def test_sign_writes_the_file_after_recording(run_cli: Cli, tmp_path: Path, issuer: Path, url: str) -> None:
    out_file = tmp_path / "seal.png"
    code, out, err = sign(run_cli, tmp_path, issuer, url, "2026-SH-0003", "-o", str(out_file))
    assert code == 0 and out == "" and "wrote" in err
    from scanverify import Verifier

    results = Verifier(trust=TrustStore.from_file(str(issuer).replace(".key.pem", ".trust.json"))).verify_image(
        out_file
    )
    assert [r.status.value for r in results] == ["genuine"]
    assert not list(tmp_path.glob(".seal-*"))


def test_the_same_seal_twice_from_the_library_is_refused(url: str) -> None:
    key = generate_key("EdDSA")
    text = sign_record(record("2026-LIB-1"), key, iss="FR")
    with Registry.open(url) as registry:
        registry.record_seal(text, key.public_key())
        with pytest.raises(RegistryError, match="already"):
            registry.record_seal(text, key.public_key())
        with pytest.raises(UsageError, match="did not sign"):
            registry.record_seal(sign_record(record("2026-LIB-2"), key, iss="FR"), generate_key().public_key())


def test_no_registry_there_yet(run_cli: Cli, tmp_path: Path, issuer: Path, blank_url: str) -> None:
    out_file = tmp_path / "seal.txt"
    code, out, err = sign(run_cli, tmp_path, issuer, blank_url, "2026-SH-0004", "-o", str(out_file))
    assert code == 2 and out == "" and "registry init" in one_line(err)
    assert not out_file.exists()


def _gone(url: str, tmp_path: Path) -> str:
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).unlink()
        return url
    return url.split("?")[0] + f"?host={tmp_path / 'no-server-here'}"


def _read_only(url: str) -> str:
    if url.startswith("sqlite"):
        return url + "?mode=ro"
    # Every transaction of this session is read-only, as on a standby or for a read-only role.
    return url + "&options=-c%20default_transaction_read_only%3Don"


@pytest.mark.parametrize("breakage", ["gone", "read-only"])
@pytest.mark.parametrize("to_stdout", [True, False])
def test_a_broken_registry_leaves_no_seal(
    run_cli: Cli, tmp_path: Path, issuer: Path, url: str, breakage: str, to_stdout: bool
) -> None:
    broken = _gone(url, tmp_path) if breakage == "gone" else _read_only(url)
    out_file = tmp_path / "seal.png"
    code, out, err = sign(
        run_cli, tmp_path, issuer, broken, "2026-SH-0005", *(() if to_stdout else ("-o", str(out_file)))
    )
    assert code == 2 and out == ""
    assert "Traceback" not in err and one_line(err).startswith("scanverify: error: ")
    assert not out_file.exists() and not list(tmp_path.glob(".seal-*"))
    if breakage == "read-only":
        with Registry.open(url) as registry:
            assert registry.seal("2026-SH-0005") is None and registry.history() == []
    for command in (["registry", "revoke", "X", "--reason", "r"], ["registry", "stats"]):
        code, _, err = run_cli(*command, "--registry", broken)
        if breakage == "gone" or command[1] == "revoke":
            assert code == 2 and one_line(err)


def test_bad_urls_are_one_line(run_cli: Cli, home: Path) -> None:
    for bad in ("mysql://x@y/z", "sqlite://", "not a url at all", "sqlite:///x?mode=rwc"):
        code, _, err = run_cli("registry", "stats", "--registry", bad)
        assert code == 2 and one_line(err)


def test_the_embedded_default_is_a_private_file_in_the_data_directory(run_cli: Cli, home: Path) -> None:
    assert run_cli("registry", "init")[0] == 0
    path = home / "registry.sqlite3"
    assert path.is_file() and path.stat().st_mode & 0o777 == 0o600  # it holds holders' names
    code, out, _ = run_cli("registry", "stats", "--json")
    assert code == 0 and json.loads(out)["seals"] == 0


def test_missing_extra_names_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)  # as if not installed
    with pytest.raises(RegistryError, match=r"scanverify\[registry\]"):
        Registry.open(f"sqlite:///{tmp_path / 'r.sqlite3'}", create=True)


# ---------------------------------------------------------------- revocation and its history
def test_revoke_and_unrevoke_need_reasons_and_are_kept(run_cli: Cli, tmp_path: Path, issuer: Path, url: str) -> None:
    assert sign(run_cli, tmp_path, issuer, url, "2026-SH-0010")[0] == 0
    code, _, err = run_cli("registry", "revoke", "2026-SH-0010", "--registry", url)
    assert code == 2 and "--reason" in err
    code, out, _ = run_cli("registry", "revoke", "2026-SH-0010", "--reason", "reported stolen", "--registry", url)
    assert code == 0 and "CN/2026-SH-0010" in out
    code, _, err = run_cli("registry", "revoke", "2026-SH-0010", "--reason", "again", "--registry", url)
    assert code == 2 and "already" in one_line(err)
    code, _, err = run_cli("registry", "unrevoke", "2026-SH-0010", "--registry", url)
    assert code == 2 and "--reason" in err
    code, _, _ = run_cli(
        "registry",
        "unrevoke",
        "2026-SH-0010",
        "--reason",
        "found again",
        "--by",
        "Officer Li",
        "--registry",
        url,
    )
    assert code == 0
    code, _, err = run_cli("registry", "revoke", "2099-NONE", "--reason", "x", "--registry", url)
    assert code == 2 and "no seal" in one_line(err)
    code, out, _ = run_cli("registry", "history", "2026-SH-0010", "--json", "--registry", url)
    changes = json.loads(out)
    assert [(c["action"], c["reason"]) for c in changes] == [
        ("issued", "signed"),
        ("revoked", "reported stolen"),
        ("unrevoked", "found again"),
    ]
    from scanverify.registry.store import os_user

    assert [c["by"] for c in changes] == [os_user(), os_user(), "Officer Li"]
    assert all(datetime.fromisoformat(c["at"]) > NOW - timedelta(minutes=5) for c in changes)


def test_history_is_append_only_in_the_database(url: str) -> None:
    from sqlalchemy import delete, update

    from scanverify.registry.schema import history, seals

    key = generate_key()
    with Registry.open(url) as registry:
        registry.record_seal(sign_record(record("2026-AO-1"), key, iss="CN"), key.public_key())
        registry.revoke("2026-AO-1", reason="test")
        for statement in (
            update(history).values(reason="nothing happened"),
            delete(history),
            delete(seals),
        ):
            with pytest.raises(RegistryError, match="refused"), registry._transaction(write=True) as connection:
                connection.execute(statement)
        assert [c.reason for c in registry.history()] == ["signed", "test"]
        assert registry.seal("2026-AO-1") is not None


def test_a_number_of_two_states_needs_iss(url: str) -> None:
    key = generate_key()
    with Registry.open(url) as registry:
        for iss in ("CN", "FR"):
            registry.record_seal(sign_record(record("2026-TWO"), key, iss=iss), key.public_key())
        with pytest.raises(UsageError, match="--iss"):
            registry.revoke("2026-TWO", reason="x")
        assert registry.revoke("2026-TWO", reason="x", iss="FR").name == "FR/2026-TWO"
        bundle = registry.bundle(version=2, expires=NOW + timedelta(days=1))
    assert bundle["revoked_seals"] == ["FR/2026-TWO"]
    assert "iss" not in bundle["keys"][0]  # one key, two states: trusted for both


# ---------------------------------------------------------------- export and the target scenario
def test_export_merges_a_base_bundle(run_cli: Cli, tmp_path: Path, issuer: Path, url: str) -> None:
    assert sign(run_cli, tmp_path, issuer, url, "2026-SH-0020")[0] == 0
    assert run_cli("registry", "revoke", "2026-SH-0020", "--reason", "x", "--registry", url)[0] == 0
    other = generate_key()
    base = tmp_path / "base.json"
    write_key_files(other, tmp_path / "other", iss="FR", name="Other")
    ministry = json.loads((tmp_path / "other.trust.json").read_text())
    ministry["revoked_seals"] = ["FR/1"]
    base.write_text(json.dumps(ministry))
    out = tmp_path / "bundle.json"
    code, _, err = run_cli(
        "registry",
        "export",
        "--version",
        "7",
        "--expires",
        "2030-01-01T00:00:00Z",
        "-o",
        str(out),
        "--base",
        str(base),
        "--name",
        "Consulate",
        "--registry",
        url,
    )
    assert code == 0, err
    store = TrustStore.from_file(out)
    assert sorted(k.iss or "" for k in store) == ["CN", "FR"]
    assert store.revoked_seals == {"CN/2026-SH-0020", "FR/1"}
    assert store.expires == datetime(2030, 1, 1, tzinfo=UTC)
    code, _, err = run_cli(
        "registry",
        "export",
        "--version",
        "0",
        "--expires",
        "2030-01-01T00:00:00Z",
        "-o",
        str(out),
        "--registry",
        url,
    )
    assert code == 2


def test_target_three_seals_one_revoked_exported_signed_installed(
    run_cli: Cli, tmp_path: Path, issuer: Path, url: str, home: Path
) -> None:
    seals = {}
    for no in ("2026-SH-0101", "2026-SH-0102", "2026-SH-0103"):
        code, out, err = sign(run_cli, tmp_path, issuer, url, no, dt="2026-11-02")
        assert code == 0, err
        seals[no] = out.strip()
    assert run_cli("registry", "revoke", "2026-SH-0102", "--reason", "issued in error", "--registry", url)[0] == 0
    bundle, signed = tmp_path / "bundle.json", tmp_path / "bundle.signed.json"
    version = str(built_in_version() + 1)
    expires = (NOW + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (
        run_cli(
            "registry",
            "export",
            "--version",
            version,
            "--expires",
            expires,
            "-o",
            str(bundle),
            "--registry",
            url,
        )[0]
        == 0
    )
    # A throw-away trust root, as a private deployment would have (docs/trust.md).
    root_key = generate_key("EdDSA")
    root_key_file = write_key_files(root_key, tmp_path / "root")[0]
    root = tmp_path / "root.json"
    root.write_bytes(root_document([root_key.public_key()], version=1))
    code, _, err = run_cli("trust", "sign", str(bundle), "--key", str(root_key_file), "-o", str(signed))
    assert code == 0, err
    code, _, err = run_cli("trust", "update", str(signed), "--root", str(root))
    assert code == 0, err
    # An offline verifier, with only the installed list: no registry, no network.
    verdicts = {}
    for no, text in seals.items():
        code, out, _ = run_cli("--root", str(root), "--json", "--text", text)
        verdicts[no] = (json.loads(out)["status"], code)
    assert verdicts == {
        "2026-SH-0101": ("genuine", 0),
        "2026-SH-0102": ("revoked", 1),
        "2026-SH-0103": ("genuine", 0),
    }
    answers = {}
    for no, dt in (
        ("2026-SH-0101", "2026-11-02"),
        ("2026-SH-0102", "2026-11-02"),
        ("2026-SH-0103", "2026-11-03"),
        ("2026-SH-9999", "2026-11-02"),
    ):
        code, out, _ = run_cli("registry", "lookup", no, "--dt", dt, "--registry", url)
        answers[no] = (json.loads(out), code)
    assert answers["2026-SH-0101"][0]["status"] == "valid" and answers["2026-SH-0101"][1] == 0
    assert answers["2026-SH-0101"][0]["record"]["no"] == "2026-SH-0101"
    assert answers["2026-SH-0102"][0]["status"] == "revoked" and answers["2026-SH-0102"][1] == 1
    assert answers["2026-SH-0103"] == ({"found": False}, 3)  # right number, wrong date: nothing
    assert answers["2026-SH-9999"] == ({"found": False}, 3)


# ---------------------------------------------------------------- lookup
def _three(url: str) -> None:
    key = generate_key()
    with Registry.open(url) as registry:
        for no in ("L-1", "L-2", "L-3"):
            registry.record_seal(sign_record(record(no, dt="2026-03-0" + no[-1]), key, iss="CN"), key.public_key())
        registry.revoke("L-2", reason="x")


def test_lookup_answers_exactly(url: str) -> None:
    _three(url)
    with Registry.open(url) as registry:
        valid = registry.lookup("L-1", "2026-03-01")
        assert valid == {"found": True, "status": "valid", "record": record("L-1", dt="2026-03-01")}
        assert registry.lookup("L-2", "2026-03-02")["status"] == "revoked"
        assert registry.lookup("L-3", "2026-03-03", iss="FR") == {"found": False}
        for no, dt in (("L-1", "2026-03-02"), ("L-3", "2026-03-01"), ("L-4", "2026-03-04"), ("l-1", "2026-03-01")):
            assert registry.lookup(no, dt) == {"found": False}
        for no, dt in (("L-1", "2026-3-1"), ("L-1", "2026-02-30"), ("", "2026-03-01"), ("x" * 201, "2026-03-01")):
            with pytest.raises(UsageError):
                registry.lookup(no, dt)
        assert registry.stats()["lookups"] == {
            "total": 7,
            "found": 2,
            "per_day": {NOW.date().isoformat(): {"found": 2, "not_found": 5}},
        }


def test_wrong_date_and_no_such_number_do_the_same_work(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The two misses cannot be told apart: the same answer after the same steps."""
    import hmac

    from scanverify.registry import store

    _three(url)
    calls: list[str] = []
    compare, loads = hmac.compare_digest, json.loads

    def counted_compare(a: Any, b: Any) -> bool:
        calls.append(f"compare {len(a)} {len(b)}")
        return compare(a, b)

    def counted_loads(text: str) -> Any:
        calls.append("parse")
        return loads(text)

    monkeypatch.setattr(store.hmac, "compare_digest", counted_compare)
    monkeypatch.setattr(store.json, "loads", counted_loads)
    traces, answers = [], []
    with Registry.open(url) as registry:
        for no, dt in (("L-1", "2026-03-09"), ("L-9", "2026-03-09"), ("L-1", "2026-03-01")):
            calls.clear()
            answers.append(json.dumps(registry.lookup(no, dt)))
            traces.append(list(calls))
    assert answers[0] == answers[1] == '{"found": false}'
    assert traces[0] == traces[1] == traces[2] == ["compare 32 32", "parse"]


def test_lookup_answer_for_the_web(url: str) -> None:
    _three(url)
    clock = [1000.0]
    limiter = RateLimiter(per_minute=30, clock=lambda: clock[0])
    with Registry.open(url) as registry:
        assert lookup_answer(registry, {"no": ["L-1"], "dt": ["2026-03-01"]}, "10.0.0.1", limiter)[1]["found"] is True
        assert lookup_answer(registry, {"no": "L-1", "dt": "2026-03-09"}, "10.0.0.1", limiter) == (
            200,
            {"found": False},
        )
        for params in ({"no": "L-1"}, {"no": ["L-1", "L-2"], "dt": "2026-03-01"}, {"no": "L-1", "dt": "yesterday"}):
            status, body = lookup_answer(registry, params, "10.0.0.1", limiter)
            assert status == 400 and "error" in body and "found" not in body
        for _ in range(25):  # 30 in the minute in all
            assert lookup_answer(registry, {"no": "L-3", "dt": "2026-03-03"}, "10.0.0.1", limiter)[0] == 200
        assert lookup_answer(registry, {"no": "L-3", "dt": "2026-03-03"}, "10.0.0.1", limiter)[0] == 429
        assert lookup_answer(registry, {"no": "L-3", "dt": "2026-03-03"}, "10.0.0.2", limiter)[0] == 200  # per client
        clock[0] += 61
        assert lookup_answer(registry, {"no": "L-3", "dt": "2026-03-03"}, "10.0.0.1", limiter)[0] == 200


def test_lookup_answer_when_the_registry_is_gone(url: str, tmp_path: Path) -> None:
    registry = Registry.open(url)
    registry.close()
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).unlink()
    else:
        registry = Registry.open(url)
        registry.engine.dispose()
        registry.engine = __import__("sqlalchemy").create_engine(
            "postgresql+psycopg://postgres@/nothing?host=" + str(tmp_path / "none")
        )
    status, body = lookup_answer(registry, {"no": "L-1", "dt": "2026-03-01"}, "c", RateLimiter())
    assert status == 503 and str(tmp_path) not in json.dumps(body) and "found" not in body


def test_rate_limiter_defaults_and_memory() -> None:
    clock = [0.0]
    limiter = RateLimiter(clock=lambda: clock[0], max_clients=3)
    allowed = 0
    for _ in range(100):
        clock[0] += 0.5  # a lookup every half second for 50 seconds
        allowed += limiter.allow("a")
    assert 30 <= allowed < 100
    for client in "bcdef":
        limiter.allow(client)
    assert len(limiter._seen) == 3


# ---------------------------------------------------------------- the lookup served: scanverify serve --registry
def served(url: str | None, *, client: tuple[str, int] = ("testclient", 50000), **options: Any) -> Any:
    """The server's app through the framework's test client (the 'serve' extra; skipped without it)."""
    pytest.importorskip("starlette", reason="the 'serve' extra is not installed (pip install 'scanverify[serve]')")
    from starlette.testclient import TestClient

    from scanverify.serve import ServeConfig, create_app

    app = create_app(ServeConfig(registry=url, no_default_trust=True, **options))
    return TestClient(app, raise_server_exceptions=False, client=client)


def test_served_lookup_answers_exactly(url: str) -> None:
    _three(url)
    web = served(url)
    answers = {}
    for no, dt in (("L-1", "2026-03-01"), ("L-2", "2026-03-02"), ("L-1", "2026-03-02"), ("L-3", "2026-03-01"),
                   ("L-9", "2026-03-01")):
        response = web.get("/api/lookup", params={"no": no, "dt": dt})
        assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
        answers[(no, dt)] = response.content
    assert json.loads(answers[("L-1", "2026-03-01")]) == {
        "found": True, "status": "valid", "record": record("L-1", dt="2026-03-01")
    }
    revoked = json.loads(answers[("L-2", "2026-03-02")])
    assert revoked["status"] == "revoked" and revoked["record"]["no"] == "L-2"
    # A wrong date is byte for byte the answer for a number that does not exist: no record, no hint.
    assert answers[("L-1", "2026-03-02")] == answers[("L-3", "2026-03-01")] == answers[("L-9", "2026-03-01")]
    assert json.loads(answers[("L-9", "2026-03-01")]) == {"found": False}
    # Bytes that are not UTF-8 are read as U+FFFD: a number like any other, not found.
    assert web.get("/api/lookup?no=L-%FF%FE&dt=2026-03-01").content == answers[("L-9", "2026-03-01")]
    with Registry.open(url) as registry:
        assert registry.stats()["lookups"]["total"] == 6  # the served lookups are the registry's own


def test_served_lookup_with_read_access_only(url: str) -> None:
    """A public server needs no write access: a read-only SQLite copy, a PostgreSQL role with SELECT only."""
    from sqlalchemy import text

    _three(url)
    if url.startswith("sqlite"):
        reader = url + "?mode=ro"
    else:
        role = f"r_{uuid.uuid4().hex[:12]}"
        with Registry.open(url) as registry, registry._transaction(write=True) as connection:
            connection.execute(text(f"CREATE ROLE {role} LOGIN"))
            connection.execute(text(f"GRANT SELECT ON seals, alembic_version TO {role}"))
        reader = url.replace("postgresql://postgres@", f"postgresql://{role}@")
    web = served(reader)
    assert web.get("/api/lookup", params={"no": "L-2", "dt": "2026-03-02"}).json()["status"] == "revoked"
    assert web.get("/api/lookup", params={"no": "L-2", "dt": "2026-03-01"}).json() == {"found": False}
    with Registry.open(url) as registry:
        assert registry.stats()["lookups"]["total"] == 0  # answered, not counted


def test_served_lookup_redacts_with_redact(url: str) -> None:
    _three(url)
    answer = served(url, redact=True).get("/api/lookup", params={"no": "L-1", "dt": "2026-03-01"}).json()
    assert answer["status"] == "valid" and answer["record"]["no"] == "L-1"
    assert "hn" not in answer["record"]["doc"] and "王小明" not in json.dumps(answer, ensure_ascii=False)


@pytest.mark.parametrize(
    "query",
    ["", "no=L-1", "dt=2026-03-01", "no=L-1&no=L-2&dt=2026-03-01", "no=L-1&dt=2026-03-01&dt=2026-03-02",
     "no=L-1&dt=yesterday", "no=L-1&dt=2026-02-30", "no=&dt=2026-03-01", "no=" + "x" * 201 + "&dt=2026-03-01",
     "no=%00&dt=2026-03-01", "no=L-%1B&dt=2026-03-01", "no=L-1&dt=2026-03-01%00"],
)
def test_served_lookup_bad_input_is_a_json_400(url: str, query: str) -> None:
    _three(url)
    response = served(url).get("/api/lookup?" + query)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == 400 and body["error"] and "found" not in body and "record" not in body
    assert response.headers["cache-control"] == "no-store"


def test_served_lookup_never_a_500(url: str) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    _three(url)
    web = served(url, lookup_limit=100_000)

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(no=st.text(max_size=250), dt=st.text(max_size=20) | st.dates().map(str))
    def one(no: str, dt: str) -> None:
        response = web.get("/api/lookup", params={"no": no, "dt": dt})
        assert response.status_code in (200, 400), response.text
        body = response.json()
        assert body.get("found") is not True  # none of these is both a number and its date

    one()


def test_served_lookup_rate_limit(url: str) -> None:
    _three(url)
    web = served(url, lookup_limit=3)
    for _ in range(3):
        assert web.get("/api/lookup", params={"no": "L-9", "dt": "2026-03-01"}).status_code == 200
    refused = web.get("/api/lookup", params={"no": "L-1", "dt": "2026-03-01"})
    assert refused.status_code == 429 and refused.json()["status"] == 429 and "found" not in refused.json()
    assert 1 <= int(refused.headers["retry-after"]) <= 60 and refused.headers["cache-control"] == "no-store"
    # Bad requests count too: a script cannot probe for free.
    assert web.get("/api/lookup?no=L-1").status_code == 429
    with Registry.open(url) as registry:
        assert registry.stats()["lookups"]["total"] == 3  # refused ones never reached the database


def test_rate_limit_is_per_client_and_per_ipv6_64(url: str) -> None:
    pytest.importorskip("starlette", reason="the 'serve' extra is not installed")
    from starlette.testclient import TestClient

    from scanverify.serve import ServeConfig, create_app

    _three(url)
    app = create_app(ServeConfig(registry=url, no_default_trust=True, lookup_limit=2))

    def status(host: str) -> int:
        client = TestClient(app, client=(host, 1234))
        return int(client.get("/api/lookup", params={"no": "L-1", "dt": "2026-03-01"}).status_code)

    assert [status("192.0.2.1"), status("192.0.2.1"), status("192.0.2.1")] == [200, 200, 429]
    assert status("192.0.2.2") == 200  # another client
    assert status("::ffff:192.0.2.1") == 429  # the same IPv4 client, written as IPv6
    # One IPv6 host holds a whole /64: a new address from it is the same client.
    assert [status("2001:db8:1:2::1"), status("2001:db8:1:2::ffff"), status("2001:db8:1:2:abcd::7")] == [200, 200, 429]
    assert status("2001:db8:1:3::1") == 200


def test_served_lookup_when_the_registry_breaks(url: str) -> None:
    from sqlalchemy import text

    _three(url)
    web = served(url)
    assert web.get("/api/lookup", params={"no": "L-1", "dt": "2026-03-01"}).json()["found"] is True
    with Registry.open(url) as registry, registry._transaction(write=True) as connection:
        connection.execute(text("ALTER TABLE seals RENAME TO gone"))  # the server's registry breaks under it
    response = web.get("/api/lookup", params={"no": "L-1", "dt": "2026-03-01"})
    assert response.status_code == 503 and response.json()["status"] == 503
    # The database's own words (tables, hosts, files) are not for the public.
    assert "found" not in response.json() and "seals" not in response.text and "/" not in response.json()["error"]
    assert response.headers["cache-control"] == "no-store"


def test_served_openapi_and_config_say_there_is_a_lookup(url: str) -> None:
    web = served(url)
    assert web.get("/api/config").json() == {"lookup": True}
    lookup = web.get("/openapi.json").json()["paths"]["/api/lookup"]["get"]
    assert {p["name"] for p in lookup["parameters"]} == {"no", "dt"}
    assert {"200", "400", "429", "503"} <= {str(s) for s in lookup["responses"]}


def test_a_server_without_a_registry_says_so() -> None:
    web = served(None)
    response = web.get("/api/lookup", params={"no": "L-1", "dt": "2026-03-01"})
    assert response.status_code == 404 and "no registry" in response.json()["error"]
    assert response.json()["status"] == 404
    assert web.get("/api/config").json() == {"lookup": False}
    assert "/api/lookup" not in web.get("/openapi.json").json()["paths"]


# ------------------------------------------ scanverify serve --registry: the command
def _serve_command(run_cli: Cli, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[CliRun, dict[str, Any]]:
    pytest.importorskip("uvicorn", reason="the 'serve' extra is not installed")
    import uvicorn

    called: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: called.update(app=app, **kwargs))
    monkeypatch.delenv("SCANVERIFY_SERVE_CONFIG", raising=False)
    result = run_cli("serve", "--quiet", "--no-default-trust", *args)
    config = os.environ.pop("SCANVERIFY_SERVE_CONFIG", None)
    if config is not None:
        called["config"] = json.loads(config)
    return result, called


def test_serve_command_takes_the_registry(url: str, monkeypatch: pytest.MonkeyPatch, run_cli: Cli) -> None:
    result, called = _serve_command(run_cli, monkeypatch, "--registry", url, "--lookup-limit", "40")
    assert result.code == 0 and called["config"]["registry"] == url and called["config"]["lookup_limit"] == 40
    monkeypatch.setenv("SCANVERIFY_REGISTRY", url)
    result, called = _serve_command(run_cli, monkeypatch)
    assert result.code == 0 and called["config"]["registry"] == url
    monkeypatch.delenv("SCANVERIFY_REGISTRY")
    result, called = _serve_command(run_cli, monkeypatch)
    assert result.code == 0 and called["config"]["registry"] is None


def test_serve_command_refuses_a_registry_it_cannot_use(
    blank_url: str, monkeypatch: pytest.MonkeyPatch, run_cli: Cli, tmp_path: Path
) -> None:
    from sqlalchemy import text

    problems = {"missing": f"sqlite:///{tmp_path / 'nothing.sqlite3'}", "not a registry": blank_url,
                "not a URL": "mysql://x/y"}
    if blank_url.startswith("sqlite"):
        Path(blank_url.removeprefix("sqlite:///")).write_bytes(b"")  # an empty file: a database, no registry
    for what, bad in problems.items():
        result, called = _serve_command(run_cli, monkeypatch, "--registry", bad)
        assert result.code == 2 and not called, what
        assert one_line(result.err), what
    Registry.open(blank_url, create=True).close()
    with Registry.open(blank_url) as registry, registry._transaction(write=True) as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    result, called = _serve_command(run_cli, monkeypatch, "--registry", blank_url)
    assert result.code == 2 and not called and "newer scanverify" in one_line(result.err)


def test_serve_command_names_the_missing_extra(monkeypatch: pytest.MonkeyPatch, run_cli: Cli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    Registry.open(url, create=True).close()
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)  # as if the registry extra were not installed
    result, called = _serve_command(run_cli, monkeypatch, "--registry", url)
    assert result.code == 2 and not called and "scanverify[registry]" in one_line(result.err)


# ---------------------------------------------------------------- statistics
def test_stats_count_and_show_safely(run_cli: Cli, tmp_path: Path, issuer: Path, url: str) -> None:
    assert sign(run_cli, tmp_path, issuer, url, "S-1", t="visa", au="Post A")[0] == 0
    assert sign(run_cli, tmp_path, issuer, url, "S-2", t="visa", au="Post \x1b[31mB\u202e")[0] == 0
    assert sign(run_cli, tmp_path, issuer, url, "S-3", t="notarial", au="Post A")[0] == 0
    assert run_cli("registry", "revoke", "S-3", "--reason", "x", "--registry", url)[0] == 0
    assert run_cli("registry", "lookup", "S-1", "--dt", "2026-11-20", "--registry", url)[0] == 0
    code, out, _ = run_cli("registry", "stats", "--json", "--registry", url)
    stats = json.loads(out)
    assert code == 0
    assert stats["seals"] == 3 and stats["revoked"] == 1
    assert stats["per_kind"] == {"notarial": 1, "visa": 2}
    assert stats["per_authority"] == {"Post A": 2, "Post \x1b[31mB\u202e": 1}
    assert stats["per_day"] == {NOW.date().isoformat(): 3}
    assert stats["lookups"]["total"] == 1 and stats["lookups"]["found"] == 1
    code, out, _ = run_cli("registry", "stats", "--registry", url)
    assert code == 0 and "Post A" in out and "notarial" in out
    assert "\x1b" not in out and "\u202e" not in out and "\\x1b" in out  # through the display boundary


# ---------------------------------------------------------------- concurrency
_SIGNER = textwrap.dedent(
    """
    import json, sys, tempfile
    from pathlib import Path
    from scanverify.cli import run
    url, key, numbers = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    folder = Path(tempfile.mkdtemp())
    codes = {}
    for no in numbers:
        path = folder / "r.json"
        path.write_text(json.dumps({"v": 1, "no": no, "t": "visa", "dt": "2026-01-01", "au": sys.argv[4],
                                    "doc": {"ti": "x"}}))
        codes[no] = run(["sign", str(path), "--key", key, "--iss", "CN", "--registry", url, "-o", str(folder / "s.txt")])
    print(json.dumps(codes))
    """
)


def test_two_signers_at_once(url: str, issuer: Path, tmp_path: Path) -> None:
    shared = [f"C-{i}" for i in range(12)]
    own = {name: [f"{name}-{i}" for i in range(6)] for name in ("A", "B")}
    processes = {
        name: subprocess.Popen(
            [sys.executable, "-c", _SIGNER, url, str(issuer), ",".join(shared + own[name]), name],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for name in ("A", "B")
    }
    codes = {name: json.loads(process.communicate(timeout=300)[0]) for name, process in processes.items()}
    for no in shared:  # each shared number got in exactly once
        assert sorted((codes["A"][no], codes["B"][no])) == [0, 2], no
    for name in ("A", "B"):
        assert all(codes[name][no] == 0 for no in own[name])
    with Registry.open(url) as registry:
        stats = registry.stats()
        history = registry.history()
        winners = {no: registry.seal(no).authority for no in shared}  # type: ignore[union-attr]
    assert stats["seals"] == 24 and len(history) == 24
    assert all(codes[author][no] == 0 for no, author in winners.items())  # the row is the winner's


# ---------------------------------------------------------------- the schema
def test_migrations_make_the_schema_the_code_reads(url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from scanverify.registry.schema import HEAD, metadata

    config = Config()
    config.set_main_option("script_location", "scanverify.registry:migrations")
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD
    with Registry.open(url) as registry, registry.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_a_registry_from_another_revision_is_refused(url: str) -> None:
    from sqlalchemy import text

    with Registry.open(url) as registry, registry._transaction(write=True) as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(RegistryError, match="newer scanverify"):
        Registry.open(url)
    with pytest.raises(RegistryError, match="9999"):
        Registry.open(url, create=True)  # nor can it be "upgraded" from a revision this code does not know
