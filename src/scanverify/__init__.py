"""scanverify: find the 2D codes in a photo and verify the signed seals they carry, offline.

>>> import scanverify
>>> verifier = scanverify.Verifier()                # built-in trust bundle, clock = now
>>> for result in verifier.verify_image("photo.jpg"):  # doctest: +SKIP
...     print(result.status.value, result.reason)
genuine signature verified: sealed by ...

``Verifier.check_image`` / ``check_payload`` raise :class:`SealError` instead
of returning a verdict that is not genuine. Issuer tools live in
:mod:`scanverify.issuer`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from .errors import ImageError, ScanverifyError, SealError, TrustError, UsageError
from .model import Cause, Fact, Finding, Role, Status, TrustedKey, VerificationResult
from .trust import TrustStore
from .verifier import FixedClock, Verifier

if TYPE_CHECKING:
    from .decode import ImageSource

# The one version source: pyproject.toml reads it from here (dynamic version), and the
# package metadata says the same. A literal, so `import scanverify` stays light.
__version__ = "0.1.0"

__all__ = [
    "Cause",
    "Fact",
    "Finding",
    "FixedClock",
    "ImageError",
    "Role",
    "ScanverifyError",
    "SealError",
    "Status",
    "TrustError",
    "TrustStore",
    "TrustedKey",
    "UsageError",
    "VerificationResult",
    "Verifier",
    "__version__",
    "live",
    "verify_image",
    "verify_payload",
]


def _verifier(trust: TrustStore | None, at: datetime | None) -> Verifier:
    verifier = Verifier() if trust is None else Verifier(trust=trust)
    if at is not None:
        verifier.clock = FixedClock(at)
    return verifier


def verify_image(
    image: ImageSource, *, trust: TrustStore | None = None, at: datetime | None = None
) -> list[VerificationResult]:
    """Verify every code in an image (path, bytes, PIL image or numpy array)."""
    return _verifier(trust, at).verify_image(image)


def verify_payload(
    payload: str | bytes, *, trust: TrustStore | None = None, at: datetime | None = None
) -> VerificationResult:
    """Verify one code's payload, e.g. the text a handheld scanner typed."""
    return _verifier(trust, at).verify_payload(payload)


def __getattr__(name: str) -> Any:
    # Live scanning pulls in OpenCV; load it only when asked for.
    if name == "live":
        from .livescan import live

        return live
    raise AttributeError(f"module 'scanverify' has no attribute {name!r}")
