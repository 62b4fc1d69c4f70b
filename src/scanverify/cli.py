"""The scanverify command line.

    scanverify [OPTIONS] IMAGE...        verify the seals in photos or scans
    scanverify --text PAYLOAD            verify a payload (--text - : one per line on stdin)
    scanverify live                      verify what a camera sees
    scanverify keygen / sign             issuer tools
    scanverify trust ...                 signed trust-list management
    scanverify registry ...              the issuing office's registry of seals
    scanverify doctor                    decoders, versions, trust in use

Exit status: 0 every input holds a seal and every seal is genuine; 1 a seal
is not genuine; 2 usage error or an unreadable input; 3 an input holds no
seal (no code, or only codes that are not seals); 4 a trust update was
refused; 70 internal error.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import click

from . import __version__
from ._batch import MANY, Failed
from .cli_common import (
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    Reporter,
    VerifyOptions,
    check_home,
    error_line,
    error_result,
    lang_from_argv,
    options_from,
    parse_at,
    refuse_special_file,
    translate_cli,
    verification_options,
)
from .display import REASON_LIMIT, echo, fancy, json_line, make_console, shown
from .errors import ImageError, ScanverifyError, UsageError
from .i18n import gettext as _

if TYPE_CHECKING:
    from .verifier import Verifier

_F = TypeVar("_F", bound=Callable[..., Any])

__all__ = ["entry_point", "main", "run"]

#: An image read from stdin (`scanverify -`) may be at most this large: a photo
#: is a few MB; anything beyond is refused, not read into memory.
STDIN_IMAGE_LIMIT = 64 << 20
#: A payload line on stdin (`--text -`) may be at most this long (bytes): the
#: largest QR code holds under 3 KB, a PDF417 about 1 KB; a longer line is an
#: error row and the run goes on.
LINE_LIMIT = 64 << 10
#: A record to sign (`sign RECORD.json`) may be at most this large.
RECORD_LIMIT = 1 << 20


# ---------------------------------------------------------------- commands
class DefaultToVerify(click.Group):
    """`scanverify photo.jpg` means `scanverify verify photo.jpg`.

    The command groups most runs never use (live, serve, trust, registry,
    audit) are imported when named or listed (help), not on every photo.
    """

    #: Command name -> the module (in this package) that defines it, under the same name.
    LAZY: ClassVar[dict[str, str]] = {
        "live": "cli_live",
        "serve": "cli_serve",
        "trust": "cli_trust",
        "registry": "cli_registry",
        "audit": "cli_audit",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY and cmd_name not in self.commands:
            import importlib

            module = importlib.import_module(f".{self.LAZY[cmd_name]}", __package__)
            self.add_command(getattr(module, cmd_name))
        return super().get_command(ctx, cmd_name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if ctx.resilient_parsing:
            # Shell completion: complete subcommand names, not verify's options.
            return super().parse_args(ctx, args)
        # --lang may come first (`scanverify --lang zh photo.jpg`): the word after it decides.
        skip = 2 if args[:1] == ["--lang"] else 1 if args[:1] and args[0].startswith("--lang=") else 0
        if len(args) <= skip:
            # Bare `scanverify`: the help, and exit 2 as click groups do (click >= 8.2):
            # nothing was verified, so a script must not read success.
            for line in ctx.get_help().splitlines():
                echo(shown(line, None))
            sys.exit(EXIT_USAGE)
        if args[skip] not in self.commands and args[skip] not in self.LAZY and args[skip] not in ("--help", "-h", "--version"):
            args = [*args[:skip], "verify", *args[skip:]]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultToVerify, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, message="scanverify %(version)s")
def main() -> None:
    """Verify the signed seal (QR code) on a consular document, offline.

    \b
      scanverify photo.jpg              verify every seal in a photo or scan
      scanverify --text 'CS1:...'       verify a payload; --text - reads stdin
      scanverify live                   verify what the camera sees
      scanverify keygen / sign          make issuer keys and seals
      scanverify doctor                 show decoders and trust in use
      scanverify audit verify LOG       check an --audit-log's hash chain

    \b
    Exit status:
      0   every input holds a seal and every seal is genuine
      1   a seal is not genuine, or was made for another document
          than --document; audit verify: the chain is broken
      2   usage error, unreadable input or trust file
      3   an input holds no seal (no code, or codes that are not seals)
      4   trust update/verify: the trust list was refused
      70  internal error (a bug: please report it)
      130 interrupted (Ctrl-C)

    The options for verifying (--json, --trust, --at, --effort, ...) are
    listed by 'scanverify verify --help'.
    """
    check_home()


@main.command()
@click.argument("images", nargs=-1, metavar="IMAGE...")
@click.option(
    "--text",
    "texts",
    multiple=True,
    metavar="PAYLOAD",
    help="Verify this payload instead of an image; '-' reads one payload per line from stdin.",
)
@click.option(
    "--document",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="FILE",
    help="The document in hand (e.g. the scanned PDF): compared with the hash its seal carries; "
    "a seal made for another document exits 1.",
)
@verification_options
def verify(images: tuple[str, ...], texts: tuple[str, ...], document: str | None, **kwargs: Any) -> None:
    """Verify the seals in IMAGE... (image files, HEIC photos, PDFs, or directories of them;
    '-' reads an image from stdin). Every page of a PDF or multi-page TIFF is read (FILE#page=N)."""
    options = options_from(kwargs)
    refuse_special_file(document)
    if images and texts:
        raise click.UsageError(_("give images or --text, not both"))
    if not images and not texts:
        raise click.UsageError(_("no IMAGE given (or --text PAYLOAD); see 'scanverify --help'"))
    digest = None
    if document is not None:
        from .document import document_hash

        digest = document_hash(document)  # hashed once, before any image is read
    if images:
        images = tuple(_expand(images))  # refuses FIFOs and devices before any work
    verifier = options.verifier()
    reporter = Reporter(options)
    internal = False
    if texts:
        for source, payload in _payloads(texts):
            if isinstance(payload, Failed):
                reporter.report([error_result(source, payload.reason)])
                continue
            verify_one = functools.partial(verifier.verify_payload, payload, source=source, document=digest)
            results, failed = _guarded(verify_one, source)
            internal |= failed
            reporter.report(results)
    else:
        for results in _verify_images(verifier, list(images), options, digest):
            internal |= any(r.cause.value == "internal" for r in results)
            reporter.report(results)
    status = reporter.finish()
    # A bug met on one input is reported on its row and the batch goes on; it
    # still ends the run with 70, unless a seal was rejected (1 always wins:
    # it is what the clerk must not miss).
    sys.exit(EXIT_INTERNAL if internal and status != EXIT_REJECTED else status)


def _guarded(verify: Callable[[], Any], source: str) -> tuple[list[Any], bool]:
    """verify()'s results, or an error row when it fails with a bug: one input never stops a batch."""
    from ._batch import internal_reason

    try:
        results = verify()
        return (results if isinstance(results, list) else [results]), False
    except ScanverifyError as exc:
        return [error_result(source, exc.diagnostics())], False
    except Exception as exc:
        return [error_result(source, internal_reason(exc), internal=True)], True


def _payloads(texts: Sequence[str]) -> Iterator[tuple[str, str | Failed]]:
    for text in texts:
        if text != "-":
            yield "<text>", text
            continue
        yield from _stdin_payloads()


def _stdin_payloads() -> Iterator[tuple[str, str | Failed]]:
    """One payload per line of stdin, each line at most LINE_LIMIT bytes."""
    # Bytes, not text: a line is cut at LINE_LIMIT before it is decoded, and
    # bytes that are not UTF-8 become U+FFFD (then not_a_seal), never a crash.
    stream: Any = getattr(sys.stdin, "buffer", None) or sys.stdin
    if stream is None:
        return
    number = 0
    while True:
        raw = stream.readline(LINE_LIMIT + 1)
        if not raw:
            return
        number += 1
        newline = b"\n" if isinstance(raw, bytes) else "\n"
        if len(raw) > LINE_LIMIT and not raw.endswith(newline):
            # Skip the rest of the overlong line, a bounded piece at a time.
            while (rest := stream.readline(LINE_LIMIT)) and not rest.endswith(newline):
                pass
            yield f"<stdin>:{number}", Failed(f"line longer than {LINE_LIMIT >> 10} KiB: not a code's payload")
            continue
        line = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        # A keyboard-wedge scanner ends each code with Enter; blank lines are
        # not codes. Only the line ending is cut: a space is a Base45 digit.
        if line.strip():
            yield f"<stdin>:{number}", line.rstrip("\r\n")


def _expand(images: Sequence[str]) -> list[str]:
    """Files as given; directories walked in name order for image, HEIC and PDF files,
    saying on stderr which files were left out and why, and when a directory held none.
    (A PDF's or multi-page TIFF's pages are split by Verifier.verify_many.)

    A FIFO, device or socket named as an input is refused at once (UsageError:
    exit 2); inside a directory only regular files are taken.
    """
    from .decode._documents import expand_inputs

    for image in images:
        refuse_special_file(image)
    found = expand_inputs(images)
    for path, why in found.skipped:
        echo(_("scanverify: skipped "), shown(path), _(": "), shown(_(why), REASON_LIMIT), err=True)
    for folder in found.empty:
        echo("scanverify: ", shown(folder), _(": no image, HEIC or PDF file found in this directory"), err=True)
    return found.files


def _verify_images(
    verifier: Verifier, images: list[str], options: VerifyOptions, document: Any = None
) -> Iterator[list[Any]]:
    """Each image's results, in input order, through Verifier.verify_many.

    '-' is the image on stdin, read here (the library takes its bytes); one that
    cannot be read is its own error row, in its place.
    """
    inputs: list[str | bytes | Failed] = []
    for image in images:
        if image != "-":
            inputs.append(image)
            continue
        try:
            inputs.append(_read_stdin_image())
        except ImageError as exc:
            inputs.append(Failed(exc.diagnostics()))
    named = [(item, "<stdin>" if given == "-" else given) for item, given in zip(inputs, images, strict=True)]
    todo = [(item, source) for item, source in named if not isinstance(item, Failed)]
    # The bar is drawn with cursor moves: only on a terminal that may have them.
    show_progress = len(images) > MANY and not options.quiet and fancy(sys.stderr)
    with contextlib.ExitStack() as stack:
        progress = stack.enter_context(_progress_bar(len(todo))) if show_progress else None
        stream = verifier.verify_many(
            [item for item, _ in todo], sources=[source for _, source in todo], progress=progress, document=document
        )
        # A PDF or multi-page TIFF gives one row per page: each is its own input.
        pending = next(stream, None)
        for item, source in named:
            if isinstance(item, Failed):
                yield [error_result(source, item.reason)]
                continue
            while pending is not None and (pending[0] == source or pending[0].startswith(f"{source}#page=")):
                yield pending[1]
                pending = next(stream, None)


@contextlib.contextmanager
def _progress_bar(total: int) -> Iterator[Callable[[int, int], None]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    # markup=False: a description is shown as it is, never read as markup.
    columns = (TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeRemainingColumn(), transient=True, console=make_console(stderr=True)) as bar:
        task = bar.add_task(shown(_("Scanning")).text, total=total)
        yield lambda done, _total: bar.update(task, completed=done)


def _read_stdin_image() -> bytes:
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise ImageError(_("no standard input to read an image from"))
    if stream.isatty():
        raise ImageError(_("standard input is a terminal: pipe an image into it (scanverify - < photo.jpg)"))
    data = stream.read(STDIN_IMAGE_LIMIT + 1)
    if len(data) > STDIN_IMAGE_LIMIT:
        raise ImageError(
            _("the image on standard input is larger than {size} MiB; give it as a file").format(size=STDIN_IMAGE_LIMIT >> 20)
        )
    return bytes(data)


# ---------------------------------------------------------------- issuer tools
def passphrase_options(command: _F) -> _F:
    """--passphrase-env VAR / --passphrase-prompt, shared by keygen and sign."""
    command = click.option(
        "--passphrase-prompt",
        is_flag=True,
        help="Ask for the private key's passphrase on the terminal (not echoed).",
    )(command)
    return click.option(
        "--passphrase-env",
        metavar="VAR",
        default=None,
        help="Take the private key's passphrase from the environment variable VAR "
        "(never from the command line, where other users can see it).",
    )(command)


def read_passphrase(env: str | None, prompt: bool, *, confirm: bool) -> bytes | None:
    """The passphrase asked for by --passphrase-env or --passphrase-prompt; None for neither."""
    if env is not None and prompt:
        raise UsageError(_("give --passphrase-env or --passphrase-prompt, not both"))
    if env is not None:
        value = os.environ.get(env)
        if value is None:
            raise UsageError(_("the environment variable {name} (--passphrase-env) is not set").format(name=env))
        if not value:
            raise UsageError(_("the environment variable {name} (--passphrase-env) is empty").format(name=env))
        return value.encode("utf-8")
    if prompt:
        if not sys.stdin.isatty():
            raise UsageError(_("--passphrase-prompt needs a terminal; use --passphrase-env VAR instead"))
        value = click.prompt(_("Passphrase"), hide_input=True, confirmation_prompt=confirm, err=True)
        if not value:
            raise UsageError(_("the passphrase is empty"))
        return str(value).encode("utf-8")
    return None


@main.command()
@click.option(
    "--alg", type=click.Choice(["ES256", "ES384", "ES512", "PS256", "EdDSA"]), default="ES256", show_default=True
)
@click.option(
    "-o",
    "--out",
    "stem",
    default="issuer",
    show_default=True,
    metavar="STEM",
    help="Write STEM.key.pem (private, mode 0600), STEM.pub.pem and STEM.trust.json.",
)
@click.option("--name", default="", help="Issuer name for the trust entry.")
@click.option("--iss", default=None, metavar="CC", help="Issuing state (ISO 3166-1 alpha-2) the key signs for.")
@click.option("--not-before", callback=parse_at, metavar="ISO-8601", help="Earliest signing time for the trust entry.")
@click.option("--not-after", callback=parse_at, metavar="ISO-8601", help="Latest signing time for the trust entry.")
@click.option("--specimen", is_flag=True, help="Mark the key as a test issuer (verdicts say SPECIMEN).")
@passphrase_options
def keygen(
    alg: str,
    stem: str,
    name: str,
    iss: str | None,
    not_before: datetime | None,
    not_after: datetime | None,
    specimen: bool,
    passphrase_env: str | None,
    passphrase_prompt: bool,
) -> None:
    """Make an issuer key pair and its trust-bundle entry.

    The private key is written unencrypted unless --passphrase-env or
    --passphrase-prompt is given. Nothing is written when --iss, the dates or
    the output files cannot work (exit 2).
    """
    from .algorithms import kid_of
    from .issuer import check_iss, check_output_path, check_validity, generate_key, write_key_files

    # Everything that can be refused is refused before the passphrase is asked for.
    if iss is not None:
        check_iss(iss)
    check_validity(not_before, not_after)
    for suffix in (".key.pem", ".pub.pem", ".trust.json"):
        check_output_path(f"{stem}{suffix}")
    passphrase = read_passphrase(passphrase_env, passphrase_prompt, confirm=True)
    key = generate_key(alg)
    paths = write_key_files(
        key,
        stem,
        passphrase=passphrase,
        name=name,
        iss=iss,
        not_before=not_before,
        not_after=not_after,
        specimen=specimen,
    )
    if passphrase:
        echo(_("private key: {path} (keep it secret; mode 0600; encrypted with the passphrase)").format(path=paths[0]))
    else:
        echo(_("private key: {path} (keep it secret; mode 0600; unencrypted)").format(path=paths[0]))
    echo(_("public key:  {path}").format(path=paths[1]))
    echo(_("trust entry: {path}").format(path=paths[2]))
    echo(_("kid:         {kid}").format(kid=kid_of(key.public_key()).hex()))


@main.command()
@click.argument("record_file", metavar="RECORD.json", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--key", "key_file", required=True, type=click.Path(dir_okay=False), help="The issuer's private key (PEM)."
)
@click.option("--iss", required=True, metavar="CC", help="Issuing state, ISO 3166-1 alpha-2 (e.g. CN).")
@click.option("--iat", callback=parse_at, metavar="ISO-8601", help="Signing time (default: now).")
@click.option("--exp", callback=parse_at, metavar="ISO-8601", help="End of validity (e.g. for a visa).")
@click.option(
    "-o",
    "--out",
    "out",
    default=None,
    metavar="FILE",
    help="Write a QR image (.png or .svg) or the seal text (.txt); default: print the text.",
)
@click.option(
    "--registry",
    "registry_url",
    default=None,
    metavar="URL",
    help="Record the seal in this registry (docs/registry.md); a number sealed before is refused.",
)
@passphrase_options
def sign(
    record_file: str,
    key_file: str,
    iss: str,
    iat: datetime | None,
    exp: datetime | None,
    out: str | None,
    registry_url: str | None = None,
    passphrase_env: str | None = None,
    passphrase_prompt: bool = False,
) -> None:
    """Sign a consular record (JSON) into a CS1 seal.

    In the JSON, doc.h (the document's SHA-256) is given as 64 hex digits.
    An encrypted private key needs --passphrase-env VAR or --passphrase-prompt.
    -o replaces an existing file; its directory must exist and be writable.
    """
    from .issuer import check_iss, check_output_path, check_validity, load_private_key, render_qr, sign_record

    refuse_special_file(record_file)
    refuse_special_file(key_file)
    check_iss(iss)
    check_validity(iat, exp, what="the seal")
    if out is not None:
        # A seal's image or text can be made again: -o replaces it (as the registry's
        # atomic write does); a key file is never overwritten (keygen).
        check_output_path(out, replace=True)
    record = _read_record(record_file)
    key = load_private_key(key_file, read_passphrase(passphrase_env, passphrase_prompt, confirm=False))
    text = sign_record(record, key, iss=iss, issued_at=iat, expires_at=exp)
    if registry_url is not None:
        from .cli_registry import sign_recorded

        return sign_recorded(registry_url, text, key, out)  # recorded first, then printed or written
    if out is None:
        echo(text)
    elif out.lower().endswith(".txt"):
        Path(out).write_text(text + "\n", encoding="ascii")
    else:
        render_qr(text, out)
    if out is not None:
        echo(_("wrote {path}").format(path=out), err=True)


def _read_record(path: str) -> dict[str, Any]:
    try:
        # A record is well under a kilobyte (it must fit a QR code): read no
        # more than RECORD_LIMIT, from stdin or a file.
        if path == "-":
            stream: Any = getattr(sys.stdin, "buffer", None) or sys.stdin
            data = stream.read(RECORD_LIMIT + 1)
        else:
            with open(path, "rb") as file:
                data = file.read(RECORD_LIMIT + 1)
        if len(data) > RECORD_LIMIT:
            raise UsageError(_("{path}: larger than {size} KiB: not a seal's record").format(path=path, size=RECORD_LIMIT >> 10))
        record = json.loads(data)
    except OSError as exc:
        raise UsageError(_("{path}: cannot read ({error})").format(path=path, error=exc.strerror or exc)) from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # ValueError: also a 5000-digit number
        raise UsageError(_("{path}: not valid JSON ({error})").format(path=path, error=exc)) from None
    if not isinstance(record, dict):
        raise UsageError(_("{path}: the record must be a JSON object").format(path=path))
    doc = record.get("doc")
    if isinstance(doc, dict) and isinstance(doc.get("h"), str):
        try:
            doc["h"] = bytes.fromhex(doc["h"])
        except ValueError:
            raise UsageError(_("{path}: doc.h must be 64 hex digits").format(path=path)) from None
    return record


@main.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object (schema scanverify.doctor.v1).")
@click.option("--no-cameras", is_flag=True, help="Do not probe camera indexes 0-3.")
def doctor(as_json: bool, no_cameras: bool) -> None:
    """Show the decoders found, library versions, the trust in use, display, Tk, fonts and cameras."""
    from ._doctor import report
    from .reasons import warning_text

    info = report(probe_cameras=not no_cameras)
    if as_json:
        sys.stdout.write(json_line(info) + "\n")
        return
    python = _("scanverify {version} on Python {python} (").format(version=info["scanverify"], python=info["python"])
    echo(python, shown(info["platform"]), ")")
    echo(_("decoders:"))
    for decoder in info["decoders"]:
        if decoder["available"]:
            state = _("ok {version}").format(version=decoder["version"] or "").rstrip()
        else:
            state = _("MISSING — {detail}").format(detail=decoder["detail"])
        echo(f"  {decoder['name']:<10} ", shown(state))
    echo(_("libraries:"))
    for package, found in info["libraries"].items():
        echo(f"  {package:<12} ", found or _("MISSING"))
    inputs = info["inputs"]
    echo(f"  {'pdf':<12} ", inputs["pdf"] or _("MISSING (pip install pypdfium2)"))
    echo(f"  {'heic':<12} ", inputs["heic"] or _("not installed (pip install scanverify[heic])"))
    echo(_("formats: "), ", ".join(shown(name).text for name in info["formats"]))
    for problem in info["format_problems"]:
        # A plug-in's own error message: text from outside this package.
        echo(_("warning: "), shown(problem, REASON_LIMIT))
    trust = info["trust"]
    for warning in trust["warnings"]:
        echo(_("warning: "), shown(warning_text(warning), REASON_LIMIT))
    keys = _("trust: {count} keys ({specimens} specimen) from ").format(count=trust["keys"], specimens=trust["specimen"])
    echo(keys, ", ".join(shown(s).text for s in trust["sources"]))
    display, tk, fonts = info["display"], info["tk"], info["fonts"]
    styled = _("styled") if display["styled"] else _("plain")
    graphical = _("yes") if display["graphical"] else _("no")
    echo(_("display: {styled} output; graphical session: {graphical}").format(styled=styled, graphical=graphical))
    if tk["available"]:
        echo(_("tk: {version}").format(version=tk["version"]))
    else:
        echo(_("tk: MISSING — "), shown(tk["detail"]))
    if fonts["cjk"]:
        echo(_("Chinese font: "), shown(fonts["cjk"]))
    else:
        # The holder's name is what the clerk compares with the paper: a window that
        # draws it as boxes cannot be used for that.
        echo(_("warning: "), shown(_(fonts["detail"]), REASON_LIMIT))
    if info["cameras"] is not None:
        found = ", ".join(str(i) for i in info["cameras"]) or _("none")
        echo(_("cameras (indexes 0-3): {found}").format(found=found))


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status, never raising."""
    _utf8_output()
    args = list(argv) if argv is not None else sys.argv[1:]
    with _language(lang_from_argv(args)):
        return _run(args)


@contextlib.contextmanager
def _language(lang: str | None) -> Iterator[None]:
    """Speak ``lang`` (None: the locale's) for one run: our words, the commands' help, and
    click's own words ("Usage:", its errors), which click looks up with the standard
    library's gettext: in our catalogue while the run lasts, in the language chosen."""
    import gettext as stdlib_gettext

    from .i18n import CATALOGUES, DOMAIN, LOCALE_DIR, speaking

    # speaking: the run's language ends with the run (the library's errors after it
    # are in the language the process spoke before).
    with speaking(lang) as chosen:
        translate_cli(main)
        saved_domain = stdlib_gettext.textdomain()
        saved_language = os.environ.get("LANGUAGE")
        stdlib_gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
        stdlib_gettext.textdomain(DOMAIN)
        # The standard library's gettext reads the language from the environment only.
        os.environ["LANGUAGE"] = CATALOGUES[chosen] or chosen
        try:
            yield
        finally:
            stdlib_gettext.textdomain(saved_domain)
            if saved_language is None:
                os.environ.pop("LANGUAGE", None)
            else:
                os.environ["LANGUAGE"] = saved_language


def _run(args: list[str]) -> int:
    try:
        main.main(args=args, prog_name="scanverify", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:
        # One line, as for every other input or option error (click's own form
        # is three: usage, a hint, the error).
        command = f"'{exc.ctx.command_path} --help'" if exc.ctx is not None else "'scanverify --help'"
        # The message may quote an argument as given: through the display boundary.
        said = " ".join(exc.format_message().split())
        error_line(None, _("{message} (see {command})").format(message=said, command=command))
        return EXIT_USAGE
    except click.ClickException as exc:
        # Click's message may quote an argument as given: shown through the boundary too.
        message = io.StringIO()
        exc.show(file=message)
        for line in message.getvalue().splitlines():
            echo(shown(line, REASON_LIMIT), err=True)
        return EXIT_USAGE
    except click.exceptions.Abort:
        echo(_("scanverify: interrupted"), err=True)
        return 130
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except ScanverifyError as exc:
        error_line(None, exc.diagnostics())
        return EXIT_USAGE
    except KeyboardInterrupt:
        echo(_("scanverify: interrupted"), err=True)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); nothing more to say to it.
        _silence_stdout()
        return EXIT_OK
    except Exception as exc:
        internal = shown(f"{type(exc).__name__}: {exc}", REASON_LIMIT)
        echo(_("scanverify: internal error: "), internal, _(" (please report this)"), err=True)
        return EXIT_INTERNAL
    return EXIT_OK


def _utf8_output() -> None:
    # Names may be Chinese: never fail to print them because the terminal or
    # pipe was set up with a narrower encoding.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None or (stream.encoding or "").lower().replace("-", "") == "utf8":
            continue
        # A pipe or file gets UTF-8; a terminal keeps its own encoding and
        # shows '?' for what it cannot display rather than crash.
        with contextlib.suppress(ValueError, OSError):
            reconfigure(**({"errors": "replace"} if stream.isatty() else {"encoding": "utf-8"}))


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def entry_point() -> None:
    sys.exit(run())
