"""The scanverify command line.

    scanverify [OPTIONS] IMAGE...        verify the seals in photos or scans
    scanverify --text PAYLOAD            verify a payload (--text - : one per line on stdin)
    scanverify live                      verify what a camera sees
    scanverify keygen / sign             issuer tools
    scanverify trust ...                 signed trust-list management
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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .display import REASON_LIMIT, Shown, echo, fancy, json_line, make_console, shown
from .errors import ImageError, ScanverifyError, UsageError

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_NO_SEAL, EXIT_INTERNAL = 0, 1, 2, 3, 70
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".pbm"}
#: Above this many inputs a progress bar is shown, and decoding is spread over processes.
MANY = 4

F = TypeVar("F", bound=Callable[..., Any])


# ---------------------------------------------------------------- options
def parse_at(_ctx: Any, _param: Any, value: str | None) -> datetime | None:
    if value is None:
        return None
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO-8601 time, e.g. 2026-11-26T09:30:00Z") from None
    if moment.tzinfo is None:
        if "T" in text or " " in text:
            # A naive time would be read in this machine's zone; a verdict must
            # not depend on where the computer thinks it is.
            raise click.BadParameter(f"{value!r} has no time zone; add Z for UTC or an offset like +08:00")
        moment = moment.replace(tzinfo=UTC)  # a bare date: its start, in UTC
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

    def verifier(self) -> Any:
        from .trust import TrustStore
        from .trustlist import active_store
        from .verifier import Verifier

        stores = []
        if not self.no_default_trust:
            store, warnings = active_store(self.root)
            for warning in warnings:
                echo("scanverify: warning: ", shown(warning, REASON_LIMIT), err=True)
            stores.append(store)
        stores += [TrustStore.from_file(path) for path in self.trust_files]
        verifier = Verifier(trust=TrustStore.combine(stores), effort=self.effort)
        if self.at is not None:
            at = self.at
            verifier.clock = lambda: at
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
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def options_from(kwargs: dict[str, Any]) -> VerifyOptions:
    return VerifyOptions(
        trust_files=tuple(kwargs.pop("trust_files")),
        no_default_trust=kwargs.pop("no_default_trust"),
        at=kwargs.pop("at"),
        effort=kwargs.pop("effort"),
        as_json=kwargs.pop("as_json"),
        redact=kwargs.pop("redact"),
        quiet=kwargs.pop("quiet"),
        root=kwargs.pop("root"),
    )


# ---------------------------------------------------------------- output
class Reporter:
    """Prints results as they come (human panels or JSON Lines) and counts them."""

    def __init__(self, options: VerifyOptions) -> None:
        from .render import Summary

        self.options = options
        self.summary = Summary()
        self.out = make_console()

    def report(self, results: Sequence[Any]) -> None:
        from .model import Status
        from .render import render_result

        self.summary.add(results)
        for result in results:
            public = result.redacted() if self.options.redact else result
            if self.options.as_json:
                sys.stdout.write(json_line(public.to_json()) + "\n")
                sys.stdout.flush()
            elif result.status is not Status.ERROR:
                self.out.print(render_result(public))
            if result.status is Status.ERROR:
                error_line(result.source, result.reason)

    def finish(self) -> int:
        if not self.options.quiet and self.summary.sources > 1:
            echo(self.summary.line(), err=self.options.as_json)
        return self.summary.exit_code


def error_line(source: str | None, reason: str) -> None:
    """``scanverify: error: SOURCE: reason`` on stderr. Plain, not rich: one line whatever the
    terminal's width (newlines in a file name are shown as \\n)."""
    where: tuple[Shown | str, ...] = (shown(source), ": ") if source is not None else ()
    echo("scanverify: error: ", *where, shown(reason, REASON_LIMIT), err=True)


# ---------------------------------------------------------------- commands
class DefaultToVerify(click.Group):
    """`scanverify photo.jpg` means `scanverify verify photo.jpg`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")):
            args = ["verify", *args]
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

    \b
    Exit status: 0 all seals genuine; 1 a seal is not genuine;
    2 usage error or unreadable input; 3 an input holds no seal.

    The options for verifying (--json, --trust, --at, --effort, ...) are
    listed by 'scanverify verify --help'.
    """


@main.command()
@click.argument("images", nargs=-1, metavar="IMAGE...")
@click.option(
    "--text",
    "texts",
    multiple=True,
    metavar="PAYLOAD",
    help="Verify this payload instead of an image; '-' reads one payload per line from stdin.",
)
@verification_options
def verify(images: tuple[str, ...], texts: tuple[str, ...], **kwargs: Any) -> None:
    """Verify the seals in IMAGE... (files or directories; '-' reads an image from stdin)."""
    options = options_from(kwargs)
    if images and texts:
        raise click.UsageError("give images or --text, not both")
    if not images and not texts:
        raise click.UsageError("no IMAGE given (or --text PAYLOAD); see 'scanverify --help'")
    verifier = options.verifier()
    reporter = Reporter(options)
    if texts:
        for source, payload in _payloads(texts):
            reporter.report([verifier.verify_payload(payload, source=source)])
    else:
        for source, codes in _decode_all(_expand(images), options):
            if isinstance(codes, str):
                reporter.report([_error_result(source, codes)])
            else:
                reporter.report(verifier.verify_codes(codes, source=source))
    sys.exit(reporter.finish())


def _payloads(texts: Sequence[str]) -> Iterator[tuple[str, str]]:
    for text in texts:
        if text != "-":
            yield "<text>", text
            continue
        stdin = sys.stdin
        with contextlib.suppress(AttributeError, ValueError, OSError):
            # Bytes that are not UTF-8 become U+FFFD (then not_a_seal), never a crash.
            stdin.reconfigure(encoding="utf-8", errors="replace")  # type: ignore[union-attr]
        for number, line in enumerate(stdin, 1):
            # A keyboard-wedge scanner ends each code with Enter; blank lines are
            # not codes. Only the line ending is cut: a space is a Base45 digit.
            if line.strip():
                yield f"<stdin>:{number}", line.rstrip("\r\n")


def _expand(images: Sequence[str]) -> list[str]:
    """Files as given; directories walked in name order for image files."""
    found: list[str] = []
    for image in images:
        path = Path(image)
        if image != "-" and path.is_dir():
            found += sorted(str(p) for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            found.append(image)
    return found


def _error_result(source: str, message: str) -> Any:
    from .model import Status, VerificationResult

    return VerificationResult(Status.ERROR, message, source, datetime.now(UTC))


def _decode_one(image: str, effort: str) -> tuple[str, Any]:
    """Decode one input; an unreadable one gives its message instead of codes."""
    from .decode import decode_image

    try:
        source: Any = sys.stdin.buffer.read() if image == "-" else image
        return ("<stdin>" if image == "-" else image), decode_image(source, effort=effort)  # type: ignore[arg-type]
    except ImageError as exc:
        return image, _strip_source(exc.diagnostics(), image)


def _strip_source(message: str, source: str) -> str:
    # diagnostics() folds whitespace into single spaces: a name with newlines is folded too.
    for name in (source, " ".join(source.split())):
        if message.startswith(f"{name}: "):
            return message[len(name) + 2 :]
    return message


def _decode_all(images: list[str], options: VerifyOptions) -> Iterator[tuple[str, Any]]:
    """Decoded codes per image, in input order; spread over the cores when there are many."""
    if not images:
        return
    # The bar is drawn with cursor moves: only on a terminal that may have them.
    show_progress = len(images) > MANY and not options.quiet and fancy(sys.stderr)
    workers = min(len(images), os.cpu_count() or 1)
    decode = functools.partial(_decode_one, effort=options.effort)
    if len(images) <= MANY or workers < 2 or "-" in images:
        stream: Iterator[tuple[str, Any]] = map(decode, images)
        executor = None
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn, not fork: a forked child would inherit the progress bar's thread state.
        executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        stream = executor.map(decode, images, chunksize=1)  # map() keeps input order
    try:
        if show_progress:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            # markup=False: a description is shown as it is, never read as markup.
            columns = (TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn())
            with Progress(*columns, TimeRemainingColumn(), transient=True, console=make_console(stderr=True)) as progress:
                task = progress.add_task(shown("Scanning").text, total=len(images))
                for item in stream:
                    progress.advance(task)
                    yield item
        else:
            yield from stream
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)


# ---------------------------------------------------------------- issuer tools
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
def keygen(
    alg: str,
    stem: str,
    name: str,
    iss: str | None,
    not_before: datetime | None,
    not_after: datetime | None,
    specimen: bool,
) -> None:
    """Make an issuer key pair and its trust-bundle entry."""
    from .algorithms import kid_of
    from .issuer import generate_key, write_key_files

    key = generate_key(alg)
    paths = write_key_files(
        key, stem, name=name, iss=iss, not_before=not_before, not_after=not_after, specimen=specimen
    )
    echo(f"private key: {paths[0]} (keep it secret; mode 0600)")
    echo(f"public key:  {paths[1]}")
    echo(f"trust entry: {paths[2]}")
    echo(f"kid:         {kid_of(key.public_key()).hex()}")


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
def sign(
    record_file: str, key_file: str, iss: str, iat: datetime | None, exp: datetime | None, out: str | None
) -> None:
    """Sign a consular record (JSON) into a CS1 seal.

    In the JSON, doc.h (the document's SHA-256) is given as 64 hex digits.
    """
    from .issuer import load_private_key, render_qr, sign_record

    record = _read_record(record_file)
    text = sign_record(record, load_private_key(key_file), iss=iss, issued_at=iat, expires_at=exp)
    if out is None:
        echo(text)
    elif out.lower().endswith(".txt"):
        Path(out).write_text(text + "\n", encoding="ascii")
    else:
        render_qr(text, out)
    if out is not None:
        echo(f"wrote {out}", err=True)


def _read_record(path: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        record = json.loads(text)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # ValueError: also a 5000-digit number
        raise UsageError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(record, dict):
        raise UsageError(f"{path}: the record must be a JSON object")
    doc = record.get("doc")
    if isinstance(doc, dict) and isinstance(doc.get("h"), str):
        try:
            doc["h"] = bytes.fromhex(doc["h"])
        except ValueError:
            raise UsageError(f"{path}: doc.h must be 64 hex digits") from None
    return record


@main.command()
def doctor() -> None:
    """Show the decoders found, library versions and the trust in use."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    from .decode import decoder_info
    from .formats import formats, plugin_problems
    from .trustlist import active_store

    echo(f"scanverify {__version__} on Python {platform.python_version()} ({platform.platform()})")
    echo("decoders:")
    for info in decoder_info():
        state = f"ok {info.version or ''}".rstrip() if info.available else f"MISSING — {info.detail}"
        echo(f"  {info.name:<10} ", shown(state))
    echo("libraries:")
    for package in ("cryptography", "cbor2", "segno", "pillow", "numpy", "rich", "click"):
        try:
            echo(f"  {package:<12} {version(package)}")
        except PackageNotFoundError:
            echo(f"  {package:<12} MISSING")
    echo("formats: " + ", ".join(shown(f.name).text for f in formats()))
    for problem in plugin_problems():
        # A plug-in's own error message: text from outside this package.
        echo("warning: ", shown(problem, REASON_LIMIT))
    store, warnings = active_store()
    for warning in warnings:
        echo("warning: ", shown(warning, REASON_LIMIT))
    specimens = sum(1 for k in store if k.specimen)
    echo(f"trust: {len(store)} keys ({specimens} specimen) from ", ", ".join(shown(s).text for s in store.sources))


# Added last: they use the shared options defined above.
from .cli_live import live  # noqa: E402
from .cli_trust import trust  # noqa: E402

main.add_command(live)
main.add_command(trust)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status, never raising."""
    _utf8_output()
    try:
        main.main(args=list(argv) if argv is not None else None, prog_name="scanverify", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        # Click's message may quote an argument as given: shown through the boundary too.
        message = io.StringIO()
        exc.show(file=message)
        for line in message.getvalue().splitlines():
            echo(shown(line, REASON_LIMIT), err=True)
        return EXIT_USAGE
    except click.exceptions.Abort:
        echo("scanverify: interrupted", err=True)
        return 130
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except ScanverifyError as exc:
        error_line(None, exc.diagnostics())
        return EXIT_USAGE
    except KeyboardInterrupt:
        echo("scanverify: interrupted", err=True)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); nothing more to say to it.
        _silence_stdout()
        return EXIT_OK
    except Exception as exc:
        internal = shown(f"{type(exc).__name__}: {exc}", REASON_LIMIT)
        echo("scanverify: internal error: ", internal, " (please report this)", err=True)
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
