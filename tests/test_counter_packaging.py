"""Issue 14 part 7: packaging, version, the installed trust store, doctor --json, help and exit statuses."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from support import Cli

import scanverify
from scanverify import Cause, Status, TrustStore, Verifier

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(not (ROOT / "pyproject.toml").is_file(), reason="run from the unpacked sdist or a checkout only")
def test_sdist_carries_its_tests(tmp_path: Path) -> None:
    pytest.importorskip("setuptools", reason="setuptools builds the sdist")
    code = (
        "import sys; from setuptools import build_meta; "
        f"print(build_meta.build_sdist({str(tmp_path)!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    name = out.strip().splitlines()[-1]
    with tarfile.open(tmp_path / name) as sdist:
        members = {m.name.split("/", 1)[1] for m in sdist.getmembers() if "/" in m.name}
    for needed in (
        "LICENSE",
        "tests/conftest.py",
        "tests/specseal.py",
        "tests/test_counter_audit.py",
        "sample_images/genuine.jpg",
        "sample_images/expected.json",
        "tools/photosim.py",
        "src/scanverify/data/default_trust.json",
    ):
        assert needed in members, needed
    assert "Apache License" in (ROOT / "LICENSE").read_text(encoding="utf-8")[:200]


def test_one_version_source() -> None:
    from importlib.metadata import version

    assert scanverify.__version__ == version("scanverify")
    import tomllib

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert declared.get("version") == scanverify.__version__ or "version" in declared.get("dynamic", [])


def test_installed_is_the_store_verifier_uses() -> None:
    store = TrustStore.installed()
    assert store.sources == Verifier().trust.sources
    combined = TrustStore.installed() + TrustStore()
    assert len(combined) == len(store)


def test_doctor_json_keys(run_cli: Cli) -> None:
    code, out, _ = run_cli("doctor", "--json")
    assert code == 0
    info = json.loads(out)
    for key in ("decoders", "formats", "trust", "display", "tk", "fonts", "cameras", "inputs", "schema"):
        assert key in info, key
    assert any(d["name"] == "zxing-cpp" for d in info["decoders"])
    assert "CS1" in info["formats"]
    assert isinstance(info["cameras"], list)
    assert set(info["fonts"]) == {"cjk", "detail"}


def test_bare_command_prints_help_and_exits_2(run_cli: Cli) -> None:
    code, out, _ = run_cli()
    assert code == 2
    assert "Usage: scanverify" in out and "Commands:" in out


def test_help_lists_every_exit_status(run_cli: Cli) -> None:
    code, out, _ = run_cli("--help")
    assert code == 0
    from scanverify import cli_common as cli_module

    documented = set()
    for line in out.splitlines():
        first = line.strip().split(" ", 1)[0]
        if first.isdigit():
            documented.add(int(first))
    assert {cli_module.EXIT_OK, cli_module.EXIT_REJECTED, cli_module.EXIT_USAGE, cli_module.EXIT_NO_SEAL, 4, cli_module.EXIT_INTERNAL, 130} <= documented


def test_completion_lists_subcommands() -> None:
    import os

    env = {**os.environ, "_SCANVERIFY_COMPLETE": "bash_complete", "COMP_WORDS": "scanverify au", "COMP_CWORD": "1"}
    out = subprocess.run([sys.executable, "-m", "scanverify"], env=env, capture_output=True, text=True).stdout
    assert "audit" in out


def test_no_code_says_when_a_code_was_seen_but_not_read(tmp_path: Path) -> None:
    import segno
    from PIL import Image

    verifier = Verifier(trust=TrustStore(), clock=lambda: datetime(2026, 1, 1, tzinfo=UTC), effort="fast")
    path = tmp_path / "qr.png"
    segno.make_qr("CS1:" + "A" * 300, error="l").save(str(path), scale=6, border=4)
    image = np.asarray(Image.open(path).convert("L")).copy()
    # Wipe the data in the middle: finder patterns remain, the code cannot be read.
    h, w = image.shape
    rng = np.random.default_rng(1)
    image[h // 3 : 2 * h // 3, w // 4 : 3 * w // 4] = rng.integers(0, 2, size=(2 * h // 3 - h // 3, 3 * w // 4 - w // 4)) * 255
    (result,) = verifier.verify_image(image)
    assert result.status is Status.NO_CODE
    assert result.cause is Cause.CODE_UNREADABLE, result.reason
    assert "--effort thorough" in result.reason and "closer" in result.reason
    blank = np.full((200, 200), 255, dtype=np.uint8)
    (empty,) = verifier.verify_image(blank)
    assert empty.cause is Cause.NO_CODE and "seen" not in empty.reason
