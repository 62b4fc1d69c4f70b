"""Inputs that are more than one picture: a PDF's pages, a multi-page TIFF's frames.

:func:`input_pages` turns one input into the pictures to decode, each with
the source name its verdicts carry (``scan.pdf#page=2``); :func:`expand_inputs`
walks the directories of a run and says which files it skipped and why. A :class:`Page` is a small, picklable reference
(path and page number): it is rendered where it is decoded, so a batch's
worker processes render their own pages and a 300-page PDF is never held in
memory at once. HEIC/HEIF photos are single pictures, read by Pillow once the
pillow-heif opener is registered (see :func:`heif_opener`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .. import _input_errors as say
from .._files import open_regular, special_file_problem
from .._input_errors import refused
from ..errors import ImageError
from ..i18n import N_
from . import DEFAULT_MAX_PIXELS

if TYPE_CHECKING:
    from . import ImageSource

__all__ = [
    "DOCUMENT_SUFFIXES",
    "HEIF_SUFFIXES",
    "IMAGE_SUFFIXES",
    "PDF_DPI",
    "Expansion",
    "Page",
    "expand_inputs",
    "heif_opener",
    "input_pages",
    "looks_like_heif",
]

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".pbm"})
HEIF_SUFFIXES = frozenset({".heic", ".heif", ".hif"})
DOCUMENT_SUFFIXES = frozenset({".pdf"})
#: Why a file in a directory was skipped: English sentences that are also catalogue entries,
#: shown translated (``_(why)``) where a person reads them.
NOT_REGULAR = N_("is not a regular file")
NOT_AN_INPUT = N_("not an image, HEIC or PDF file (by its name)")
#: What a directory run takes: everything else in it is listed as skipped.
INPUT_SUFFIXES = IMAGE_SUFFIXES | HEIF_SUFFIXES | DOCUMENT_SUFFIXES
#: PDF pages are rendered at this resolution: a seal printed 2 cm wide with
#: 57 modules (a large CS1 QR) gets about 4 pixels a module, which the decoders
#: read; more only costs time and memory.
PDF_DPI = 300
#: A rendered page is at most this many pixels (a poster-size page gets fewer dots
#: per inch), and never more than the caller's pixel limit.
PAGE_PIXELS = 40_000_000
#: A PDF or TIFF with more pages than this is read up to here; the rest is reported.
MAX_PAGES = 1000
#: The brands of an ISO-BMFF ``ftyp`` box that are HEIF still images.
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif"})


@dataclass(frozen=True)
class Page:
    """Page `number` (from 1) of the PDF or multi-page TIFF at `path`, rendered when decoded."""

    path: str
    number: int
    kind: Literal["pdf", "tiff"]

    @property
    def source(self) -> str:
        return f"{self.path}#page={self.number}"

    def image(self, max_pixels: int = DEFAULT_MAX_PIXELS) -> Any:
        """The page as a loaded PIL image (mode L for a PDF). Raises ImageError."""
        if self.kind == "pdf":
            return _render_pdf_page(self.path, self.number, max_pixels)
        return _tiff_frame(self.path, self.number, max_pixels)


@dataclass(frozen=True)
class Expansion:
    """The pictures of a run's inputs, and what a directory held that is not one."""

    files: list[str] = field(default_factory=list)
    """The files to read, in order (a PDF's pages are split later, by :func:`input_pages`)."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(file, why it was not read) for the files of directories that were left out."""
    empty: list[str] = field(default_factory=list)
    """Directories in which no image, PDF or HEIC file was found at all."""


def expand_inputs(paths: Iterable[str]) -> Expansion:
    """Files as given; directories walked in name order for image, HEIC and PDF files,
    listing the files left out and why."""
    found = Expansion()
    for given in paths:
        path = Path(given)
        if given == "-" or not path.is_dir():
            found.files.append(given)
            continue
        taken = 0
        for item in sorted(path.rglob("*")):
            if item.is_dir():
                continue
            name = str(item)
            problem = special_file_problem(item)
            if problem is not None or not item.is_file():
                # A FIFO or device in a directory would block or never end: left out, and said.
                found.skipped.append((name, problem or NOT_REGULAR))
            elif item.suffix.lower() not in INPUT_SUFFIXES:
                found.skipped.append((name, NOT_AN_INPUT))
            else:
                taken += 1
                found.files.append(name)
        if not taken:
            found.empty.append(given)
    return found


def input_pages(path: str | os.PathLike[str]) -> list[tuple[str, ImageSource]]:
    """The pictures in one input file with their source names: a PDF's or a multi-page
    TIFF's pages as :class:`Page` references, anything else as the path itself.

    A file whose pages cannot be counted (corrupt, encrypted) is one input: decoding
    it says what is wrong, on its own row.
    """
    name = os.fspath(path)
    if name == "-":
        return [("<stdin>", name)]
    kind = _kind(name)
    if kind is None:
        return [(name, name)]
    try:
        count = _pdf_page_count(name) if kind == "pdf" else _tiff_frame_count(name)
    except ImageError:
        return [(name, Page(name, 1, kind))]
    if count == 1 and kind == "tiff":
        return [(name, name)]
    pages: list[tuple[str, ImageSource]] = []
    for number in range(1, min(count, MAX_PAGES) + 1):
        page = Page(name, number, kind)
        pages.append((page.source, page))
    return pages


def _kind(name: str) -> Literal["pdf", "tiff"] | None:
    suffix = Path(name).suffix.lower()
    if suffix in (".tif", ".tiff"):
        return "tiff"
    if suffix == ".pdf":
        return "pdf"
    try:
        fd, problem = open_regular(name)
    except (OSError, ValueError):
        return None
    if problem is not None:
        return None
    with os.fdopen(fd, "rb") as file:
        head = file.read(5)
    return "pdf" if head == b"%PDF-" else None


# ---------------------------------------------------------------- PDF
def _open_pdf(name: str) -> Any:
    try:
        import pypdfium2
    except ImportError:
        raise refused(name, say.NEEDS_PDFIUM) from None
    from ._image import open_input

    # PDFium (Chrome's PDF engine, fuzzed continuously) parses the untrusted file;
    # in a batch it runs in a decoding worker process, so a crash costs one input.
    # The descriptor is the one checked when opened: a name swapped for a FIFO since is not read.
    file = open_input(name, name)
    try:
        return pypdfium2.PdfDocument(file, autoclose=True)
    except pypdfium2.PdfiumError as exc:
        file.close()
        words = str(exc)
        if "password" in words.lower():
            raise refused(name, say.PDF_ENCRYPTED) from None
        raise refused(name, say.BAD_PDF, error=words) from None


def _pdf_page_count(name: str) -> int:
    pdf = _open_pdf(name)
    try:
        return len(pdf)
    finally:
        pdf.close()


def page_scale(width_pt: float, height_pt: float, max_pixels: int) -> float:
    """Pixels per PDF point: PDF_DPI, or less to keep the page within the pixel limits."""
    scale = PDF_DPI / 72
    area = max(width_pt, 1.0) * max(height_pt, 1.0)
    limit = min(max_pixels, PAGE_PIXELS)
    if area * scale * scale > limit:
        scale = math.sqrt(limit / area) * 0.999
    return scale


def _render_pdf_page(name: str, number: int, max_pixels: int) -> Any:
    import pypdfium2

    pdf = _open_pdf(name)
    try:
        if not 1 <= number <= len(pdf):
            raise refused(name, say.NO_SUCH_PAGE, number=number)
        page = pdf[number - 1]
        try:
            width, height = page.get_size()
            scale = page_scale(width, height, max_pixels)
            bitmap = page.render(scale=scale, grayscale=True)
            return bitmap.to_pil().convert("L")
        except pypdfium2.PdfiumError as exc:
            raise refused(name, say.PAGE_NOT_RENDERED, number=number, error=exc) from None
        finally:
            page.close()
    finally:
        pdf.close()


# ---------------------------------------------------------------- TIFF
def _open_tiff(name: str, max_pixels: int) -> Any:
    from ._image import _open, open_input

    file = open_input(name, name)
    try:
        return file, _open(file, name, max_pixels)
    except BaseException:
        file.close()
        raise


def _tiff_frame_count(name: str) -> int:
    file, image = _open_tiff(name, DEFAULT_MAX_PIXELS)
    with file:
        try:
            return max(1, int(getattr(image, "n_frames", 1)))
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise refused(name, say.CORRUPT_FRAMES, error=exc) from None


def _tiff_frame(name: str, number: int, max_pixels: int) -> Any:
    from ._image import _check_size

    file, image = _open_tiff(name, max_pixels)
    with file:
        try:
            image.seek(number - 1)
            # Every frame has its own size: each is held to the limit, not only the first.
            _check_size(image.size, f"{name}#page={number}", max_pixels)
            image.load()
            return image.copy()
        except EOFError:
            raise refused(name, say.NO_SUCH_PAGE, number=number) from None
        except (OSError, ValueError, SyntaxError) as exc:
            raise refused(name, say.CORRUPT_PAGE, number=number, error=exc) from None


# ---------------------------------------------------------------- HEIF
def looks_like_heif(head: bytes) -> bool:
    """True when the first bytes of a file are an ISO-BMFF ftyp box of a HEIF still image."""
    return len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS


def heif_opener() -> bool:
    """Register the HEIC/HEIF reader with Pillow (pillow-heif, or its decoder-only
    twin pi-heif); False when neither is installed."""
    for module in ("pillow_heif", "pi_heif"):
        try:
            plugin = __import__(module)
        except ImportError:
            continue
        plugin.register_heif_opener()
        return True
    return False
