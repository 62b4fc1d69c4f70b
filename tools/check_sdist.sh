#!/usr/bin/env bash
# Build the sdist, install it into a clean virtual environment, and run the tests
# it carries there, outside this checkout (so ../shared is absent and the
# conformance suites skip, as they do for anyone who downloads the sdist).
# Slow (a fresh venv installs every dependency): run by hand before a release;
# CI does not run it. tests/test_counter_packaging.py checks the sdist's contents on every run.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
PYTHON="${PYTHON:-python3}"
"$PYTHON" -m venv "$WORK/venv"
VENV_PY="$WORK/venv/bin/python"
"$VENV_PY" -m pip install --quiet --upgrade pip build
"$VENV_PY" -m build --sdist --outdir "$WORK/dist" "$ROOT"
SDIST="$(ls "$WORK"/dist/scanverify-*.tar.gz)"
tar -xzf "$SDIST" -C "$WORK"
SRC="$(ls -d "$WORK"/scanverify-*/)"
"$VENV_PY" -m pip install --quiet "$SDIST[test]"
cd "$SRC"
# Not CI: the EU DCC suite fails by design under CI=true when ../shared is absent.
env -u CI "$VENV_PY" -m pytest -q -p no:cacheprovider tests
echo "check_sdist: the sdist $(basename "$SDIST") installs and passes its tests"
