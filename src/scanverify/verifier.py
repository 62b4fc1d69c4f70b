"""The verification steps, in seal-format.md section 6's order, and the Verifier."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .errors import ScanverifyError, SealError, UsageError
from .formats import MalformedSeal, ParsedSeal, SealFormat, find_format
from .model import STALE_TRUST, Cause, DocumentCheck, Finding, Status, TrustedKey, VerificationResult, quick_init
from .trust import TrustStore

if TYPE_CHECKING:
    from .decode import DecodedCode, Effort, ImageSource
    from .document import DocumentHash, DocumentInput

__all__ = ["Assembled", "ChunkAssembly", "Clock", "FixedClock", "Judgement", "Verifier", "judge"]

Clock = Callable[[], datetime]
#: A seal signed up to this far in the verifier's future is accepted (clock skew).
CLOCK_SKEW = timedelta(seconds=300)


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class FixedClock:
    """A clock that always reads `at`: verify as of another time.

    A class rather than a lambda so that a Verifier using it can be pickled
    (sent to another process, kept by a server).
    """

    at: datetime

    def __call__(self) -> datetime:
        return self.at


@quick_init
@dataclass(frozen=True)
class Judgement:
    """The outcome of section 6's order on one parsed seal."""

    status: Status
    cause: Cause
    reason: str
    key: TrustedKey | None = None
    """The key that verified the signature, if one did."""
    signature_valid: bool | None = None


def judge(fmt: SealFormat, seal: ParsedSeal, trust: TrustStore, at: datetime) -> Judgement:
    """Section 6, in one place for every format: find the keys, check the signature,
    then rank every rule that fails (the verifier's and the format's) by its status."""
    found = fmt.candidate_keys(seal, trust, at)
    if isinstance(found, Finding):
        return Judgement(found.status, found.cause, found.reason)
    if not found:
        return Judgement(
            Status.UNTRUSTED,
            Cause.UNKNOWN_KEY,
            f"no trusted {fmt.name} issuer key matches the seal's signer ({seal.signer_text}): the issuer is unknown",
        )
    # A key bound to one issuer (a state) signs only seals that name it: a CN key
    # signing an FR seal, or a seal that names no state at all, is not trusted for it.
    allowed = [k for k in found if k.iss is None or k.iss == seal.issuer]
    if not allowed:
        states = ", ".join(sorted({k.iss or "" for k in found}))
        claimed = f"claims to be from {seal.issuer}" if seal.issuer else "names no issuing state"
        return Judgement(
            Status.UNTRUSTED,
            Cause.WRONG_STATE,
            f"the key for signer {seal.signer_text} is trusted only for seals of {states}, but the seal {claimed}",
        )
    key = next((k for k in allowed if fmt.verify_signature(seal, k)), None)
    if key is None:
        return Judgement(
            Status.FORGED,
            Cause.SIGNATURE,
            "signature does not match: the seal was altered or not made by this issuer",
            signature_valid=False,
        )
    findings = [*_rules(seal, key, trust, at), *fmt.policy(seal, key, trust, at)]
    if findings:
        # min() keeps the first of equal stages: the verifier's own rules first.
        first = min(findings, key=lambda f: f.stage)
        return Judgement(first.status, first.cause, first.reason, key, True)
    name = key.name or f"key {seal.signer_text}"
    specimen = " — SPECIMEN key: a test issuer, not a real document" if key.specimen else ""
    return Judgement(Status.GENUINE, Cause.NONE, f"signature verified: sealed by {name}{specimen}", key, True)


def _rules(seal: ParsedSeal, key: TrustedKey, trust: TrustStore, at: datetime) -> list[Finding]:
    """The rules section 6 sets for every format, on the key that verified."""
    found: list[Finding] = []
    name = key.name or f"key {seal.signer_text}"
    if trust.is_revoked_key(key):
        found.append(
            Finding(
                Status.REVOKED,
                Cause.REVOKED_KEY,
                f"the issuer key '{name}' has been revoked (compromised); its seals are void",
            )
        )
    if seal.revocation_id is not None and seal.revocation_id in trust.revoked_seals:
        found.append(
            Finding(
                Status.REVOKED, Cause.REVOKED_SEAL, f"this seal ({seal.revocation_id}) has been revoked by its issuer"
            )
        )
    latest = _plus_skew(at)
    signed = seal.issued_at
    if signed is not None and signed > latest:
        found.append(
            Finding(
                Status.NOT_YET_VALID,
                Cause.SIGNED_IN_FUTURE,
                f"the seal was signed at {_fmt(signed)}, after the time of checking ({_fmt(at)})",
            )
        )
    if seal.not_before is not None and seal.not_before > latest:
        found.append(
            Finding(
                Status.NOT_YET_VALID,
                Cause.SEAL_NOT_YET_VALID,
                f"the seal is valid only from {_fmt(seal.not_before)}, after the time of checking ({_fmt(at)})",
            )
        )
    if signed is not None and key.not_before is not None and signed < key.not_before:
        found.append(
            Finding(
                Status.NOT_YET_VALID,
                Cause.KEY_NOT_YET_VALID,
                f"the seal was signed at {_fmt(signed)}, before its key was valid (from {_fmt(key.not_before)})",
            )
        )
    if seal.expires_at is not None and seal.expires_at < at:
        found.append(Finding(Status.EXPIRED, Cause.SEAL_EXPIRED, f"the seal expired at {_fmt(seal.expires_at)}"))
    if signed is not None and key.not_after is not None and signed > key.not_after:
        found.append(
            Finding(
                Status.EXPIRED,
                Cause.KEY_EXPIRED,
                f"the seal was signed at {_fmt(signed)}, after its key was retired ({_fmt(key.not_after)})",
            )
        )
    return found


def _warnings(trust: TrustStore, at: datetime) -> tuple[str, ...]:
    warnings = trust.warnings
    if trust.stale_at(at):
        # An out-of-date list may still trust a key revoked since: say so
        # with every verdict rather than stay silent.
        assert trust.expires is not None
        warnings = (f"{STALE_TRUST} (expired {_fmt(trust.expires)}); update it", *warnings)
    return warnings


def _plus_skew(at: datetime) -> datetime:
    try:
        return at + CLOCK_SKEW
    except OverflowError:  # a time of checking at the end of year 9999
        return datetime.max.replace(tzinfo=UTC)


@dataclass
class Verifier:
    """Verifies seals against a trust store at a time given by a clock.

    >>> from scanverify import Verifier
    >>> verifier = Verifier()                       # the built-in trust bundle
    >>> results = verifier.verify_image("photo.jpg")  # doctest: +SKIP
    >>> [r.status.value for r in results]             # doctest: +SKIP
    ['genuine']
    """

    trust: TrustStore = field(default_factory=lambda: _trust_in_use())
    clock: Clock = system_clock
    effort: str = "normal"

    # ---- the two ways in: a verdict, or an exception --------------------
    def verify_payload(
        self, payload: str | bytes, *, source: str = "<text>", document: DocumentInput | None = None
    ) -> VerificationResult:
        """The verdict on one code's payload (its text, or its raw bytes).

        ``document``: the document in hand (a path, its bytes, or a
        :class:`~scanverify.document.DocumentHash`), compared with the hash the
        seal carries: see :attr:`VerificationResult.document`.
        """
        digest = _digest(document)
        return self._verify(payload, source=source, code=None, at=self._now(), document=digest)

    def verify_image(
        self, image: ImageSource, *, source: str | None = None, document: DocumentInput | None = None
    ) -> list[VerificationResult]:
        """A verdict for every code found in an image; one ``no_code`` result if none.

        Raises :class:`~scanverify.errors.ImageError` when the image cannot be read.
        """
        import os

        from .decode import decode_image
        from .decode._documents import Page, input_pages
        from .decode._image import source_name

        digest = _digest(document)  # a missing document is said before any decoding
        name = source if source is not None else source_name(image)
        if not isinstance(image, (str, os.PathLike)):
            return self.verify_codes(decode_image(image, effort=self._effort()), source=name, document=digest)
        # A PDF's pages and a multi-page TIFF's frames are each read, each verdict
        # naming its page (scan.pdf#page=2).
        results: list[VerificationResult] = []
        for _, page in input_pages(image):
            page_name = f"{name}#page={page.number}" if isinstance(page, Page) else name
            codes = decode_image(page, effort=self._effort())
            results += self.verify_codes(codes, source=page_name, document=digest)
        return results

    def verify_many(
        self,
        inputs: Iterable[ImageSource],
        *,
        workers: int | None = None,
        progress: Callable[[int, int], None] | None = None,
        sources: Sequence[str] | None = None,
        document: DocumentInput | None = None,
    ) -> Iterator[tuple[str, list[VerificationResult]]]:
        """Each input's source name and verdicts, in input order (a batch of photos or scans).

        An input that cannot be read (missing, corrupt, too large), or that meets
        a bug in scanverify, gives one ``error`` result saying why (its cause
        ``input_error`` or ``internal``), and the batch goes on. More than a
        handful of inputs are decoded in a pool of processes (`workers`: by
        default one per core, no more than memory allows; 1: none); the
        verdicts are made here. `progress(done, total)` is called as each input
        is done; `sources` names the inputs (default: a path as given, else
        ``<bytes>``, ``<ndarray>``, ...). A PDF's or multi-page TIFF's pages are
        inputs of their own, named ``NAME#page=N``. ``document``: as for
        :meth:`verify_payload`, hashed once for the whole batch.
        """
        from ._batch import Failed, decode_many, internal_reason
        from .decode._image import source_name

        given = list(inputs)
        given_names = [source_name(image) for image in given] if sources is None else list(sources)
        if len(given_names) != len(given):
            raise UsageError(f"{len(given_names)} source names given for {len(given)} inputs")
        digest = _digest(document)  # a missing document is said before any decoding
        images, names = _pages(given, given_names)
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
            raise UsageError(f"workers must be a whole number of at least 1, not {workers!r}")
        effort = self._effort()
        self._now()  # a broken clock is the caller's error, said once, before any work
        decoded = decode_many(images, effort=effort, workers=workers)
        for done, (name, codes) in enumerate(zip(names, decoded, strict=True), start=1):
            if isinstance(codes, Failed):
                cause = Cause.INTERNAL if codes.internal else Cause.INPUT_ERROR
                results = [self._error(name, codes.reason, cause)]
            else:
                try:
                    results = self.verify_codes(codes, source=name, document=digest)
                except ScanverifyError as exc:
                    results = [self._error(name, exc.diagnostics(), Cause.INPUT_ERROR)]
                except Exception as exc:  # a bug on one input never stops the batch
                    results = [self._error(name, internal_reason(exc), Cause.INTERNAL)]
            if progress is not None:
                progress(done, len(images))
            yield name, results

    def _error(self, source: str, reason: str, cause: Cause) -> VerificationResult:
        try:
            at = self._now()
        except ScanverifyError:
            at = system_clock()
        return VerificationResult(Status.ERROR, reason, source, at, cause=cause)

    def verify_codes(
        self, codes: Iterable[DecodedCode], *, source: str, document: DocumentInput | None = None
    ) -> list[VerificationResult]:
        """Verdicts for codes already decoded (by :func:`scanverify.decode.decode_image`).

        The chunks of a seal printed over several codes are joined into one seal
        with one verdict, at the place of its first chunk.
        """
        at = self._now()
        digest = _digest(document)
        # decode_image's list says how many symbols it saw but could not read.
        unread = getattr(codes, "unread", 0)
        codes = list(codes)
        if not codes:
            return [self._no_code(source, at, unread)]
        results: list[VerificationResult | None] = []
        assembly = ChunkAssembly()
        slots: dict[Hashable, int] = {}
        for code in codes:
            group = assembly.add(code.payload, code)
            if group is None:
                results.append(self._verify(code.payload, source=source, code=code, at=at, document=digest))
            elif group not in slots:
                slots[group] = len(results)
                results.append(None)
        for group, assembled in assembly.finish().items():
            results[slots[group]] = self.verify_assembled(assembled, source=source, at=at, document=digest)
        return [r for r in results if r is not None]

    def _no_code(self, source: str, at: datetime, unread: int) -> VerificationResult:
        if not unread:
            return VerificationResult(
                Status.NO_CODE, "no QR or other 2D code was found in the image", source, at, cause=Cause.NO_CODE
            )
        # A symbol was glimpsed but not read: the remedy differs from an image
        # with no code at all, so say what may still work.
        if self.effort == "thorough":
            reason = "a code was seen in the image but could not be read; take a closer, sharper photo of it"
        else:
            reason = (
                "a code was seen in the image but could not be read; "
                "try again with --effort thorough, or take a closer, sharper photo of it"
            )
        return VerificationResult(Status.NO_CODE, reason, source, at, cause=Cause.CODE_UNREADABLE)

    def verify_assembled(
        self,
        assembled: Assembled,
        *,
        source: str,
        at: datetime | None = None,
        document: DocumentInput | None = None,
    ) -> VerificationResult:
        """The verdict on a seal joined from several codes (see :class:`ChunkAssembly`)."""
        at = at if at is not None else self._now()
        digest = _digest(document)
        if assembled.problem is None:
            return self._verify(assembled.payload, source=source, code=assembled.code, at=at, document=digest)
        fmt = find_format(assembled.payload)
        name = fmt.name if fmt is not None else "multi-code"
        return VerificationResult(
            Status.MALFORMED,
            f"malformed {name} seal: {assembled.problem}",
            source,
            at,
            format=fmt.name if fmt is not None else None,
            code=assembled.code,
            cause=Cause.PARSE,
            warnings=_warnings(self.trust, at),
            document=_document_check(digest, None),
        )

    def check_payload(self, payload: str | bytes, *, document: DocumentInput | None = None) -> VerificationResult:
        """Like verify_payload, but raise SealError unless the seal is genuine (and on the document given)."""
        return _raise_unless_genuine([self.verify_payload(payload, document=document)])[0]

    def check_image(self, image: ImageSource, *, document: DocumentInput | None = None) -> list[VerificationResult]:
        """Like verify_image, but raise SealError unless it holds seals and all are genuine
        (and made for the document given)."""
        return _raise_unless_genuine(self.verify_image(image, document=document))

    # ---- the steps ------------------------------------------------------
    def _now(self) -> datetime:
        return _checked_time(self.clock())

    def _effort(self) -> Effort:
        if self.effort not in ("fast", "normal", "thorough"):
            raise UsageError(f"effort must be fast, normal or thorough, not {self.effort!r}")
        return self.effort  # type: ignore[return-value]

    def _verify(
        self,
        payload: str | bytes,
        *,
        source: str,
        code: DecodedCode | None,
        at: datetime,
        document: DocumentHash | None = None,
    ) -> VerificationResult:
        data = _as_bytes(payload)
        text = _as_text(data)
        if text is None and code is not None:
            # Not UTF-8: shown as the symbol's own character set says (Shift-JIS,
            # say), for display only; a seal is still parsed from `data`, exactly.
            text = code.text_hint
        fmt = find_format(data)
        trust = self.trust.for_format(fmt.name) if fmt is not None else self.trust
        warnings = _warnings(trust, at)
        if fmt is None:
            # The payload is not put in the reason: --redact removes the payload
            # (it may hold a name), and the reason must not carry it back in.
            return VerificationResult(
                Status.NOT_A_SEAL,
                "the code holds no seal (no known seal format)",
                source,
                at,
                payload=text,
                code=code,
                cause=Cause.NOT_A_SEAL,
                warnings=warnings,
            )
        common: dict[str, Any] = {"format": fmt.name, "payload": text, "code": code}
        # Not compared (match None) unless the seal could be read: a malformed one names no hash.
        unread_document: dict[str, Any] = {"document": _document_check(document, None)}
        try:
            seal = fmt.parse(data)
        except MalformedSeal as exc:
            return VerificationResult(
                Status.MALFORMED,
                f"malformed {fmt.name} seal: {exc}",
                source,
                at,
                kid=exc.kid,
                cause=Cause.PARSE,
                warnings=warnings,
                **unread_document,
                **common,
            )
        except ScanverifyError:
            raise
        except Exception as exc:  # a plug-in's bug is a malformed verdict, never a genuine one or a crash
            return VerificationResult(
                Status.MALFORMED,
                f"the {fmt.name} format plug-in could not read this seal ({type(exc).__name__})",
                source,
                at,
                cause=Cause.PARSE,
                warnings=warnings,
                **unread_document,
                **common,
            )
        verdict = judge(fmt, seal, trust, at)
        if verdict.key is not None:
            warnings += tuple(w for w in verdict.key.warnings if w not in warnings)
        return VerificationResult(
            verdict.status,
            verdict.reason,
            source,
            at,
            kid=seal.kid,
            kid_text=seal.kid_text,
            key=verdict.key,
            claims=seal.claims,
            record=seal.record,
            facts=seal.facts,
            cause=verdict.cause,
            signature_valid=verdict.signature_valid,
            warnings=warnings,
            # The status stays the seal's verdict; a file that is not the one
            # sealed is a rejection of its own (result.document_mismatch).
            document=_document_check(document, seal.document_sha256),
            **common,
        )


@dataclass(frozen=True)
class Assembled:
    """The chunks of one seal, joined (or what kept them from being joined)."""

    payload: bytes
    """The joined payload; the first chunk's when it could not be joined."""
    code: Any
    """Where the first chunk was found (a DecodedCode), if it came from an image."""
    parts: tuple[bytes, ...]
    """Every chunk's payload, as found."""
    problem: str | None = None


class ChunkAssembly:
    """Joins the chunks of seals printed over several codes (a multi-chunk SMART
    Health Card), in one image or over the frames of a live scan."""

    def __init__(self) -> None:
        self._groups: dict[Hashable, dict[int, list[tuple[bytes, Any]]]] = {}
        self._totals: dict[Hashable, set[int]] = {}
        self._formats: dict[Hashable, SealFormat] = {}

    def add(self, payload: bytes, code: Any = None) -> Hashable | None:
        """Take a code; its group when it is a chunk, None when it is a whole seal."""
        fmt = find_format(payload)
        chunk_of = getattr(fmt, "chunk", None)
        if fmt is None or chunk_of is None:
            return None
        try:
            chunk = chunk_of(payload)
        except Exception:  # a broken chunk header is for parse to call malformed
            return None
        if chunk is None:
            return None
        group = (fmt.name, chunk.group)
        self._formats[group] = fmt
        found = self._groups.setdefault(group, {}).setdefault(chunk.index, [])
        if all(payload != seen for seen, _ in found):
            found.append((payload, code))
        self._totals.setdefault(group, set()).add(chunk.total)
        return group

    def complete(self, group: Hashable) -> bool:
        totals = self._totals.get(group, set())
        parts = self._groups.get(group, {})
        return len(totals) == 1 and set(parts) == set(range(1, next(iter(totals)) + 1))

    def take(self, group: Hashable) -> Assembled:
        """The joined seal, or what is wrong when it cannot be joined."""
        parts = self._groups.pop(group)
        totals = self._totals.pop(group)
        fmt = self._formats.pop(group)
        first = parts[min(parts)][0]
        payloads = tuple(payload for index in sorted(parts) for payload, _ in parts[index])

        def failed(problem: str) -> Assembled:
            return Assembled(first[0], first[1], payloads, problem)

        if len(totals) != 1:
            return failed(f"its chunks disagree on how many there are ({_list(sorted(totals))})")
        total = next(iter(totals))
        missing = [i for i in range(1, total + 1) if i not in parts]
        extra = sorted(i for i in parts if i < 1 or i > total)
        doubled = sorted(i for i, found in parts.items() if len(found) > 1)
        if missing or extra or doubled:
            said = []
            if missing:
                said.append(f"chunk{'s' if len(missing) > 1 else ''} {_list(missing)} of {total} missing")
            if extra:
                said.append(f"chunk{'s' if len(extra) > 1 else ''} {_list(extra)} beyond the {total} announced")
            if doubled:
                said.append(f"two different chunks numbered {_list(doubled)}")
            return failed("the seal is printed over several codes and cannot be assembled: " + "; ".join(said))
        try:
            joined = fmt.join([parts[i][0][0] for i in range(1, total + 1)])  # type: ignore[attr-defined]
        except ScanverifyError as exc:
            return failed(str(exc))
        return Assembled(joined, first[1], payloads)

    def finish(self) -> dict[Hashable, Assembled]:
        """Every group still open, joined or with what is missing."""
        return {group: self.take(group) for group in list(self._groups)}


def _pages(images: list[ImageSource], names: list[str]) -> tuple[list[ImageSource], list[str]]:
    """Every input, a PDF's or multi-page TIFF's pages each on its own, with their names."""
    import os

    from .decode._documents import Page, input_pages

    pages: list[ImageSource] = []
    page_names: list[str] = []
    for image, name in zip(images, names, strict=True):
        if not isinstance(image, (str, os.PathLike)) or os.fspath(image) == "-":
            pages.append(image)
            page_names.append(name)
            continue
        for _, page in input_pages(image):
            pages.append(page)
            page_names.append(f"{name}#page={page.number}" if isinstance(page, Page) else name)
    return pages, page_names


def _digest(document: DocumentInput | None) -> DocumentHash | None:
    if document is None:
        return None
    from .document import document_hash

    return document_hash(document)


def _document_check(document: DocumentHash | None, sealed: bytes | None) -> DocumentCheck | None:
    if document is None:
        return None
    return DocumentCheck(document.hex, None if sealed is None else document.matches(sealed))


def _list(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers)


def _trust_in_use() -> TrustStore:
    """The installed signed trust list if valid and newer, else the built-in bundle."""
    import warnings

    from .trustlist import active_store

    store, problems = active_store()
    for problem in problems:
        # A library has no stderr of its own: a broken installed list that
        # fell back to the built-in one must still be heard.
        warnings.warn(f"scanverify: {problem}", RuntimeWarning, stacklevel=3)
    return store


def _as_bytes(payload: str | bytes) -> bytes:
    if isinstance(payload, str):
        # Lone surrogates (from a text source that was not UTF-8) become bytes
        # that are not UTF-8, which no text format accepts, rather than an error.
        return payload.encode("utf-8", "surrogatepass")
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return bytes(payload)
    raise UsageError(f"a payload is text or bytes, not {type(payload).__name__}")


def _as_text(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


# ---- times at the edges of datetime's range (issue 9) ----------------------
# Years 1 and 9999 are valid datetimes, but turning year 1 at +05:00 into UTC
# overflows: a clock's reading is refused if it cannot be, and a time (from a
# bundle, a seal) that cannot be is printed in its own offset.
def _checked_time(now: object) -> datetime:
    """The clock's reading, refused unless a time-zone-aware datetime within UTC's years."""
    if not isinstance(now, datetime):
        raise UsageError(f"the verification clock must return a datetime, not {type(now).__name__}")
    try:
        offset = now.utcoffset()
    except Exception as exc:  # a tzinfo of the caller's own that fails
        raise UsageError(f"the verification clock's time zone fails: {exc}") from None
    if offset is None:
        # A naive time would be read in the machine's zone: refuse to guess.
        raise UsageError("the verification clock returned a time without a time zone")
    try:
        if offset:  # at offset zero, UTC is the same time: nothing can overflow
            now.astimezone(UTC)
    except OverflowError:
        raise UsageError(f"the verification clock's time {now.isoformat()} is outside years 1 to 9999 in UTC") from None
    return now


def _fmt(moment: datetime) -> str:
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        return f"{moment.year:04d}-{moment:%m-%d %H:%M:%S} {moment.tzname() or 'UTC'}"
    return f"{utc.year:04d}-{utc:%m-%d %H:%M:%S} UTC"  # %Y does not pad year 1 to four digits


def _raise_unless_genuine(results: Iterable[VerificationResult]) -> list[VerificationResult]:
    results = list(results)
    for result in results:
        if not result.genuine:
            raise SealError(f"{result.source}: {result.verdict_text}: {result.reason}", result)
        if result.document_mismatch:
            raise SealError(f"{result.source}: the document given is not the one this seal was made for", result)
    return results
