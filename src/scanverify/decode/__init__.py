"""Find and decode every 2D code in an image, keeping each payload's bytes exact.

>>> from scanverify.decode import decode_image
>>> [code.text for code in decode_image("photo.jpg")]   # doctest: +SKIP
['CS1:6BF...']

Decoders are plug-ins (:class:`Decoder`): zxing-cpp, pyzbar and OpenCV are
built in, others register under the entry-point group ``scanverify.decoders``.
A decoder whose library is missing is reported by :func:`decoder_info` and
skipped, never fatal.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, TypeAlias, Union, runtime_checkable

if TYPE_CHECKING:
    import numpy
    import PIL.Image

    from ._documents import Page

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DecodedCode",
    "DecodedCodes",
    "Decoder",
    "DecoderInfo",
    "Effort",
    "ImageSource",
    "decode_image",
    "decoder_info",
    "load_image",
]

Effort = Literal["fast", "normal", "thorough"]
#: Larger images are refused from their header, before any pixel is decoded
#: (decompression bombs). 120 MP is above any phone camera's full resolution.
DEFAULT_MAX_PIXELS = 120_000_000

ImageSource: TypeAlias = Union[str, "os.PathLike[str]", bytes, "PIL.Image.Image", "numpy.ndarray", "Page"]
"""What an image can be given as: a path, encoded bytes, a PIL image, a numpy array, or a
page of a PDF or multi-page TIFF (:class:`scanverify.decode._documents.Page`)."""


@dataclass(frozen=True)
class DecodedCode:
    """One code found in an image."""

    payload: bytes
    """The exact bytes the decoder's error correction accepted; never re-encoded text."""
    symbology: str
    """'QRCode', 'MicroQRCode', 'DataMatrix', 'Aztec' or 'PDF417'."""
    polygon: tuple[tuple[float, float], ...]
    """Corner points in the upright image (after EXIF orientation), in its pixels."""
    decoder: str
    """Which decoder found it: 'zxing-cpp', 'pyzbar', 'opencv'."""
    text_hint: str | None = None
    """The payload as text in the character set the symbol declares (its ECI) or its
    decoder recognised (Shift-JIS, ISO-8859-1), when the decoder read it as text: for
    showing a code that is not a seal. Never what a seal is verified over (``payload``)."""

    @property
    def text(self) -> str | None:
        """The payload as strict UTF-8, or None when it is not text."""
        try:
            return self.payload.decode("utf-8")
        except UnicodeDecodeError:
            return None


class DecodedCodes(list[DecodedCode]):
    """The codes :func:`decode_image` found: a list, which also says how many symbols
    it saw but could not read (``unread``), so that "no code" can say a code was there."""

    def __init__(self, codes: Iterable[DecodedCode] = (), *, unread: int = 0) -> None:
        super().__init__(codes)
        self.unread = unread


@dataclass(frozen=True)
class DecoderInfo:
    """What ``scanverify doctor`` says about one decoder."""

    name: str
    available: bool
    version: str | None
    detail: str
    """Why a decoder is unavailable, in words that say how to fix it ('' when available)."""


@runtime_checkable
class Decoder(Protocol):
    """A decoding back end, built in or registered under ``scanverify.decoders``.

    The entry point names a class (called with no arguments) or an instance.
    ``decode`` gets an upright 8-bit grayscale array and returns only codes
    whose error correction succeeded, with their exact bytes and polygons in
    that array's pixels. A decoder may also have ``detail() -> str`` saying
    why it is unavailable.
    """

    name: str

    def available(self) -> bool: ...

    def version(self) -> str | None: ...

    def decode(self, gray: numpy.ndarray) -> list[DecodedCode]: ...


from ._engine import decode_image, decoder_info  # noqa: E402
from ._image import load_image  # noqa: E402
