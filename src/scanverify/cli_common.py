"""What the verifying commands share (`scanverify IMAGE...`, `--text`, `live`, `trust`):
their options, exit codes and the way results are reported.

cli.py and cli_live.py both import this module; neither imports the other.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

from .display import REASON_LIMIT, Shown, echo, json_line, make_console, shown
from .errors import UsageError
from .i18n import gettext as _

__all__ = [
    "EXIT_INTERNAL",
    "EXIT_NO_SEAL",
    "EXIT_OK",
    "EXIT_REJECTED",
    "EXIT_USAGE",
    "Reporter",
    "VerifyOptions",
    "check_home",
    "check_home_writable",
    "error_line",
    "error_result",
    "options_from",
    "parse_at",
    "refuse_special_file",
    "verification_options",
]

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_NO_SEAL, EXIT_INTERNAL = 0, 1, 2, 3, 70

F = TypeVar("F", bound=Callable[..., Any])


# ---------------------------------------------------------------- options
def parse_at(_ctx: Any, _param: Any, value: str | None) -> datetime | None:
    if value is None:
        return None
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise click.BadParameter(_("{value} is not an ISO-8601 time, e.g. 2026-11-26T09:30:00Z").format(value=repr(value))) from None
    if moment.tzinfo is None:
        if "T" in text or " " in text:
            # A naive time would be read in this machine's zone; a verdict must
            # not depend on where the computer thinks it is.
            raise click.BadParameter(_("{value} has no time zone; add Z for UTC or an offset like +08:00").format(value=repr(value)))
        moment = moment.replace(tzinfo=UTC)  # a bare date: its start, in UTC
    try:
        # Year 1 at +05:00 is year 0 in UTC: refuse it here, not with an
        # overflow somewhere in the verdict.
        moment.astimezone(UTC)
    except OverflowError:
        raise click.BadParameter(_("{value} is outside the years 1 to 9999 in UTC").format(value=repr(value))) from None
    return moment


@dataclass(frozen=True)
class VerifyOptions:
    trust_files: tuple[str, ...]
    no_default_trust: bool
    at: datetime | None
    effort: str
    as_json: bool
    redact: bool
    quiet: bool
    root: str | None = None
    audit_log: str | None = None
    audit_full: bool = False

    def audit(self, results: Sequence[Any]) -> None:
        """Append the results to the --audit-log, if one was given (hash-chained, locked, fsynced)."""
        if self.audit_log is not None and results:
            from .audit import AuditLog

            AuditLog(self.audit_log, full=self.audit_full).append(results)

    def verifier(self) -> Any:
        from .reasons import warning_text
        from .trust import TrustStore
        from .trustlist import active_store
        from .verifier import FixedClock, Verifier

        stores = []
        if not self.no_default_trust:
            store, warnings = active_store(self.root)
            for warning in warnings:
                echo(_("scanverify: warning: "), shown(warning_text(warning), REASON_LIMIT), err=True)
            stores.append(store)
        stores += [TrustStore.from_file(path) for path in self.trust_files]
        verifier = Verifier(trust=TrustStore.combine(stores), effort=self.effort)
        if self.at is not None:
            verifier.clock = FixedClock(self.at)
        return verifier


def verification_options(command: F) -> F:
    """The options shared by image, text and live verification."""
    decorators = [
        click.option(
            "--trust",
            "trust_files",
            multiple=True,
            metavar="FILE",
            help="Also trust the keys in FILE: a trust bundle (.json), a PEM public key "
            "or certificate, or a DER certificate. Repeatable.",
        ),
        click.option("--no-default-trust", is_flag=True, help="Leave out the built-in trust bundle."),
        click.option(
            "--at",
            callback=parse_at,
            metavar="ISO-8601",
            help="Verify as of this time (default: now), e.g. 2026-11-26T09:30:00Z.",
        ),
        click.option(
            "--effort",
            type=click.Choice(["fast", "normal", "thorough"]),
            default="normal",
            show_default=True,
            help="How hard to look for codes in difficult photos.",
        ),
        click.option("--json", "as_json", is_flag=True, help="JSON Lines on stdout: one object per code found."),
        click.option(
            "--redact", is_flag=True, help="Hide holder names, birth dates and raw payloads in all output (for logs)."
        ),
        click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary line."),
        click.option(
            "--root",
            type=click.Path(dir_okay=False),
            default=None,
            metavar="FILE",
            help="Check installed trust lists against this root instead of the pinned one.",
        ),
        click.option(
            "--audit-log",
            type=click.Path(dir_okay=False),
            default=None,
            metavar="FILE",
            help="Append one hash-chained JSON line per result to FILE (redacted); "
            "check it with 'scanverify audit verify FILE'.",
        ),
        click.option(
            "--audit-full", is_flag=True, help="Keep names, birth dates and payloads in the audit log (not redacted)."
        ),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def options_from(kwargs: dict[str, Any]) -> VerifyOptions:
    for path in (*kwargs["trust_files"], kwargs["root"]):
        refuse_special_file(path)
    check_home()
    return VerifyOptions(
        trust_files=tuple(kwargs.pop("trust_files")),
        no_default_trust=kwargs.pop("no_default_trust"),
        at=kwargs.pop("at"),
        effort=kwargs.pop("effort"),
        as_json=kwargs.pop("as_json"),
        redact=kwargs.pop("redact"),
        quiet=kwargs.pop("quiet"),
        root=kwargs.pop("root"),
        audit_log=kwargs.pop("audit_log"),
        audit_full=kwargs.pop("audit_full"),
    )


def refuse_special_file(path: str | None) -> None:
    """Refuse at once, with one line, an input that is a FIFO, device or socket.

    Reading a FIFO waits for a writer (forever, in a clerk's batch) and a device
    like /dev/zero never ends; a missing file is left to the reader to report.
    """
    from ._files import special_file_problem

    if path is None or path == "-":
        return
    problem = special_file_problem(path)
    if problem is not None and not problem.startswith("is a directory"):
        raise UsageError(f"{path}: {problem}")


def check_home() -> None:
    """$SCANVERIFY_HOME, when set, must be a directory (or not exist yet): one line, exit 2, if not.

    Were it a file, the installed trust list there could not be read, and a
    silent fallback to the built-in bundle could undo a revocation.
    """
    home = os.environ.get("SCANVERIFY_HOME")
    if home and os.path.lexists(home) and not os.path.isdir(home):
        raise UsageError(_("SCANVERIFY_HOME={home} is not a directory").format(home=repr(home)))


def check_home_writable() -> None:
    """For commands that install into $SCANVERIFY_HOME: it must also be writable."""
    check_home()
    home = os.environ.get("SCANVERIFY_HOME")
    if home and os.path.isdir(home) and not os.access(home, os.W_OK | os.X_OK):
        raise UsageError(_("SCANVERIFY_HOME={home} is not writable").format(home=repr(home)))


# ---------------------------------------------------------------- output
class Reporter:
    """Prints results as they come (human panels or JSON Lines) and counts them."""

    def __init__(self, options: VerifyOptions) -> None:
        from .render import Summary

        self.options = options
        self.summary = Summary()
        self._out: Any = None

    @property
    def out(self) -> Any:
        # Made when first used: a --json run prints no panel and needs no rich.
        if self._out is None:
            self._out = make_console()
        return self._out

    def report(self, results: Sequence[Any]) -> None:
        from .model import Status
        from .render import render_result

        self.summary.add(results)
        # Logged before it is shown: a verdict the clerk saw is always in the log.
        self.options.audit(results)
        for result in results:
            public = result.redacted() if self.options.redact else result
            if self.options.as_json:
                sys.stdout.write(json_line(public.to_json()) + "\n")
                sys.stdout.flush()
            elif result.status is not Status.ERROR:
                self.out.print(render_result(public))
            if result.status is Status.ERROR:
                from .reasons import reason_text

                error_line(result.source, reason_text(result))

    def finish(self) -> int:
        if not self.options.quiet and self.summary.sources > 1:
            echo(self.summary.line(), err=self.options.as_json)
        return self.summary.exit_code


def error_line(source: str | None, reason: str) -> None:
    """``scanverify: error: SOURCE: reason`` on stderr. Plain, not rich: one line whatever the
    terminal's width (newlines in a file name are shown as \\n)."""
    where: tuple[Shown | str, ...] = (shown(source), ": ") if source is not None else ()
    echo(_("scanverify: error: "), *where, shown(reason, REASON_LIMIT), err=True)


def error_result(source: str, reason: str, *, internal: bool = False) -> Any:
    """An ``error`` row for an input that could not be read (or met a bug: `internal`)."""
    from .model import Cause, Status, VerificationResult

    cause = Cause.INTERNAL if internal else Cause.INPUT_ERROR
    return VerificationResult(Status.ERROR, reason, source, datetime.now(UTC), cause=cause)


# ---------------------------------------------------------------- language
LANG_HELP = "The language of everything shown to a person: zh (Simplified Chinese) or en; default: the locale's. JSON stays English."


def lang_from_argv(argv: Sequence[str]) -> str | None:
    """The value of ``--lang`` on the command line (before ``--``), or None.

    Read before click parses anything, so that its help, its usage errors and every
    other word come in that language wherever --lang stands; click then checks the
    value like any option's.
    """
    from .i18n import LANGUAGES

    for index, arg in enumerate(argv):
        if arg == "--":
            break
        value = arg.partition("=")[2] if arg.startswith("--lang=") else None
        if arg == "--lang" and index + 1 < len(argv):
            value = argv[index + 1]
        if value is not None:
            return value if value in LANGUAGES else None
    return None


def prepare_cli(command: click.Command) -> None:
    """Give every command under ``command`` the --lang option (once), and keep the English
    of every help text so that :func:`translate_cli` can translate from it again."""
    if not any(param.name == "lang" for param in command.params):
        command.params.append(
            click.Option(["--lang"], type=click.Choice(["zh", "en"]), expose_value=False, is_eager=True, help=LANG_HELP)
        )
    attributes = vars(command)
    attributes.setdefault("_english_help", command.help)
    attributes.setdefault("_english_short_help", command.short_help)
    for param in command.params:
        vars(param).setdefault("_english_help", getattr(param, "help", None))
    for sub in getattr(command, "commands", {}).values():
        prepare_cli(sub)


def translate_cli(command: click.Command) -> None:
    """Every help text under ``command`` in the language in use (English: as written)."""
    import inspect

    from .i18n import gettext

    prepare_cli(command)
    # Click makes each command's --help option once, with its help text in the language of
    # that moment, and keeps it: forgotten, it is made again in this run's language.
    if "_help_option" in vars(command):
        vars(command)["_help_option"] = None
    english = vars(command)["_english_help"]
    command.help = gettext(inspect.cleandoc(english)) if english else english
    short = vars(command)["_english_short_help"]
    command.short_help = gettext(inspect.cleandoc(short)) if short else short
    for param in command.params:
        text = vars(param)["_english_help"]
        if text and isinstance(param, click.Option):
            param.help = gettext(text)
    for sub in getattr(command, "commands", {}).values():
        translate_cli(sub)
