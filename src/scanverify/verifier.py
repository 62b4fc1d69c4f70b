"""The verification steps, in seal-format.md section 6's order, and the Verifier."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .errors import SealError, UsageError
from .formats import MalformedSeal, ParsedSeal, find_format
from .model import STALE_TRUST, Status, TrustedKey, VerificationResult
from .trust import TrustStore

if TYPE_CHECKING:
    from .decode import DecodedCode, Effort, ImageSource

__all__ = ["Clock", "Verifier"]

Clock = Callable[[], datetime]
#: A seal signed up to this far in the verifier's future is accepted (clock skew).
CLOCK_SKEW = timedelta(seconds=300)


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Verdict:
    status: Status
    reason: str
    key: TrustedKey | None = None


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
    def verify_payload(self, payload: str | bytes, *, source: str = "<text>") -> VerificationResult:
        """The verdict on one code's payload (its text, or its raw bytes)."""
        return self._verify(payload, source=source, code=None, at=self._now())

    def verify_image(self, image: ImageSource, *, source: str | None = None) -> list[VerificationResult]:
        """A verdict for every code found in an image; one ``no_code`` result if none.

        Raises :class:`~scanverify.errors.ImageError` when the image cannot be read.
        """
        from .decode import decode_image

        name = source if source is not None else _source_name(image)
        return self.verify_codes(decode_image(image, effort=self._effort()), source=name)

    def verify_codes(self, codes: Iterable[DecodedCode], *, source: str) -> list[VerificationResult]:
        """Verdicts for codes already decoded (by :func:`scanverify.decode.decode_image`)."""
        at = self._now()
        codes = list(codes)
        if not codes:
            return [VerificationResult(Status.NO_CODE, "no QR or other 2D code was found in the image", source, at)]
        return [self._verify(code.payload, source=source, code=code, at=at) for code in codes]

    def check_payload(self, payload: str | bytes) -> VerificationResult:
        """Like verify_payload, but raise SealError unless the seal is genuine."""
        return _raise_unless_genuine([self.verify_payload(payload)])[0]

    def check_image(self, image: ImageSource) -> list[VerificationResult]:
        """Like verify_image, but raise SealError unless it holds seals and all are genuine."""
        return _raise_unless_genuine(self.verify_image(image))

    # ---- the steps ------------------------------------------------------
    def _now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            # A naive time would be read in the machine's zone: refuse to guess.
            raise UsageError("the verification clock returned a time without a time zone")
        return now

    def _effort(self) -> Effort:
        if self.effort not in ("fast", "normal", "thorough"):
            raise UsageError(f"effort must be fast, normal or thorough, not {self.effort!r}")
        return self.effort  # type: ignore[return-value]

    def _verify(
        self, payload: str | bytes, *, source: str, code: DecodedCode | None, at: datetime
    ) -> VerificationResult:
        text = _as_text(payload)
        fmt = find_format(text) if text is not None else None
        if text is None or fmt is None:
            shown = text if text is None or len(text) <= 80 else text[:77] + "..."
            reason = "the code holds no seal (no known prefix)" + (f": {shown}" if shown else "")
            return VerificationResult(Status.NOT_A_SEAL, reason, source, at, payload=text, code=code)
        # The store's own warnings (a fallback from an unusable installed list)
        # go with every verdict: a clerk must not miss that trust is degraded.
        warnings: tuple[str, ...] = self.trust.warnings
        if self.trust.stale_at(at):
            # An out-of-date list may still trust a key revoked since: say so
            # with every verdict rather than stay silent.
            assert self.trust.expires is not None
            warnings = (f"{STALE_TRUST} (expired {_fmt(self.trust.expires)}); update it", *warnings)
        common: dict[str, Any] = {"format": fmt.name, "payload": text, "code": code, "warnings": warnings}
        try:
            seal = fmt.parse(text)
        except MalformedSeal as exc:
            reason = f"malformed {fmt.name} seal: {exc}"
            return VerificationResult(Status.MALFORMED, reason, source, at, kid=exc.kid, **common)
        verdict = self._judge(seal, at, fmt.key_policy)
        return VerificationResult(
            verdict.status,
            verdict.reason,
            source,
            at,
            kid=seal.kid,
            key=verdict.key,
            claims=seal.claims,
            record=seal.record,
            facts=seal.facts,
            **common,
        )

    def _judge(
        self,
        seal: ParsedSeal,
        at: datetime,
        key_policy: Callable[[ParsedSeal, TrustedKey], tuple[Status, str] | None],
    ) -> _Verdict:
        named = self.trust.candidates(seal.kid)
        if not named:
            return _Verdict(
                Status.UNTRUSTED, f"no trusted issuer key has the seal's kid {seal.kid.hex()}: the issuer is unknown"
            )
        # A key may only sign for its own state; a key of CN signing an FR seal
        # is not trusted for that seal.
        allowed = [k for k in named if k.iss is None or seal.issuer_state is None or k.iss == seal.issuer_state]
        if not allowed:
            states = ", ".join(sorted({k.iss or "" for k in named}))
            return _Verdict(
                Status.UNTRUSTED,
                f"the key with kid {seal.kid.hex()} is trusted only for seals of {states}, "
                f"but the seal claims to be from {seal.issuer_state}",
                named[0],
            )
        key = next((k for k in allowed if _signature_ok(seal, k)), None)
        if key is None:
            return _Verdict(
                Status.FORGED,
                "signature does not match: the seal was altered or not made by this issuer",
                allowed[0],
            )
        name = key.name or f"key {seal.kid.hex()}"
        # A format's own rule on the key is judged where its status ranks in
        # section 6: "not trusted for this" right after the signature, a time
        # rule (a certificate's validity) with the other time rules.
        policy = key_policy(seal, key)
        if policy is not None and policy[0] in (Status.UNTRUSTED, Status.FORGED):
            return _Verdict(policy[0], policy[1], key)
        if self.trust.is_revoked_key(key):
            return _Verdict(
                Status.REVOKED, f"the issuer key '{name}' has been revoked (compromised); its seals are void", key
            )
        if seal.revocation_id is not None and seal.revocation_id in self.trust.revoked_seals:
            return _Verdict(Status.REVOKED, f"this seal ({seal.revocation_id}) has been revoked by its issuer", key)
        if seal.issued_at > at + CLOCK_SKEW:
            return _Verdict(
                Status.NOT_YET_VALID,
                f"the seal was signed at {_fmt(seal.issued_at)}, after the time of checking ({_fmt(at)})",
                key,
            )
        if key.not_before is not None and seal.issued_at < key.not_before:
            return _Verdict(
                Status.NOT_YET_VALID,
                f"the seal was signed at {_fmt(seal.issued_at)}, "
                f"before its key was valid (from {_fmt(key.not_before)})",
                key,
            )
        if seal.expires_at is not None and seal.expires_at < at:
            return _Verdict(Status.EXPIRED, f"the seal expired at {_fmt(seal.expires_at)}", key)
        if key.not_after is not None and seal.issued_at > key.not_after:
            return _Verdict(
                Status.EXPIRED,
                f"the seal was signed at {_fmt(seal.issued_at)}, after its key was retired ({_fmt(key.not_after)})",
                key,
            )
        if policy is not None:
            return _Verdict(policy[0], policy[1], key)
        specimen = " — SPECIMEN key: a test issuer, not a real document" if key.specimen else ""
        return _Verdict(Status.GENUINE, f"signature verified: sealed by {name}{specimen}", key)


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


def _signature_ok(seal: ParsedSeal, key: TrustedKey) -> bool:
    # The seal's alg must be the key's own: an alg that does not fit the key's
    # type or curve (or the alg pinned in the bundle) never verifies.
    if key.alg is not None and key.alg != seal.algorithm.name:
        return False
    return seal.algorithm.verify(key.public_key, seal.to_be_signed, seal.signature)


def _as_text(payload: str | bytes) -> str | None:
    if isinstance(payload, str):
        return payload
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _source_name(image: object) -> str:
    import os

    if isinstance(image, (str, os.PathLike)):
        return os.fspath(image)
    return f"<{type(image).__name__}>"


def _raise_unless_genuine(results: Iterable[VerificationResult]) -> list[VerificationResult]:
    results = list(results)
    for result in results:
        if not result.genuine:
            raise SealError(f"{result.source}: {result.verdict_text}: {result.reason}", result)
    return results
