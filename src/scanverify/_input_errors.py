"""Why an input cannot be read: the sentences of every ImageError that decode/_image.py and
decode/_documents.py raise, as catalogue messages with named placeholders.

An ImageError's message is English, ``NAME: sentence`` (``photo.jpg: no such file``), as
every result's reason is: a batch keeps it as the ``error`` row's reason, which ``--json``
and the API carry, stable, and callers match on it. It is therefore made in English
whatever the language in use, not with ``_()`` where it is raised: a message translated
there would put Chinese into the JSON of a zh_CN machine (and of one worker process but
not another), and the row would no longer lose its ``NAME: `` prefix (the Chinese colon
is another character). A person reads it in their language through
:func:`scanverify.reasons.reason_text`, which finds the sentence here and translates it,
the values (file name, sizes, an exception's text) kept as data (docs/translating.md).

Importing this module costs nothing: the photo path imports it on every run.
"""

from __future__ import annotations

from typing import Final

from .errors import ImageError
from .i18n import N_

__all__ = ["MESSAGES", "NAMED", "refused"]

#: How a sentence names its input (the name is data: never translated).
NAMED: Final = N_("{path}: {problem}")

# ---------------------------------------------------------------- opening a file
NO_SUCH_FILE: Final = N_("no such file")
IS_A_DIRECTORY: Final = N_("is a directory, not an image")
CANNOT_OPEN: Final = N_("cannot open ({error})")
#: {problem}: one of _files.PROBLEMS (a FIFO, a device ...), itself a catalogue message.
SPECIAL_FILE: Final = N_("{problem}; refused")
NOT_A_SOURCE: Final = N_("cannot read an image from a {type}")

# ---------------------------------------------------------------- reading an image
CORRUPT_DATA: Final = N_("the image data is corrupt or truncated ({error})")
NO_MEMORY: Final = N_("not enough memory to decode this image")
CANNOT_READ: Final = N_("cannot read the image ({error})")
A_PDF: Final = N_("a PDF document; give it as a file, whose pages are read one by one")
NOT_AN_IMAGE: Final = N_("not an image file (cannot identify the image format)")
NEEDS_HEIF: Final = N_("a HEIC/HEIF photo; reading it needs pillow-heif (pip install 'scanverify[heic]')")
BAD_HEIF: Final = N_("a HEIC/HEIF file that cannot be read ({error})")

# ---------------------------------------------------------------- its size
BOMB_ABOVE_OURS: Final = N_("image is {size} megapixels, above the limit of {limit} megapixels")
BOMB_ABOVE_PILLOWS: Final = N_("image is {size} megapixels, above Pillow's decompression-bomb limit (Image.MAX_IMAGE_PIXELS)")
BOMB_UNSIZED: Final = N_("image is too large, above the limit of {limit} megapixels")
HEIF_BOMB: Final = N_("image is above Pillow's decompression-bomb limit (Image.MAX_IMAGE_PIXELS)")
NO_PIXELS: Final = N_("image has no pixels ({width}x{height})")
TOO_LARGE: Final = N_("image is {width}x{height} pixels, above the limit of {limit} megapixels")
TOO_LONG: Final = N_("image is {width}x{height} pixels, longer than {most} pixels on one side")
#: {count}: a whole number. A texture made of finder patterns costs zxing-cpp time quadratic in their number.
FINDER_TEXTURE: Final = N_("image holds about {count} QR finder-like patterns, a texture that would take the decoders minutes; refused")
#: {least}: the smallest side, as WxH ("8x8").
TOO_SMALL: Final = N_("image is {width}x{height} pixels, too small to hold a 2D code (at least {least})")

# ---------------------------------------------------------------- arrays (the library's callers)
ARRAY_NOT_NUMBERS: Final = N_("an image array must hold numbers (bool, integer or float), not {dtype}")
ARRAY_SHAPE: Final = N_("an image array must be 2-D (gray) or 3-D (colour), not shape {shape}")
ARRAY_CHANNELS: Final = N_("an image array needs 1, 3 or 4 channels, not {channels}")

# ---------------------------------------------------------------- PDFs and multi-page TIFFs
NEEDS_PDFIUM: Final = N_("a PDF; reading PDFs needs pypdfium2 (pip install pypdfium2)")
PDF_ENCRYPTED: Final = N_("the PDF is encrypted (it needs a password); refused")
BAD_PDF: Final = N_("not a PDF that can be read ({error})")
NO_SUCH_PAGE: Final = N_("has no page {number}")
PAGE_NOT_RENDERED: Final = N_("page {number} cannot be rendered ({error})")
CORRUPT_FRAMES: Final = N_("the image data is corrupt ({error})")
CORRUPT_PAGE: Final = N_("page {number} is corrupt or truncated ({error})")

#: Every sentence above: what reasons.reason_text matches an input's error against.
MESSAGES: Final[tuple[str, ...]] = (
    NO_SUCH_FILE,
    IS_A_DIRECTORY,
    CANNOT_OPEN,
    SPECIAL_FILE,
    NOT_A_SOURCE,
    CORRUPT_DATA,
    NO_MEMORY,
    CANNOT_READ,
    A_PDF,
    NOT_AN_IMAGE,
    NEEDS_HEIF,
    BAD_HEIF,
    BOMB_ABOVE_OURS,
    BOMB_ABOVE_PILLOWS,
    BOMB_UNSIZED,
    HEIF_BOMB,
    NO_PIXELS,
    TOO_LARGE,
    TOO_SMALL,
    FINDER_TEXTURE,
    TOO_LONG,
    ARRAY_NOT_NUMBERS,
    ARRAY_SHAPE,
    ARRAY_CHANNELS,
    NEEDS_PDFIUM,
    PDF_ENCRYPTED,
    BAD_PDF,
    NO_SUCH_PAGE,
    PAGE_NOT_RENDERED,
    CORRUPT_FRAMES,
    CORRUPT_PAGE,
)


def refused(name: str | None, message: str, **values: object) -> ImageError:
    """The ImageError saying ``message`` (one of MESSAGES) about input ``name`` (None: no input
    named), with its values: English, as a reason is (see the module's docstring)."""
    sentence = message.format(**values)
    return ImageError(sentence if name is None else NAMED.format(path=name, problem=sentence))
