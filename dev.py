#!/usr/bin/env python3
"""Set up a private virtual environment (.venv) on first use, then run a command in it.

    python3 dev.py scanverify sample_images/genuine.jpg   # the tool, on a sample photo
    python3 dev.py test                                    # the test suite (pytest args may follow)
    python3 dev.py python ...                              # the venv's Python

Needs only Python 3.11+. The venv is re-made when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".scanverify-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_venv() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"dev.py: scanverify needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print("dev.py: creating .venv (first run only)", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    print("dev.py: installing scanverify and its test tools into .venv", file=sys.stderr)
    pip = [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    ensure_venv()
    command, rest = argv[0], argv[1:]
    if command == "test":
        args = [str(PYTHON), "-m", "pytest", *rest]
    elif command == "scanverify":
        args = [str(PYTHON), "-m", "scanverify", *rest]
    elif command == "python":
        args = [str(PYTHON), *rest]
    else:
        print(f"dev.py: unknown command {command!r} (use scanverify, test or python)", file=sys.stderr)
        return 2
    return subprocess.call(args, cwd=os.getcwd())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
