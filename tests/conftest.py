"""Shared test set-up: the spec-built seal helper is importable as `specseal`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the EU DCC conformance table when that suite ran."""
    module = sys.modules.get("test_eudcc_conformance")
    if module is not None and sum(module.TALLY.values()):
        terminalreporter.write_sep("-", "EU DCC conformance: flag, cases, agreed")
        terminalreporter.write_line(module.conformance_table())
