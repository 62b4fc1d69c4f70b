"""Shared test set-up: the spec-built seal helper is importable as `specseal`, the shared
test helpers as `support`; the fixtures many files use (`run_cli`, `issuer`) are here."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from support import Cli

if TYPE_CHECKING:
    from specseal import Issuer


CONFORMANCE_SUITES = {
    "test_eudcc_conformance": "EU DCC conformance: flag, cases, agreed",
    "test_vds_conformance": "ICAO VDS conformance: statements, cases, agreed",
    "test_ddoc_conformance": "2D-Doc conformance (ANTS examples checked the day after signing, with FR00)",
    "test_shc_conformance": "SMART Health Cards conformance: validator cases and scanverify's answers",
    "test_vdsnc_conformance": "ICAO VDS-NC conformance: stated outcomes",
}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print each conformance suite's table when that suite ran."""
    for name, title in CONFORMANCE_SUITES.items():
        module = sys.modules.get(name)
        if module is not None and sum(module.TALLY.values()):
            terminalreporter.write_sep("-", title)
            terminalreporter.write_line(module.conformance_table())


# The tests read scanverify's English unless they ask for a language (tests/test_i18n.py):
# a developer's Chinese locale must not change what they see.
for _variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
    os.environ.pop(_variable, None)
os.environ["LANG"] = "C.UTF-8"


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


@pytest.fixture
def drawn_text(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text the live window draws with Pillow, in order (its band cache cleared)."""
    from PIL import ImageDraw

    from scanverify import live_view

    drawn: list[str] = []
    real = ImageDraw.ImageDraw.text

    def spy(self: Any, xy: Any, text: str, *args: Any, **kwargs: Any) -> Any:
        drawn.append(text)
        return real(self, xy, text, *args, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", spy)
    monkeypatch.setattr(live_view, "_BANDS", {})
    return drawn


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """``run_cli(*args)``: scanverify's command line in this process; its CliRun (code, out, err)."""
    return Cli(capsys)


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    """A throw-away CS1 issuer (ES256, specseal's own encoder), one per test module."""
    from specseal import Issuer

    return Issuer("ES256")
