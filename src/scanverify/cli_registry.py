"""`scanverify registry ...`: the issuing office's registry of seals (docs/registry.md).

    scanverify registry init                          make (or upgrade) a registry
    scanverify registry revoke NO --reason TEXT       revoke a seal; unrevoke lifts it (with a reason too)
    scanverify registry history [NO]                  every change: who, when, why
    scanverify registry export --version N --expires T -o bundle.json
    scanverify registry lookup NO --dt DATE           the online query, locally
    scanverify registry stats [--json]                seals per day, kind, post; revoked; lookups

`scanverify sign ... --registry URL` records each seal it makes (see :func:`sign_recorded`).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .cli_common import EXIT_NO_SEAL, EXIT_REJECTED, parse_at
from .display import echo, json_line, make_console, shown
from .errors import UsageError
from .i18n import N_, local_time
from .i18n import gettext as _

if TYPE_CHECKING:
    from .algorithms import PrivateKey
    from .registry import Registry

__all__ = ["registry", "sign_recorded"]

#: The changes the registry keeps, as a person reads them (the history's JSON keeps the English word).
ACTIONS = {"issued": N_("issued"), "revoked": N_("revoked"), "unrevoked": N_("unrevoked")}

registry_option = click.option(
    "--registry",
    "url",
    envvar="SCANVERIFY_REGISTRY",
    default=None,
    metavar="URL",
    help="sqlite:///PATH or postgresql://USER@HOST/DB (default: $SCANVERIFY_REGISTRY, else a SQLite "
    "file in the data directory).",
)


@contextlib.contextmanager
def _opened(url: str | None, *, create: bool = False) -> Iterator[Registry]:
    from .registry import Registry

    with Registry.open(url, create=create) as opened:
        yield opened


def _print_json(obj: Any) -> None:
    for line in json_line(obj, indent=2).splitlines():  # echo is one line at a time
        echo(line)


# ---------------------------------------------------------------- sign --registry
def sign_recorded(url: str, text: str, key: PrivateKey, out: str | None) -> None:
    """Record a seal just signed, then hand it out: printed, or written to ``out``.

    Nothing leaves before the registry has committed the row: the seal file is
    written to a temporary name first and moved into place only after the
    commit, and the text is printed only after it. A number sealed before, a
    registry that is gone or read-only: one line, no seal anywhere.
    """
    pending = _prepare(text, out) if out is not None else None
    try:
        with _opened(url) as opened:
            opened.record_seal(text, key.public_key())
    except BaseException:
        if pending is not None:
            pending.unlink(missing_ok=True)
        raise
    if pending is None or out is None:
        echo(text)
        return
    try:
        os.replace(pending, out)
    except OSError as exc:
        pending.unlink(missing_ok=True)
        raise UsageError(
            _("{path}: cannot write ({error}); the seal is in the registry").format(path=out, error=exc.strerror or exc)
        ) from None
    echo(_("wrote {path}").format(path=shown(out).text), err=True)


def _prepare(text: str, out: str) -> Path:
    """The seal, rendered into a temporary file beside ``out``."""
    import tempfile  # here, not at the top: every command would pay for it (cold start)

    from .issuer import render_qr

    target = Path(out)
    suffix = target.suffix.lower()
    if suffix not in (".txt", ".png", ".svg"):
        raise UsageError(_("{path}: write a .png, .svg or .txt").format(path=out))
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=".seal-", suffix=suffix)
    except OSError as exc:
        raise UsageError(f"{out}: cannot write ({exc.strerror or exc})") from None
    pending = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            if suffix == ".txt":
                handle.write(text + "\n")
        if suffix != ".txt":
            render_qr(text, pending)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(pending, 0o666 & ~umask)  # as a plainly written file would be (mkstemp makes 0600)
    except BaseException as exc:
        pending.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise UsageError(f"{out}: cannot write ({exc.strerror or exc})") from None
        raise
    return pending


# ---------------------------------------------------------------- the group
@click.group("registry")
def registry() -> None:
    """The issuing office's registry of seals: revoke, export, look up, count."""


@registry.command("init")
@registry_option
def init_command(url: str | None) -> None:
    """Make a registry (or bring an older one up to date)."""
    with _opened(url, create=True) as opened:
        echo(_("registry ready: {url}").format(url=shown(opened.url).text))


def _by_option(command: Any) -> Any:
    return click.option("--by", default=None, metavar="WHO", help="Who makes the change (default: the OS user).")(
        command
    )


@registry.command("revoke")
@click.argument("no", metavar="NO")
@click.option("--reason", required=True, help="Why (kept in the history).")
@click.option("--iss", default=None, metavar="CC", help="The issuing state, when the number was sealed for several.")
@_by_option
@registry_option
def revoke_command(no: str, reason: str, iss: str | None, by: str | None, url: str | None) -> None:
    """Revoke the seal with this certificate number; export a bundle to tell the verifiers."""
    with _opened(url) as opened:
        seal = opened.revoke(no, reason=reason, iss=iss, by=by)
    echo(
        _("revoked {seal} (export a trust bundle and install it to tell every verifier)").format(seal=shown(seal.name).text)
    )


@registry.command("unrevoke")
@click.argument("no", metavar="NO")
@click.option("--reason", required=True, help="Why the revocation is lifted (kept in the history).")
@click.option("--iss", default=None, metavar="CC", help="The issuing state, when the number was sealed for several.")
@_by_option
@registry_option
def unrevoke_command(no: str, reason: str, iss: str | None, by: str | None, url: str | None) -> None:
    """Lift a revocation (with a reason); export a bundle to tell the verifiers."""
    with _opened(url) as opened:
        seal = opened.unrevoke(no, reason=reason, iss=iss, by=by)
    echo(_("no longer revoked: {seal}").format(seal=shown(seal.name).text))


@registry.command("history")
@click.argument("no", metavar="[NO]", required=False)
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
@registry_option
def history_command(no: str | None, as_json: bool, url: str | None) -> None:
    """Every change the registry keeps (of one certificate number, if given), oldest first."""
    with _opened(url) as opened:
        changes = opened.history(no)
    if as_json:
        _print_json(
            [
                {
                    "iss": c.iss,
                    "no": c.no,
                    "action": c.action,
                    "reason": c.reason,
                    "by": c.actor,
                    "at": c.at.isoformat(),
                }
                for c in changes
            ]
        )
        return
    for change in changes:
        echo(
            _("{time}  {action:<9} {seal}  by {actor}: {reason}").format(
                time=local_time(change.at, seconds=True),
                action=_(ACTIONS.get(change.action, change.action)),
                seal=shown(f"{change.iss}/{change.no}").text,
                actor=shown(change.actor).text,
                reason=shown(change.reason).text,
            )
        )


@registry.command("export")
@click.option("--version", "version", required=True, type=click.IntRange(min=1), help="The bundle's version.")
@click.option("--expires", required=True, callback=parse_at, metavar="ISO-8601", help="When the bundle expires.")
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False), help="Where to write the bundle.")
@click.option("--name", default="", help="Issuer name for the registry's keys.")
@click.option(
    "--base",
    "base_file",
    default=None,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Start from this (unsigned) bundle: its keys and revoked seals are kept.",
)
@registry_option
def export_command(
    version: int, expires: datetime, out: str, name: str, base_file: str | None, url: str | None
) -> None:
    """Write a trust bundle with the registry's keys and revoked seals, for 'scanverify trust sign'."""
    import json

    from .cli_common import refuse_special_file
    from .trust import TrustStore, parse_json, read_trust_file
    from .trustlist import _atomic_write

    base = None
    if base_file is not None:
        refuse_special_file(base_file)
        base = parse_json(read_trust_file(base_file), base_file)
        TrustStore.from_bundle(base, base_file)  # refuses a file that is not a bundle
    with _opened(url) as opened:
        bundle = opened.bundle(version=version, expires=expires, name=name, base=base)
    store = TrustStore.from_bundle(bundle, out)  # what every verifier will load: checked before it is written
    try:
        _atomic_write(Path(out), (json.dumps(bundle, indent=2, ensure_ascii=False) + "\n").encode())
    except OSError as exc:
        raise UsageError(f"{out}: cannot write ({exc.strerror or exc})") from None
    echo(
        _(
            "wrote {path}: version {version}, {keys} keys, {revoked} revoked seals "
            "(next: scanverify trust sign, then trust update on every counter)"
        ).format(path=shown(out).text, version=version, keys=len(store), revoked=len(store.revoked_seals))
    )


@registry.command("lookup")
@click.argument("no", metavar="NO")
@click.option("--dt", required=True, metavar="YYYY-MM-DD", help="The date of the act, as printed on the certificate.")
@click.option("--iss", default=None, metavar="CC", help="Only this issuing state's seals.")
@registry_option
def lookup_command(no: str, dt: str, iss: str | None, url: str | None) -> None:
    """Look a seal up by certificate number and date of the act (the online query, locally).

    Prints the answer as JSON. Exit status: 0 found and valid, 1 found and
    revoked, 3 not found (no such number, or not with that date).
    """
    with _opened(url) as opened:
        answer = opened.lookup(no, dt, iss=iss)
    _print_json(answer)
    if not answer["found"]:
        sys.exit(EXIT_NO_SEAL)
    if answer["status"] == "revoked":
        sys.exit(EXIT_REJECTED)


@registry.command("stats")
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
@registry_option
def stats_command(as_json: bool, url: str | None) -> None:
    """Seals per day, per kind of act and per issuing post; revoked; lookups."""
    with _opened(url) as opened:
        stats = opened.stats()
    if as_json:
        _print_json(stats)
        return
    from rich.table import Table

    console = make_console()
    lookups = stats["lookups"]
    console.print(
        shown(
            _("{seals} seals, {revoked} revoked; {lookups} lookups ({found} found)").format(
                seals=stats["seals"], revoked=stats["revoked"], lookups=lookups["total"], found=lookups["found"]
            )
        ).rich()
    )
    sections: list[tuple[str, str, dict[str, Any]]] = [
        (_("Seals per day"), _("day (UTC)"), stats["per_day"]),
        (_("Kind of act"), _("kind"), stats["per_kind"]),
        (_("Issuing post / authority"), _("authority"), stats["per_authority"]),
    ]
    for title, heading, counts in sections:
        table = Table(title=title, title_justify="left")
        table.add_column(heading)
        table.add_column(_("seals"), justify="right")
        for label, count in counts.items():
            # Kinds and authorities are record text from the signed records: through the boundary.
            table.add_row(shown(label).rich(), str(count))
        console.print(table)
    table = Table(title=_("Lookups per day"), title_justify="left")
    table.add_column(_("day (UTC)"))
    for heading in (_("found"), _("not found")):
        table.add_column(heading, justify="right")
    for day, counts in lookups["per_day"].items():
        table.add_row(shown(day).rich(), str(counts["found"]), str(counts["not_found"]))
    console.print(table)
