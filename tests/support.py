"""What many test files share: the command line run in-process, and a CS1 test issuer's trust.

The fixtures that hand these out (``run_cli``, ``issuer``) are in conftest.py; the types and
plain functions are here so that test files can import them. The issuer is specseal's: the
seals come from the tests' own encoder, never from scanverify's issuer code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest

if TYPE_CHECKING:
    from specseal import Issuer

    from scanverify import Verifier

__all__ = ["Cli", "CliRun", "json_lines", "verifier_for", "write_trust"]


def json_lines(text: str) -> list[dict[str, Any]]:
    """The objects of ``--json`` output, one a line; a line that is not JSON fails the test."""
    return [json.loads(line) for line in text.splitlines()]


class CliRun(NamedTuple):
    """One run of the command line: its exit status and what it printed (unpacks as a tuple)."""

    code: int
    out: str
    err: str

    def records(self) -> list[dict[str, Any]]:
        """Every ``--json`` object it printed on stdout, in order."""
        return json_lines(self.out)

    def record(self) -> dict[str, Any]:
        """The one ``--json`` object it printed; more or fewer fail the test."""
        records = self.records()
        assert len(records) == 1, self.out
        return records[0]


@dataclass(frozen=True)
class Cli:
    """``scanverify ARGS`` in this process, its output captured by pytest's capsys.

    ``leading`` comes before every run's own arguments: a file whose every run is, say,
    ``--json --at T`` says so once with ``run_cli.with_args("--json", "--at", T)``.
    """

    capsys: pytest.CaptureFixture[str]
    leading: tuple[str, ...] = ()

    def __call__(self, *args: str) -> CliRun:
        from scanverify.cli import run

        code = run([*self.leading, *args])
        out, err = self.capsys.readouterr()
        return CliRun(code, out, err)

    def with_args(self, *leading: str) -> Cli:
        return replace(self, leading=(*self.leading, *leading))


def write_trust(issuer: Issuer, path: Path, **terms: Any) -> Path:
    """A trust file at ``path`` that trusts ``issuer`` (``terms`` go on its key's entry)."""
    path.write_text(json.dumps(issuer.bundle(**terms)), encoding="utf-8")
    return path


def verifier_for(issuer: Issuer, at: datetime) -> Verifier:
    """A Verifier that trusts ``issuer`` alone, its clock stopped at ``at``."""
    from scanverify import TrustStore, Verifier

    return Verifier(trust=TrustStore.from_bundle(issuer.bundle(), "test"), clock=lambda: at)
