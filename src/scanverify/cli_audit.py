"""`scanverify audit verify FILE`: check an audit log's hash chain (see scanverify.audit)."""

from __future__ import annotations

import sys

import click

from .display import REASON_LIMIT, echo, shown
from .i18n import gettext as _

__all__ = ["audit"]


@click.group()
def audit() -> None:
    """Audit logs written with --audit-log."""


@audit.command("verify")
@click.argument("log_file", metavar="FILE", type=click.Path(dir_okay=False))
@click.option(
    "--tip",
    default=None,
    metavar="SHA256",
    help="The last line's hash, as printed by an earlier check and kept elsewhere: "
    "also detects a changed last line or lines cut from the end.",
)
def verify_command(log_file: str, tip: str | None) -> None:
    """Check the hash chain of the audit log FILE.

    \b
    Exit status: 0 the chain is intact; 1 it is broken (the line and what is
    wrong are said); 2 the file cannot be read.
    """
    from .audit import verify_log

    report = verify_log(log_file, tip=tip)
    if report.intact:
        echo(_("audit log intact: {lines} lines; last line's SHA-256: {tip}").format(lines=report.lines, tip=report.tip))
        sys.exit(0)
    assert report.broken_at is not None
    echo(
        _("audit log BROKEN at line {line}: ").format(line=report.broken_at),
        shown(report.problem, REASON_LIMIT),
        err=False,
    )
    echo(_("the {lines} lines before it are intact").format(lines=report.lines), err=False)
    sys.exit(1)
