"""Shared test set-up: the spec-built seal helper is importable as `specseal`."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the EU DCC conformance table when that suite ran."""
    module = sys.modules.get("test_eudcc_conformance")
    if module is not None and sum(module.TALLY.values()):
        terminalreporter.write_sep("-", "EU DCC conformance: flag, cases, agreed")
        terminalreporter.write_line(module.conformance_table())
    shc = sys.modules.get("test_shc_conformance")
    if shc is not None and sum(shc.TALLY.values()):
        terminalreporter.write_sep("-", "SMART Health Cards conformance: validator cases and scanverify's answers")
        terminalreporter.write_line(shc.conformance_table())


@pytest.fixture(autouse=True, scope="session")
def _private_trust_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests never read or change the user's installed trust list."""
    previous = os.environ.get("SCANVERIFY_HOME")
    os.environ["SCANVERIFY_HOME"] = str(tmp_path_factory.mktemp("scanverify-home"))
    yield
    if previous is None:
        os.environ.pop("SCANVERIFY_HOME", None)
    else:
        os.environ["SCANVERIFY_HOME"] = previous
