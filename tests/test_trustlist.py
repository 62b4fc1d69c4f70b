"""Signed trust lists: signatures, rollback, expiry, root rotation, atomic install, staleness."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from specseal import Issuer, make_seal
from support import Cli

from scanverify import Status, TrustError, Verifier
from scanverify.issuer import generate_key, write_key_files
from scanverify.trustlist import (
    BUNDLE_TYPE,
    KEPT_REVOCATIONS,
    ROOT_TYPE,
    RefusedUpdate,
    active_store,
    built_in_version,
    install,
    load_root,
    root_document,
    sign_document,
)

NOW = datetime.now(UTC)


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv("SCANVERIFY_HOME", str(path))
    return path


@pytest.fixture()
def authority(tmp_path: Path) -> dict[str, Any]:
    """A test root: its key, and the root file a private deployment would pass with --root."""
    key = generate_key("EdDSA")
    root_file = tmp_path / "root.json"
    root_file.write_bytes(root_document([key.public_key()], version=1))
    return {"key": key, "root": str(root_file)}


def bundle_bytes(issuer: Issuer, version: int, *, expires: datetime | None = None, **terms: Any) -> bytes:
    bundle = issuer.bundle(**terms)
    bundle["version"] = version
    bundle["expires"] = (expires or NOW + timedelta(days=90)).isoformat()
    return json.dumps(bundle).encode()


def signed(issuer: Issuer, version: int, key: Any, **kwargs: Any) -> bytes:
    return sign_document(bundle_bytes(issuer, version, **kwargs), BUNDLE_TYPE, [key])


def test_update_installs_and_is_used(home: Path, authority: dict[str, Any]) -> None:
    issuer = Issuer()
    version = built_in_version() + 1
    message = install(signed(issuer, version, authority["key"]), "update.json", root_path=authority["root"])
    assert f"version {version}" in message
    store, warnings = active_store(authority["root"])
    assert warnings == [] and store.versions
    result = Verifier(trust=store).verify_payload(make_seal(issuer, iat=int(NOW.timestamp())).text())
    assert result.status is Status.GENUINE


@pytest.mark.parametrize("delta", [0, -1])
def test_rollback_is_refused_and_installed_set_kept(home: Path, authority: dict[str, Any], delta: int) -> None:
    issuer = Issuer()
    version = built_in_version() + 5
    install(signed(issuer, version, authority["key"]), "v.json", root_path=authority["root"])
    before = (home / "trust-bundle.signed.json").read_bytes()
    with pytest.raises(RefusedUpdate, match="rollback"):
        install(signed(issuer, version + delta, authority["key"]), "old.json", root_path=authority["root"])
    assert (home / "trust-bundle.signed.json").read_bytes() == before


def test_not_newer_than_built_in_is_refused(home: Path, authority: dict[str, Any]) -> None:
    with pytest.raises(RefusedUpdate, match="rollback"):
        install(signed(Issuer(), built_in_version(), authority["key"]), "x.json", root_path=authority["root"])
    assert not (home / "trust-bundle.signed.json").exists()


def test_expired_is_refused(home: Path, authority: dict[str, Any]) -> None:
    data = signed(Issuer(), built_in_version() + 1, authority["key"], expires=NOW - timedelta(days=1))
    with pytest.raises(RefusedUpdate, match="expired"):
        install(data, "x.json", root_path=authority["root"])


def test_bad_signatures_are_refused(home: Path, authority: dict[str, Any]) -> None:
    issuer = Issuer()
    good = json.loads(signed(issuer, built_in_version() + 1, authority["key"]))
    # a changed payload
    tampered = dict(good, payload=json.loads(json.dumps(good))["payload"][:-8] + "AAAAAAA=")
    # signed by someone else
    stranger = signed(issuer, built_in_version() + 1, generate_key("EdDSA"))
    # a root-type signature presented as a bundle
    confused = sign_document(bundle_bytes(issuer, built_in_version() + 1), ROOT_TYPE, [authority["key"]])
    for data in (json.dumps(tampered).encode(), stranger, confused, json.dumps(dict(good, signatures=[])).encode()):
        with pytest.raises(TrustError):
            install(data, "bad.json", root_path=authority["root"])
    assert not (home / "trust-bundle.signed.json").exists()


def test_unsigned_bundle_needs_expires(home: Path, authority: dict[str, Any]) -> None:
    issuer = Issuer()
    data = sign_document(json.dumps(issuer.bundle() | {"version": 99}).encode(), BUNDLE_TYPE, [authority["key"]])
    with pytest.raises(RefusedUpdate, match="expires"):
        install(data, "x.json", root_path=authority["root"])


def test_threshold_counts_distinct_keys(home: Path, tmp_path: Path) -> None:
    a, b = generate_key("EdDSA"), generate_key("ES256")
    root_file = tmp_path / "root2.json"
    root_file.write_bytes(root_document([a.public_key(), b.public_key()], version=1, threshold=2))
    payload = bundle_bytes(Issuer(), built_in_version() + 1)
    with pytest.raises(RefusedUpdate, match="1 of 2"):
        install(sign_document(payload, BUNDLE_TYPE, [a, a]), "x.json", root_path=str(root_file))
    assert "installed" in install(sign_document(payload, BUNDLE_TYPE, [a, b]), "x.json", root_path=str(root_file))


def test_root_rotation(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import scanverify.trustlist as trustlist

    old = generate_key("EdDSA")
    pinned = trustlist._parse_root(root_document([old.public_key()], version=1), "pinned for test")
    monkeypatch.setattr(trustlist, "pinned_root", lambda: pinned)
    new = generate_key("EdDSA")
    new_root = root_document([new.public_key()], version=2)
    # a new root signed by someone else, or not newer, is refused
    with pytest.raises(RefusedUpdate):
        install(sign_document(new_root, ROOT_TYPE, [new]), "root.json")
    with pytest.raises(RefusedUpdate, match="rollback"):
        install(sign_document(root_document([new.public_key()], version=1), ROOT_TYPE, [old]), "root.json")
    assert "root version 2" in install(sign_document(new_root, ROOT_TYPE, [old]), "root.json")
    assert load_root().version == 2
    issuer = Issuer()
    with pytest.raises(RefusedUpdate):  # the old root no longer signs bundles
        install(signed(issuer, built_in_version() + 1, old), "b.json")
    assert "installed" in install(signed(issuer, built_in_version() + 1, new), "b.json")


def test_broken_installed_file_falls_back_to_built_in(home: Path, authority: dict[str, Any]) -> None:
    install(signed(Issuer(), built_in_version() + 1, authority["key"]), "v.json", root_path=authority["root"])
    (home / "trust-bundle.signed.json").write_text('{"format": "scanverify.signed.v1", "type": "trust-bundle"}')
    store, warnings = active_store(authority["root"])
    assert "built-in trust bundle" in store.sources
    assert warnings and "ignored" in warnings[0]


def test_stale_list_is_said_with_every_verdict(home: Path, authority: dict[str, Any]) -> None:
    issuer = Issuer()
    install(
        signed(issuer, built_in_version() + 1, authority["key"], expires=NOW + timedelta(days=1)),
        "v.json",
        root_path=authority["root"],
    )
    store, _ = active_store(authority["root"])
    later = NOW + timedelta(days=2)
    verifier = Verifier(trust=store, clock=lambda: later)
    genuine = verifier.verify_payload(make_seal(issuer, iat=int(later.timestamp())).text())
    assert genuine.status is Status.GENUINE
    assert genuine.verdict_text == "genuine, but the trust list is out of date"
    forged = verifier.verify_payload(make_seal(issuer, iat=int(later.timestamp()), signature=bytes(64)).text())
    assert forged.warnings and "out of date" in forged.warnings[0]
    malformed = verifier.verify_payload("CS1:A")
    assert malformed.status is Status.MALFORMED and malformed.warnings


def test_cli_trust_commands(home: Path, authority: dict[str, Any], tmp_path: Path, run_cli: Cli) -> None:
    issuer = Issuer()
    stem = tmp_path / "authority"
    write_key_files(authority["key"], stem)
    unsigned = tmp_path / "bundle.json"
    unsigned.write_bytes(bundle_bytes(issuer, built_in_version() + 1))
    out = tmp_path / "bundle.signed.json"
    assert run_cli("trust", "sign", "--key", f"{stem}.key.pem", str(unsigned), "-o", str(out)).code == 0
    assert run_cli("trust", "verify", "--root", authority["root"], str(out)).code == 0
    assert run_cli("trust", "update", "--root", authority["root"], str(out)).code == 0
    assert run_cli("trust", "update", "--root", authority["root"], str(out)).code == 4  # the same again: a rollback
    shown_run = run_cli("trust", "show", "--root", authority["root"], "--json")
    assert shown_run.code == 0
    shown = json.loads(shown_run.out)
    assert shown["versions"] == {str(home / "trust-bundle.signed.json"): built_in_version() + 1}
    assert [k["kid"] for k in shown["keys"]] == [issuer.kid.hex()] and shown["stale"] is False
    assert run_cli("trust", "verify", "--root", authority["root"], str(unsigned)).code == 2  # not a signed document
    assert run_cli("trust", "update", str(tmp_path / "missing.json")).code == 2
    text = make_seal(issuer, iat=int(NOW.timestamp())).text()
    assert run_cli("--root", authority["root"], "--text", text).code == 0  # the installed list is used


def test_private_root_rotation_is_kept_apart_and_replayed(home: Path, authority: dict[str, Any]) -> None:
    """A --root deployment rotates too; its chain never touches the pinned root's."""
    new = generate_key("EdDSA")
    rotation = sign_document(root_document([new.public_key()], version=2), ROOT_TYPE, [authority["key"]])
    assert "root version 2" in install(rotation, "r.json", root_path=authority["root"])
    assert load_root(authority["root"]).version == 2
    assert load_root().source == "built-in trust root"  # the pinned chain is not affected
    issuer = Issuer()
    with pytest.raises(RefusedUpdate):  # the retired private root signs no more
        install(signed(issuer, built_in_version() + 1, authority["key"]), "b.json", root_path=authority["root"])
    assert "installed" in install(signed(issuer, built_in_version() + 1, new), "b.json", root_path=authority["root"])


def test_broken_rotation_link_ends_the_chain(home: Path, authority: dict[str, Any]) -> None:
    new = generate_key("EdDSA")
    install(
        sign_document(root_document([new.public_key()], version=2), ROOT_TYPE, [authority["key"]]),
        "r.json",
        root_path=authority["root"],
    )
    (link,) = (home / "roots").rglob("root-2.signed.json")
    # a third root dropped into the folder by hand, signed by nobody the chain trusts
    stranger = generate_key("EdDSA")
    (link.parent / "root-3.signed.json").write_bytes(
        sign_document(root_document([stranger.public_key()], version=3), ROOT_TYPE, [stranger])
    )
    assert load_root(authority["root"]).version == 2


def test_revoked_root_key_signs_nothing(home: Path, tmp_path: Path) -> None:
    import base64

    from scanverify.algorithms import spki_der

    good, retired = generate_key("EdDSA"), generate_key("EdDSA")
    root = json.loads(root_document([good.public_key(), retired.public_key()], version=1))
    root["keys"][1]["status"] = "revoked"
    root_file = tmp_path / "root-revoked.json"
    root_file.write_text(json.dumps(root))
    assert root["keys"][1]["spki"] == base64.b64encode(spki_der(retired.public_key())).decode()
    with pytest.raises(RefusedUpdate):
        install(signed(Issuer(), built_in_version() + 1, retired), "x.json", root_path=str(root_file))
    assert "installed" in install(signed(Issuer(), built_in_version() + 1, good), "x.json", root_path=str(root_file))


def test_failed_install_leaves_the_installed_list(
    home: Path, authority: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    issuer = Issuer()
    install(signed(issuer, built_in_version() + 1, authority["key"]), "v.json", root_path=authority["root"])
    before = (home / "trust-bundle.signed.json").read_bytes()

    def crash(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        install(signed(issuer, built_in_version() + 2, authority["key"]), "v2.json", root_path=authority["root"])
    assert (home / "trust-bundle.signed.json").read_bytes() == before
    assert not list(home.glob(".incoming-*"))  # the temporary file is cleaned up


def test_cli_refusals_and_errors_are_one_line(
    home: Path, authority: dict[str, Any], tmp_path: Path, run_cli: Cli
) -> None:
    """Exit 4 for a checked and refused list, 2 for an unreadable or unusable file; one line each."""
    issuer = Issuer()
    cases = {
        "stranger.json": (signed(issuer, built_in_version() + 1, generate_key("EdDSA")), 4),
        "expired.json": (
            signed(issuer, built_in_version() + 1, authority["key"], expires=NOW - timedelta(hours=1)),
            4,
        ),
        "notjson.json": (b"\xff\xfe not json", 2),
        "plain.json": (bundle_bytes(issuer, 9), 2),
    }
    for name, (data, code) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        for command in ("verify", "update"):
            result = run_cli("trust", command, "--root", authority["root"], str(path))
            assert result.code == code, (name, command)
            err = result.err
            assert err.count("\n") == 1 and "Traceback" not in err, (name, command, err)
    assert not (home / "trust-bundle.signed.json").exists()
    # the authority's side: an unreadable bundle or key is a one-line usage error
    bad = tmp_path / "bad-bundle.json"
    bad.write_text('{"format": "scanverify.trust.v1", "version": 1, "version": 2}')
    key = tmp_path / "k"
    write_key_files(authority["key"], key)
    code, _, err = run_cli("trust", "sign", "--key", f"{key}.key.pem", str(bad), "-o", str(tmp_path / "o.json"))
    assert code == 2 and "twice" in err
    no_expiry = tmp_path / "no-expiry.json"
    no_expiry.write_text(json.dumps(issuer.bundle()))
    code, _, err = run_cli("trust", "sign", "--key", f"{key}.key.pem", str(no_expiry), "-o", str(tmp_path / "o.json"))
    assert code == 2 and "expires" in err


def test_show_tells_a_broken_install_and_the_age(
    home: Path, authority: dict[str, Any], tmp_path: Path, run_cli: Cli
) -> None:
    install(signed(Issuer(), built_in_version() + 1, authority["key"]), "v.json", root_path=authority["root"])
    code, out, _ = run_cli("trust", "show", "--root", authority["root"])
    assert code == 0 and "installed: " in out
    (home / "trust-bundle.signed.json").write_bytes(b"garbage")
    captured = run_cli("trust", "show", "--root", authority["root"], "--json")
    assert captured.code == 0
    shown = json.loads(captured.out)
    assert shown["sources"][0] == "built-in trust bundle" and "ignored" in shown["warnings"][0]
    assert shown["sources"][1:] == [KEPT_REVOCATIONS]


def test_stale_signed_list_is_said_on_the_command_line(home: Path, authority: dict[str, Any], run_cli: Cli) -> None:
    issuer = Issuer()
    install(
        signed(issuer, built_in_version() + 1, authority["key"], expires=NOW + timedelta(days=1)),
        "v.json",
        root_path=authority["root"],
    )
    later = NOW + timedelta(days=3)
    text = make_seal(issuer, iat=int(later.timestamp()) - 60).text()
    result = run_cli("--root", authority["root"], "--json", "--at", later.isoformat(), "--text", text)
    assert result.code == 0
    shown = result.record()
    assert shown["status"] == "genuine" and "trust list is out of date" in shown["warnings"][0]
    code, out, _ = run_cli("--root", authority["root"], "--at", later.isoformat(), "--text", text)
    assert code == 0 and "GENUINE, but the trust list is" in out


def test_unreadable_root_option_is_an_error(home: Path, tmp_path: Path, run_cli: Cli) -> None:
    with pytest.raises(TrustError, match="cannot read"):
        active_store(str(tmp_path / "no-such-root.json"))
    text = make_seal(Issuer(), iat=int(NOW.timestamp())).text()
    code, _, err = run_cli("--root", str(tmp_path / "no-such-root.json"), "--text", text)
    assert code == 2 and err.count("\n") == 1


def test_racing_updates_leave_the_newest_installed(home: Path, authority: dict[str, Any]) -> None:
    import threading

    issuer = Issuer()
    base = built_in_version()
    documents = {v: signed(issuer, base + v, authority["key"]) for v in range(1, 9)}
    outcomes: list[str] = []

    def update(version: int) -> None:
        try:
            install(documents[version], f"v{version}.json", root_path=authority["root"])
            outcomes.append(f"installed {version}")
        except RefusedUpdate:
            outcomes.append(f"refused {version}")

    threads = [threading.Thread(target=update, args=(v,)) for v in (3, 8, 1, 6, 2, 7, 5, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store, _ = active_store(authority["root"])
    assert list(store.versions.values()) == [base + 8]  # never a lower version over a higher one
    assert "installed 8" in outcomes and len(outcomes) == 8


# ---------------------------------------------------------------- issue 9: trust stays continuous
SAMPLES = Path(__file__).resolve().parents[1] / "sample_images"


@pytest.fixture()
def built_in(monkeypatch: pytest.MonkeyPatch) -> Issuer:
    """A built-in bundle that trusts a throw-away key, as the real one trusts the specimen key."""
    from scanverify.trust import TrustStore

    issuer = Issuer()
    version = built_in_version()
    bundle = issuer.bundle(specimen=True) | {"version": version}
    store = TrustStore.from_bundle(bundle, "built-in trust bundle")
    monkeypatch.setattr(TrustStore, "default", classmethod(lambda cls: store))
    return issuer


def rotate(authority: dict[str, Any], version: int = 2) -> Any:
    """The documented rotation: a new root signed by the current root key, installed with `trust update`."""
    new = generate_key("EdDSA")
    document = sign_document(root_document([new.public_key()], version=version), ROOT_TYPE, [authority["key"]])
    assert f"root version {version} installed" in install(document, "new-root.signed.json", root_path=authority["root"])
    return new


def verdict(issuer: Issuer, root: str | None, **seal: Any) -> Any:
    store, _ = active_store(root)
    return Verifier(trust=store).verify_payload(make_seal(issuer, iat=int(NOW.timestamp()), **seal).text())


def with_issuer(store: Any, issuer: Issuer) -> Any:
    from scanverify.trust import TrustStore

    return store + TrustStore.from_bundle(issuer.bundle(), "extra")


def test_rotation_keeps_the_installed_list_and_its_revocations(
    home: Path, authority: dict[str, Any], built_in: Issuer
) -> None:
    """Issue 9: a rotation done as docs/trust.md says made a revoked built-in key genuine again."""
    version = built_in_version() + 1
    revoking = signed(built_in, version, authority["key"], status="revoked")
    install(revoking, "list.signed.json", root_path=authority["root"])
    assert verdict(built_in, authority["root"]).status is Status.REVOKED
    new = rotate(authority)
    store, warnings = active_store(authority["root"])
    assert warnings == [] and not store.warnings and store.sources == (str(home / "trust-bundle.signed.json"),)
    assert verdict(built_in, authority["root"]).status is Status.REVOKED
    # the same list re-signed by the new root (docs/trust.md's next step) is accepted
    resigned = sign_document(base64.b64decode(json.loads(revoking)["payload"]), BUNDLE_TYPE, [new])
    assert "re-signed by root version 2" in install(resigned, "resigned.json", root_path=authority["root"])
    assert verdict(built_in, authority["root"]).status is Status.REVOKED
    # then a higher version signed by the new root replaces it; the old root signs no more
    with pytest.raises(RefusedUpdate):
        install(signed(built_in, version + 1, authority["key"]), "old-root.json", root_path=authority["root"])
    message = install(signed(built_in, version + 1, new, status="revoked"), "v2.json", root_path=authority["root"])
    assert f"version {version + 1} installed" in message
    assert verdict(built_in, authority["root"]).status is Status.REVOKED


def test_higher_list_from_the_new_root_replaces_the_old_roots_list(home: Path, authority: dict[str, Any]) -> None:
    """Step two of a rotation right after step one: the installed list was signed by the old root."""
    issuer, other = Issuer(), Issuer()
    version = built_in_version() + 1
    install(signed(issuer, version, authority["key"]), "v1.json", root_path=authority["root"])
    new = rotate(authority)
    assert verdict(issuer, authority["root"]).status is Status.GENUINE  # the old root's list is still in force
    install(signed(other, version + 1, new), "v2.json", root_path=authority["root"])
    assert verdict(issuer, authority["root"]).status is Status.UNTRUSTED  # replaced, not merged
    assert verdict(other, authority["root"]).status is Status.GENUINE
    with pytest.raises(RefusedUpdate, match="rollback"):  # the old list cannot come back, even re-signed
        install(signed(issuer, version, new), "v1.json", root_path=authority["root"])


def _built_in_bundle_text() -> str:
    from importlib import resources

    return resources.files("scanverify").joinpath("data/default_trust.json").read_text("utf-8")


def test_the_real_specimen_key_stays_revoked_across_a_rotation(
    home: Path, authority: dict[str, Any], run_cli: Cli
) -> None:
    """The reported case end to end: the specimen seal of sample_images/genuine.jpg, REVOKED before and after."""
    specimen = json.loads(_built_in_bundle_text())
    assert specimen["keys"][0]["specimen"] is True  # the sample issuer that signed genuine.jpg
    specimen["keys"][0]["status"] = "revoked"
    specimen["version"] = built_in_version() + 1
    specimen["expires"] = (NOW + timedelta(days=30)).isoformat()
    document = sign_document(json.dumps(specimen).encode(), BUNDLE_TYPE, [authority["key"]])
    install(document, "l.json", root_path=authority["root"])
    image = str(SAMPLES / "genuine.jpg")
    for step in ("before", "after"):
        shown = json.loads(run_cli("--root", authority["root"], "--json", image).out)
        assert shown["status"] == "revoked", (step, shown["status"])
        if step == "before":
            rotate(authority)


@pytest.mark.parametrize("broken", [b"", b"{", "half"])
def test_a_broken_installed_file_never_blocks_an_update(
    home: Path, authority: dict[str, Any], broken: bytes | str
) -> None:
    issuer = Issuer()
    version = built_in_version() + 3
    first = signed(issuer, version, authority["key"])
    install(first, "v.json", root_path=authority["root"])
    path = home / "trust-bundle.signed.json"
    path.write_bytes(first[: len(first) // 2] if isinstance(broken, str) else broken)
    message = install(signed(issuer, version + 1, authority["key"]), "v2.json", root_path=authority["root"])
    assert f"version {version + 1} installed" in message
    assert "warning: the installed trust list was unusable" in message
    assert verdict(issuer, authority["root"]).status is Status.GENUINE
    # the rollback floor survived the broken file: the older list cannot come back through it
    path.write_bytes(b"")
    with pytest.raises(RefusedUpdate, match="rollback"):
        install(signed(issuer, version, authority["key"]), "old.json", root_path=authority["root"])


@pytest.mark.parametrize("damage", ["truncate", "delete", "foreign root"])
def test_a_fallback_keeps_every_revocation_and_says_so(
    home: Path, authority: dict[str, Any], built_in: Issuer, damage: str
) -> None:
    other = Issuer()
    bundle = signed(
        built_in,
        built_in_version() + 1,
        authority["key"],
        status="revoked",
        revoked_seals=("CN/2021-BJ-0012345",),
    )
    install(bundle, "v.json", root_path=authority["root"])
    path = home / "trust-bundle.signed.json"
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "delete":
        path.unlink()
    else:  # signed by a root that is not this chain's
        path.write_bytes(signed(built_in, built_in_version() + 1, generate_key("EdDSA")))
    store, warnings = active_store(authority["root"])
    assert warnings and "ignored" in warnings[-1] and store.warnings == (warnings[-1],)
    assert "built-in trust bundle" in store.sources and "CN/2021-BJ-0012345" in store.revoked_seals
    result = verdict(built_in, authority["root"])
    assert result.status is Status.REVOKED  # the built-in bundle alone would say genuine
    assert warnings[-1] in result.warnings and warnings[-1] in result.to_json()["warnings"]
    # a revoked seal stays revoked too, and its verdict carries the warning as well
    seal_result = Verifier(trust=with_issuer(store, other)).verify_payload(
        make_seal(other, iat=int(NOW.timestamp())).text()
    )
    assert seal_result.status is Status.REVOKED and "revoked by its issuer" in seal_result.reason
    assert warnings[-1] in seal_result.warnings


def test_fallback_without_a_record_trusts_nothing(home: Path, built_in: Issuer) -> None:
    """An unusable list and no record of what it revoked: the built-in bundle is not trusted blindly."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "trust-bundle.signed.json").write_bytes(b"garbage")
    store, _ = active_store()
    assert len(store) == 0 and store.warnings and "no built-in key is trusted" in store.warnings[0]
    result = Verifier(trust=store).verify_payload(make_seal(built_in, iat=int(NOW.timestamp())).text())
    assert result.status is Status.UNTRUSTED and store.warnings[0] in result.warnings


def test_a_hand_edited_record_never_adds_trust(home: Path, authority: dict[str, Any], built_in: Issuer) -> None:
    revoking = signed(built_in, built_in_version() + 1, authority["key"], status="revoked")
    install(revoking, "v.json", root_path=authority["root"])
    record_path = home / "trust-bundle.state.json"
    record = json.loads(record_path.read_text())
    assert [k["status"] for k in record["revoked_keys"]] == ["revoked"]
    record["revoked_keys"][0]["status"] = "active"
    record_path.write_text(json.dumps(record))
    store, warnings = active_store(authority["root"])
    assert any("record" in w for w in warnings)
    assert verdict(built_in, authority["root"]).status is Status.REVOKED  # the installed list still rules
    (home / "trust-bundle.signed.json").unlink()
    store, warnings = active_store(authority["root"])
    assert len(store) == 0 and "no built-in key is trusted" in warnings[-1]
