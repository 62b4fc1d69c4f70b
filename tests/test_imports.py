"""Issue 15, part 2: cold start. A command imports only what it uses.

Each case runs scanverify in a fresh interpreter under ``python -X importtime``
and reads, from its report, every module that was imported: a heavy module on
a path that does not need it fails the test (and names the module). Import
times themselves are never asserted: benchmarks/README.md has those figures.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from specseal import Issuer, make_seal

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_images"
AT = "2026-11-26T12:00:00Z"

#: The image stack: only a command that reads an image needs it.
IMAGE_STACK = ("numpy", "cv2", "PIL", "zxingcpp", "pyzbar")
#: Escalation only: a photo read by the first pass needs none of it.
ESCALATION = ("cv2", "numpy", "pyzbar")
#: The server and the registry: only `scanverify serve` / `registry` need them.
SERVER = (
    "starlette",
    "uvicorn",
    "anyio",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "dask",
    "scanverify.serve",
    "scanverify.registry",
)
#: The part of `cryptography` that checking a seal does not use: its serialization package
#: (with the SSH key formats), which used to load every key of the trust bundle.
OTHER_CRYPTO = ("cryptography.hazmat.primitives.serialization",)
#: Commands' own needs: writing a file, a server's sockets; the other commands' modules.
OTHER_COMMANDS = (
    "tempfile",
    "socket",
    "scanverify.cli_live",
    "scanverify.cli_serve",
    "scanverify.cli_trust",
    "scanverify.cli_registry",
    "scanverify.cli_audit",
    "scanverify.decode._finders",
)
#: What a format or trust source needs only for itself (certificates, JOSE, XML, ...).
FORMAT_ONLY = (
    "cryptography.x509",
    "asn1crypto",
    "lxml",
    "signxml",
    "jwcrypto",
    "ecdsa",
    "scanverify.x509",
    "scanverify.formats.ddoc",
    "scanverify.formats.shc",
    "scanverify.formats.vds",
    "scanverify.formats.vdsnc",
)


#: Run before the code under test: at exit, every module in sys.modules, on one marked
#: line. importtime does not report modules loaded through importlib.import_module
#: (entry points are), so both are read.
PROLOGUE = (
    "import atexit, sys\natexit.register(lambda: print('MODULES ' + ' '.join(sorted(sys.modules)), file=sys.stderr))\n"
)
MAIN = "import runpy; runpy.run_module('scanverify', run_name='__main__', alter_sys=True)"


def imported(*args: str, code: str | None = None) -> set[str]:
    """Every module a fresh `python -X importtime` run of scanverify ARGS... (or of `code`) imported."""
    command = [sys.executable, "-X", "importtime", "-c", PROLOGUE + (code or MAIN), *args]
    env = {**os.environ, "NO_COLOR": "", "TERM": "xterm"}
    done = subprocess.run(command, capture_output=True, timeout=120, env=env, check=False)
    report = done.stderr.decode("utf-8", "replace")
    modules = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \| *(\S+)\s*$", report, re.MULTILINE))
    marked = re.search(r"^MODULES (.*)$", report, re.MULTILINE)
    assert marked is not None and "scanverify" in modules, report[-2000:]  # both reports were read
    return modules | set(marked.group(1).split())


def heavy(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(m == n or m.startswith(n + ".") for m in modules))


@pytest.fixture(scope="module")
def seal(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A CS1 seal and a trust bundle that holds its key."""
    issuer = Issuer()
    bundle = tmp_path_factory.mktemp("trust") / "bundle.json"
    bundle.write_text(json.dumps(issuer.bundle()), encoding="utf-8")
    return make_seal(issuer, iat=1_790_000_000).text(), str(bundle)


def test_a_payload_as_json_needs_no_image_stack_and_no_rich(seal: tuple[str, str]) -> None:
    text, bundle = seal
    modules = imported("--json", "--at", AT, "--trust", bundle, "--text", text)
    assert heavy(modules, (*IMAGE_STACK, "rich", *FORMAT_ONLY, *SERVER, *OTHER_CRYPTO, *OTHER_COMMANDS)) == []
    assert "cryptography.hazmat.primitives.asymmetric.ec" in modules  # the seal's signature was checked


def test_a_payload_shown_to_a_person_needs_no_image_stack(seal: tuple[str, str]) -> None:
    text, bundle = seal
    modules = imported("--at", AT, "--trust", bundle, "--text", text)
    assert heavy(modules, (*IMAGE_STACK, *FORMAT_ONLY)) == []
    assert "rich" in modules  # the panel is drawn with rich: the check sees what is imported


def test_a_photo_read_by_the_first_pass_needs_no_escalation_and_no_rich() -> None:
    modules = imported("--json", "--at", AT, str(SAMPLES / "genuine.jpg"))
    assert heavy(modules, (*ESCALATION, "rich", *FORMAT_ONLY, *OTHER_CRYPTO, *OTHER_COMMANDS)) == []
    assert heavy(modules, ("zxingcpp", "PIL")) == ["PIL", "zxingcpp"]


def test_a_photo_with_no_code_escalates_and_loads_what_escalation_needs() -> None:
    # The positive control: where the first pass finds nothing, escalation runs
    # (numpy, OpenCV): the check above would see them if they were loaded there.
    modules = imported("--json", "--at", AT, str(SAMPLES / "no-code.jpg"))
    assert "numpy" in modules and "cv2" in modules
    assert "scanverify.decode._finders" in modules


def test_a_command_group_is_imported_when_it_is_named() -> None:
    # The positive control for the other commands' modules: named, it is loaded.
    modules = imported("trust", "--help")
    assert "scanverify.cli_trust" in modules and "scanverify.cli_live" not in modules


def test_importing_scanverify_stays_light() -> None:
    modules = imported(code="import scanverify")
    assert heavy(modules, (*IMAGE_STACK, "rich", "click", "cbor2", "importlib.metadata", *FORMAT_ONLY)) == []
    # No key is loaded nor signature checked by an import: no cryptography at all.
    assert heavy(modules, ("cryptography",)) == []
    assert "scanverify" in modules


def test_the_der_key_loader_is_the_one_serialization_exports() -> None:
    """algorithms.load_der_public_key takes cryptography's loader from its bindings, so as
    not to import the serialization package: it must be that package's very function."""
    from cryptography.hazmat.primitives import serialization

    from scanverify.algorithms import _DER_LOADER, load_der_public_key

    with pytest.raises(ValueError):
        load_der_public_key(b"not DER")
    assert [serialization.load_der_public_key] == _DER_LOADER


def test_other_formats_load_only_for_their_payloads() -> None:
    # A SMART Health Card is not CS1 or HC1: the plug-ins are loaded to find its format.
    modules = imported("--json", "--text", "shc:/5676290952432060346029243740446031222959532654603460292540772804")
    assert "scanverify.formats.shc" in modules
    assert heavy(modules, IMAGE_STACK) == []
