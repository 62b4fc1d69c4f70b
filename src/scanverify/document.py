"""The document in hand: its SHA-256, compared with the hash a seal carries (CS1 ``doc.h``).

A genuine seal proves what the issuer sealed; it does not prove that the file
the clerk holds is the document sealed. When a format binds the seal to a
document's hash (:attr:`scanverify.formats.ParsedSeal.document_sha256`), the
verifier compares it with the file given as ``document=`` and says so in
:attr:`scanverify.VerificationResult.document`; the seal's status is left as it
is, and a mismatch is a rejection of its own (exit status 1 on the command line).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from ._files import open_regular
from .errors import UsageError
from .i18n import gettext as _

__all__ = ["DocumentHash", "DocumentInput", "document_hash"]

#: Bytes read at a time: a scanned PDF of hundreds of MB is hashed in bounded memory.
CHUNK = 1 << 20


@dataclass(frozen=True)
class DocumentHash:
    """The SHA-256 of the document in hand, made once and compared with every seal."""

    sha256: bytes

    @property
    def hex(self) -> str:
        return self.sha256.hex()

    def matches(self, sealed: bytes) -> bool:
        # Constant time: nothing to hide here (both hashes are public), but it
        # costs nothing and keeps every comparison of digests alike.
        return hmac.compare_digest(self.sha256, sealed)


DocumentInput = str | os.PathLike[str] | bytes | DocumentHash
"""A document given to the verifier: a path, its content, or its hash already made."""


def document_hash(document: DocumentInput) -> DocumentHash:
    """The SHA-256 of a file (streamed), of bytes, or the hash given.

    Raises UsageError for a file that cannot be read, or that is a FIFO, a
    device or a directory (a FIFO would block, a device never ends).
    """
    if isinstance(document, DocumentHash):
        return document
    if isinstance(document, (bytes, bytearray, memoryview)):
        return DocumentHash(hashlib.sha256(bytes(document)).digest())
    if not isinstance(document, (str, os.PathLike)):
        raise UsageError(_("a document is a path, bytes or a DocumentHash, not {type}").format(type=type(document).__name__))
    name = os.fspath(document)
    try:
        fd, problem = open_regular(document)
    except FileNotFoundError:
        raise UsageError(_("document {path}: no such file").format(path=name)) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        raise UsageError(
            _("document {path}: cannot open ({error})").format(path=name, error=getattr(exc, "strerror", None) or exc)
        ) from None
    if problem is not None:
        raise UsageError(_("document {path}: {problem}; refused").format(path=name, problem=problem))
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "rb") as file:
            while chunk := file.read(CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise UsageError(_("document {path}: cannot read ({error})").format(path=name, error=exc.strerror or exc)) from None
    return DocumentHash(digest.digest())
