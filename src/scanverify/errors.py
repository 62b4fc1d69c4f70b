"""The one error hierarchy of scanverify.

Every error the library raises on purpose is a :class:`ScanverifyError`; each
carries a message a person can act on, in one line, so the command line can
print it as it is.
"""

from __future__ import annotations

__all__ = [
    "ImageError",
    "RegistryError",
    "ScanverifyError",
    "SealError",
    "TrustError",
    "UsageError",
]


class ScanverifyError(Exception):
    """Base class of every error scanverify raises on purpose."""

    def diagnostics(self) -> str:
        """The message, as one line a user can act on."""
        return " ".join(str(self).split()) or type(self).__name__


class ImageError(ScanverifyError):
    """An image could not be read: missing, unreadable, corrupt or too large."""


class TrustError(ScanverifyError):
    """Trust material (bundle, PEM, certificate) could not be loaded or is invalid."""


class RegistryError(ScanverifyError):
    """The registry of issued seals refused or could not do something (gone, read-only, a number signed twice)."""


class UsageError(ScanverifyError, ValueError):
    """A caller passed an option or argument that cannot be used."""


class SealError(ScanverifyError):
    """Raised by the raising verification calls when a seal is not genuine.

    ``result`` holds the full verdict.
    """

    def __init__(self, message: str, result: object) -> None:
        super().__init__(message)
        self.result = result
