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
#: An image read from stdin (`scanverify -`) may be at most this large: a photo
#: is a few MB; anything beyond is refused, not read into memory.
STDIN_IMAGE_LIMIT = 64 << 20
#: A payload line on stdin (`--text -`) may be at most this long (bytes): the
#: largest QR code holds under 3 KB, a PDF417 about 1 KB; a longer line is an
#: error row and the run goes on.
LINE_LIMIT = 64 << 10
#: What one decoding process may need at most, per pixel of the largest image
#: allowed, plus its imports (measured by benchmarks/memory.py: a 120 MP RGBA
#: PNG peaks at ~650 MB, about 5 bytes a pixel over ~80 MB of imports).
WORKER_BYTES_PER_PIXEL = 6
#: A record to sign (`sign RECORD.json`) may be at most this large.
RECORD_LIMIT = 1 << 20
WORKER_BASE_BYTES = 150 << 20

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
    try:
        # Year 1 at +05:00 is year 0 in UTC: refuse it here, not with an
        # overflow somewhere in the verdict.
        moment.astimezone(UTC)
    except OverflowError:
        raise click.BadParameter(f"{value!r} is outside the years 1 to 9999 in UTC") from None
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
        raise UsageError(f"SCANVERIFY_HOME={home!r} is not a directory")


def check_home_writable() -> None:
    """For commands that install into $SCANVERIFY_HOME: it must also be writable."""
    check_home()
    home = os.environ.get("SCANVERIFY_HOME")
    if home and os.path.isdir(home) and not os.access(home, os.W_OK | os.X_OK):
        raise UsageError(f"SCANVERIFY_HOME={home!r} is not writable")


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
@verification_options
def verify(images: tuple[str, ...], texts: tuple[str, ...], **kwargs: Any) -> None:
    """Verify the seals in IMAGE... (files or directories; '-' reads an image from stdin)."""
    options = options_from(kwargs)
    if images and texts:
        raise click.UsageError("give images or --text, not both")
    if not images and not texts:
        raise click.UsageError("no IMAGE given (or --text PAYLOAD); see 'scanverify --help'")
    if images:
        images = tuple(_expand(images))  # refuses FIFOs and devices before any work
    verifier = options.verifier()
    reporter = Reporter(options)
    internal = False
    if texts:
        for source, payload in _payloads(texts):
            if isinstance(payload, _Failed):
                reporter.report([_error_result(source, payload.reason)])
                continue
            results, failed = _guarded(functools.partial(verifier.verify_payload, payload, source=source), source)
            internal |= failed
            reporter.report(results)
    else:
        for source, codes in _decode_all(list(images), options):
            if isinstance(codes, _Failed):
                reporter.report([_error_result(source, codes.reason)])
                internal |= codes.internal
            else:
                results, failed = _guarded(functools.partial(verifier.verify_codes, codes, source=source), source)
                internal |= failed
                reporter.report(results)
    status = reporter.finish()
    # A bug met on one input is reported on its row and the batch goes on; it
    # still ends the run with 70, unless a seal was rejected (1 always wins:
    # it is what the clerk must not miss).
    sys.exit(EXIT_INTERNAL if internal and status != EXIT_REJECTED else status)


@dataclass(frozen=True)
class _Failed:
    """An input that gave no codes: why, and whether it was a bug in scanverify (exit 70) or the input."""

    reason: str
    internal: bool = False


def _internal_reason(exc: BaseException) -> str:
    return f"internal error: {type(exc).__name__}: {exc} (please report this)"


def _guarded(verify: Callable[[], Any], source: str) -> tuple[list[Any], bool]:
    """verify()'s results, or an error row when it fails with a bug: one input never stops a batch."""
    try:
        results = verify()
        return (results if isinstance(results, list) else [results]), False
    except ScanverifyError as exc:
        return [_error_result(source, exc.diagnostics())], False
    except Exception as exc:
        return [_error_result(source, _internal_reason(exc))], True


def _payloads(texts: Sequence[str]) -> Iterator[tuple[str, str | _Failed]]:
    for text in texts:
        if text != "-":
            yield "<text>", text
            continue
        yield from _stdin_payloads()


def _stdin_payloads() -> Iterator[tuple[str, str | _Failed]]:
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
            yield f"<stdin>:{number}", _Failed(f"line longer than {LINE_LIMIT >> 10} KiB: not a code's payload")
            continue
        line = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        # A keyboard-wedge scanner ends each code with Enter; blank lines are
        # not codes. Only the line ending is cut: a space is a Base45 digit.
        if line.strip():
            yield f"<stdin>:{number}", line.rstrip("\r\n")


def _expand(images: Sequence[str]) -> list[str]:
    """Files as given; directories walked in name order for image files.

    A FIFO, device or socket named as an input is refused at once (UsageError:
    exit 2); inside a directory only regular files are taken.
    """
    found: list[str] = []
    for image in images:
        refuse_special_file(image)
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
    """Decode one input; one that gives no codes gives a _Failed saying why. Never raises (but Ctrl-C)."""
    from .decode import decode_image

    source = "<stdin>" if image == "-" else image
    try:
        data: Any = _read_stdin_image() if image == "-" else image
        return source, decode_image(data, effort=effort)  # type: ignore[arg-type]
    except ImageError as exc:
        return source, _Failed(_strip_source(exc.diagnostics(), image))
    except MemoryError:
        return source, _Failed("not enough memory to decode this image")
    except Exception as exc:
        # A bug, not the input's fault: said on this input's row, and the
        # batch goes on to the next (the run ends with exit 70).
        return source, _Failed(_internal_reason(exc), internal=True)


def _read_stdin_image() -> bytes:
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise ImageError("no standard input to read an image from")
    if stream.isatty():
        raise ImageError("standard input is a terminal: pipe an image into it (scanverify - < photo.jpg)")
    data = stream.read(STDIN_IMAGE_LIMIT + 1)
    if len(data) > STDIN_IMAGE_LIMIT:
        raise ImageError(f"the image on standard input is larger than {STDIN_IMAGE_LIMIT >> 20} MiB; give it as a file")
    return bytes(data)


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
    workers = worker_count(len(images))
    decode = functools.partial(_decode_one, effort=options.effort)
    if len(images) <= MANY or workers < 2 or "-" in images:
        stream: Iterator[tuple[str, Any]] = map(decode, images)
    else:
        stream = _pooled(decode, images, workers)
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


def worker_count(inputs: int, *, max_pixels: int | None = None) -> int:
    """Decoding processes for `inputs` images: one per core, no more than memory allows.

    Each process is assumed to need what the largest image allowed costs (the
    pixel limit), so a batch of large scans never drives the machine into swap
    or the out-of-memory killer.
    """
    from .decode import DEFAULT_MAX_PIXELS

    per_worker = WORKER_BASE_BYTES + WORKER_BYTES_PER_PIXEL * (max_pixels or DEFAULT_MAX_PIXELS)
    available = available_memory()
    by_memory = max(1, available // per_worker) if available else 1
    return max(1, min(inputs, os.cpu_count() or 1, by_memory))


def available_memory() -> int | None:
    """Bytes of memory available to new work (MemAvailable), or None when it cannot be told."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _pooled(
    decode: Callable[[str], tuple[str, Any]], images: list[str], workers: int
) -> Iterator[tuple[str, Any]]:
    """decode(image) for every image in a pool of processes, in input order.

    A process that dies (killed for memory, a crash inside a native decoder)
    breaks the whole pool; then the first image not yet reported is retried
    alone in a process of its own: if that dies too, the image gets an error
    row; either way the rest go on in a new pool. Only the guilty image is lost.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # spawn, not fork: a forked child would inherit the progress bar's thread state.
    context = multiprocessing.get_context("spawn")
    start = 0
    while start < len(images):
        executor = ProcessPoolExecutor(workers, mp_context=context)
        broken = False
        try:
            futures = [executor.submit(decode, image) for image in images[start:]]
            for future in futures:
                try:
                    item = future.result()
                except BrokenProcessPool:
                    broken = True
                    break
                start += 1
                yield item
        finally:
            executor.shutdown(wait=True, cancel_futures=True)
        if broken:
            yield _alone(decode, images[start], context)
            start += 1


def _alone(decode: Callable[[str], tuple[str, Any]], image: str, context: Any) -> tuple[str, Any]:
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    with ProcessPoolExecutor(1, mp_context=context) as executor:
        try:
            return executor.submit(decode, image).result()
        except BrokenProcessPool:
            reason = "the decoding process died on this image (out of memory, or a crash in a decoding library)"
            return ("<stdin>" if image == "-" else image), _Failed(reason)


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
@click.option(
    "--registry",
    "registry_url",
    default=None,
    metavar="URL",
    help="Record the seal in this registry (docs/registry.md); a number sealed before is refused.",
)
def sign(
    record_file: str,
    key_file: str,
    iss: str,
    iat: datetime | None,
    exp: datetime | None,
    out: str | None,
    registry_url: str | None = None,
) -> None:
    """Sign a consular record (JSON) into a CS1 seal.

    In the JSON, doc.h (the document's SHA-256) is given as 64 hex digits.
    """
    from .issuer import load_private_key, render_qr, sign_record

    refuse_special_file(record_file)
    refuse_special_file(key_file)
    record = _read_record(record_file)
    key = load_private_key(key_file)
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
        echo(f"wrote {out}", err=True)


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
            raise UsageError(f"{path}: larger than {RECORD_LIMIT >> 10} KiB: not a seal's record")
        record = json.loads(data)
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
from .cli_registry import registry  # noqa: E402
from .cli_serve import serve  # noqa: E402
from .cli_trust import trust  # noqa: E402

main.add_command(live)
main.add_command(serve)
main.add_command(trust)
main.add_command(registry)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status, never raising."""
    _utf8_output()
    try:
        main.main(args=list(argv) if argv is not None else None, prog_name="scanverify", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:
        # One line, as for every other input or option error (click's own form
        # is three: usage, a hint, the error).
        command = f"'{exc.ctx.command_path} --help'" if exc.ctx is not None else "'scanverify --help'"
        # The message may quote an argument as given: through the display boundary.
        error_line(None, f"{' '.join(exc.format_message().split())} (see {command})")
        return EXIT_USAGE
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
