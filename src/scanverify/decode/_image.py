"""Reading images from any source into an upright grayscale array, safely.

Memory: an image is converted to 8-bit gray a strip of rows at a time, so
what it costs beyond Pillow's own decoded frame is the 1-byte-per-pixel result
and one strip (benchmarks/memory.py measures it); JPEG photos are decoded
straight to gray. Never a float64 copy of a whole frame.
"""

from __future__ import annotations

import io
import os
import re
import sys
import warnings
from typing import TYPE_CHECKING, Any

from .. import _input_errors as say
from .._files import open_regular
from .._input_errors import refused
from ..errors import UsageError
from . import DEFAULT_MAX_PIXELS

if TYPE_CHECKING:
    import numpy

    from . import ImageSource

#: An image narrower or lower than this holds no 2D code (the smallest, a
#: Data Matrix 8x18 or a Micro QR M1, needs 8 and 11 modules at one pixel
#: each); it is refused with a reason rather than handed to the decoders.
MIN_SIDE = 8
#: zxing-cpp refuses a side longer than this with a ValueError (an 8 x 1,000,000 strip is
#: within the pixel limit): such an image is refused on its header, in one line.
MAX_SIDE = 65_535
#: Pixels converted to gray at a time: bounds the temporary copies.
STRIP_PIXELS = 1 << 20

def open_input(path: str | os.PathLike[str], name: str) -> Any:
    """An input file opened read-only, or ImageError in one line: missing, a directory,
    unreadable, or not a regular file (a FIFO would block the whole batch, a device never ends)."""
    try:
        fd, problem = open_regular(path)
    except FileNotFoundError:
        raise refused(name, say.NO_SUCH_FILE) from None
    except IsADirectoryError:
        raise refused(name, say.IS_A_DIRECTORY) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        raise refused(name, say.CANNOT_OPEN, error=getattr(exc, "strerror", None) or exc) from None
    if problem is not None:
        raise refused(name, say.SPECIAL_FILE, problem=problem)
    return os.fdopen(fd, "rb")


def load_image(source: ImageSource, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> numpy.ndarray:
    """An upright (EXIF-rotated) 8-bit grayscale array from a path, bytes, PIL image or array.

    Arrays are taken as gray (H, W), RGB (H, W, 3) or RGBA (H, W, 4); floats
    in 0..1 are scaled. Raises ImageError for a missing, unreadable, corrupt
    or too-large image; the size is checked on the header, before any pixel
    is decoded. The file is opened read-only and never changed.
    """
    return as_array(load_gray(source, max_pixels=max_pixels))


def as_array(gray: Any) -> numpy.ndarray:
    """The gray image :func:`load_gray` gave, as an array (one copy of a PIL image's bytes)."""
    import numpy as np

    return gray if isinstance(gray, np.ndarray) else np.asarray(gray)


def source_name(source: object) -> str:
    """How an input is named in its errors: its path, or ``<bytes>``, ``<ndarray>`` ..."""
    return os.fspath(source) if isinstance(source, (str, os.PathLike)) else f"<{type(source).__name__}>"


def load_gray(source: ImageSource, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Any:
    """:func:`load_image`, but a file or bytes in a common mode (JPEG, 8-bit gray,
    RGB, palette PNG) comes back as an upright mode-"L" PIL image, made without
    numpy: the first decoding pass reads it as it is, and a command that finds
    its code there never loads numpy (cold start). Anything else is an array.
    """
    from PIL import Image

    if isinstance(max_pixels, bool) or not isinstance(max_pixels, int) or max_pixels <= 0:
        raise UsageError(f"max_pixels must be a positive whole number, not {max_pixels!r}")
    limit = max_pixels
    name = source_name(source)

    from ._documents import Page

    np = sys.modules.get("numpy")  # an array given means numpy is loaded already
    if np is not None and isinstance(source, np.ndarray):
        return _from_array(source, name, limit)
    if isinstance(source, Page):
        # A PDF page or a TIFF frame: rendered (within the limit) only now, where it is decoded.
        page = source.image(limit)
        return _to_gray_image(page, source.source) if _plain_mode(page) else _to_gray(page, source.source, ours=False)
    if isinstance(source, Image.Image):
        image = source
        _check_size(image.size, name, limit)
    else:
        if isinstance(source, (bytes, bytearray, memoryview)):
            stream: Any = io.BytesIO(bytes(source))
        elif isinstance(source, (str, os.PathLike)):
            stream = open_input(source, name)
        else:
            raise refused(None, say.NOT_A_SOURCE, type=type(source).__name__)
        with stream:
            image = _open(stream, name, limit)
            if _plain_mode(image):
                return _to_gray_image(image, name)
            return _to_gray(image, name, ours=True)
    return _to_gray(image, name, ours=False)


#: Modes whose gray is Pillow's convert("L") of the whole image, as it is of each strip:
#: no wide values to stretch, no transparency to composite.
_PLAIN_MODES = frozenset({"L", "RGB", "1", "CMYK", "YCbCr", "P"})
#: EXIF orientation -> the Pillow transposition that turns the stored picture upright.
_TRANSPOSE = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE", 6: "ROTATE_270", 7: "TRANSVERSE", 8: "ROTATE_90"}


def _plain_mode(image: Any) -> bool:
    return image.mode in _PLAIN_MODES and not (image.mode == "P" and "transparency" in image.info)


def _to_gray_image(image: Any, name: str) -> Any:
    """An image of a plain mode as an upright mode-"L" PIL image (see :func:`load_gray`)."""
    from PIL import Image

    try:
        if getattr(image, "format", None) == "JPEG":
            image.draft("L", image.size)  # straight to luma, as in _to_gray
        image.load()
        orientation = _orientation(image)
        gray = image if image.mode == "L" else image.convert("L")
        step = _TRANSPOSE.get(orientation or 1)
        return gray if step is None else gray.transpose(getattr(Image.Transpose, step))
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, KeyError) as exc:
        raise refused(name, say.CORRUPT_DATA, error=exc) from None
    except MemoryError:
        raise refused(name, say.NO_MEMORY) from None


def _open(stream: Any, name: str, limit: int) -> Any:
    from PIL import Image, UnidentifiedImageError

    # Pillow's own bomb check is a warning below 2x its limit; ours is an
    # error at our limit, checked on the header (Image.open reads no pixels).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(stream)
        except UnidentifiedImageError:
            image = _open_other(stream, name)
        except Image.DecompressionBombError as exc:
            # Pillow refuses above twice its own limit, whatever ours is; say
            # whose limit it was, with the size its message gives.
            pixels = re.search(r"\((\d+) pixels\)", str(exc))
            if pixels is None:
                raise refused(name, say.BOMB_UNSIZED, limit=f"{limit / 1e6:g}") from None
            size = f"{int(pixels.group(1)) / 1e6:g}"
            if int(pixels.group(1)) > limit:
                raise refused(name, say.BOMB_ABOVE_OURS, size=size, limit=f"{limit / 1e6:g}") from None
            raise refused(name, say.BOMB_ABOVE_PILLOWS, size=size) from None
        except (OSError, ValueError, SyntaxError) as exc:
            raise refused(name, say.CANNOT_READ, error=exc) from None
    _check_size(image.size, name, limit)
    return image


def _open_other(stream: Any, name: str) -> Any:
    """A HEIC/HEIF photo (an iPhone's), through pillow-heif once it is asked for; or why not."""
    from PIL import Image, UnidentifiedImageError

    from ._documents import heif_opener, looks_like_heif

    stream.seek(0)
    head = stream.read(16)
    if head.startswith(b"%PDF-"):
        raise refused(name, say.A_PDF)
    if not looks_like_heif(head):
        raise refused(name, say.NOT_AN_IMAGE)
    # Registered only when a HEIF file comes: libheif is loaded for nothing else.
    if not heif_opener():
        raise refused(name, say.NEEDS_HEIF)
    stream.seek(0)
    try:
        return Image.open(stream)
    except Image.DecompressionBombError:
        raise refused(name, say.HEIF_BOMB) from None
    except (UnidentifiedImageError, OSError, ValueError, RuntimeError) as exc:
        raise refused(name, say.BAD_HEIF, error=exc) from None


def _check_size(size: tuple[int, int], name: str, limit: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise refused(name, say.NO_PIXELS, width=width, height=height)
    if width * height > limit:
        raise refused(name, say.TOO_LARGE, width=width, height=height, limit=f"{limit / 1e6:g}")
    if width > MAX_SIDE or height > MAX_SIDE:
        raise refused(name, say.TOO_LONG, width=width, height=height, most=f"{MAX_SIDE:,}")
    if width < MIN_SIDE or height < MIN_SIDE:
        raise refused(name, say.TOO_SMALL, width=width, height=height, least=f"{MIN_SIDE}x{MIN_SIDE}")


#: Pillow modes with transparency: composited on white, as every viewer shows them
#: (a QR drawn on a transparent background is black on black otherwise).
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "La", "RGBa"})


def _to_gray(image: Any, name: str, *, ours: bool) -> numpy.ndarray:
    try:
        # An animated GIF, APNG or multi-page TIFF: Image.open stands on its
        # first frame, which is the one read (n_frames is not asked: for a GIF
        # it reads the whole file).
        if ours and getattr(image, "format", None) == "JPEG":
            # Decode a colour JPEG straight to its luma: a third of the memory
            # of RGB, and what convert("L") would compute anyway. (Not on a
            # caller's own image object: draft would change it.)
            image.draft("L", image.size)
        image.load()
        gray = _gray_strips(image)
        # Phones store the picture sideways and say so in EXIF: turn it upright
        # so polygons are where a person sees the code (on the gray copy: a
        # view, then one contiguous copy of one byte per pixel).
        return _upright(gray, _orientation(image))
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, KeyError) as exc:
        # Pillow's plug-ins raise all of these on corrupt or truncated data.
        raise refused(name, say.CORRUPT_DATA, error=exc) from None
    except MemoryError:
        raise refused(name, say.NO_MEMORY) from None


def _gray_strips(image: Any) -> numpy.ndarray:
    """The image as 8-bit gray, converted a strip of rows at a time."""
    import numpy as np

    width, height = image.size
    rows = max(1, STRIP_PIXELS // width)
    gray = np.empty((height, width), dtype=np.uint8)
    mode = image.mode
    wide = mode in ("I", "F") or mode.startswith("I;16")
    transparent = mode in _ALPHA_MODES or (mode == "P" and "transparency" in image.info)
    if wide:
        low, high = _extremes(image, rows)
        scale = 255.0 / ((high - low) or 1.0)
    for top in range(0, height, rows):
        strip = image.crop((0, top, width, min(height, top + rows)))
        if wide:
            # 16-bit and float scans: convert("L") would clip them, so stretch
            # their range to 0..255 (float32, one strip at a time).
            values = np.asarray(strip).astype(np.float32)
            np.subtract(values, low, out=values)
            np.multiply(values, scale, out=values)
            np.nan_to_num(values, copy=False, nan=0.0)
            np.clip(values, 0.0, 255.0, out=values)
            gray[top : top + values.shape[0]] = np.rint(values)
        elif transparent:
            from PIL import Image

            rgba = strip.convert("RGBA")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            gray[top : top + rgba.height] = np.asarray(Image.alpha_composite(white, rgba).convert("L"))
        else:
            gray[top : top + strip.height] = np.asarray(_strip_to_l(strip))
    return gray


def _strip_to_l(strip: Any) -> Any:
    if strip.mode == "L":
        return strip
    try:
        return strip.convert("L")
    except ValueError:
        # A mode Pillow cannot turn into L (LAB): its first channel is lightness.
        return strip.getchannel(0).convert("L")


def _extremes(image: Any, rows: int) -> tuple[float, float]:
    """The lowest and highest finite value of a 16-bit, 32-bit or float image."""
    import numpy as np

    low, high = np.inf, -np.inf
    width, height = image.size
    for top in range(0, height, rows):
        values = np.asarray(image.crop((0, top, width, min(height, top + rows))))
        if values.dtype.kind == "f":
            finite = values[np.isfinite(values)]
            if finite.size == 0:
                continue
            values = finite
        low, high = min(low, float(values.min())), max(high, float(values.max()))
    return (0.0, 0.0) if low > high else (low, high)


#: EXIF orientation -> the numpy steps that turn the stored picture upright
#: (the same as Pillow's exif_transpose: 6 is a quarter turn clockwise).
def _upright(gray: numpy.ndarray, orientation: int | None) -> numpy.ndarray:
    import numpy as np

    turned = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1, :],
        5: lambda a: a.T,
        6: lambda a: np.rot90(a, -1),
        7: lambda a: a.T[::-1, ::-1],
        8: lambda a: np.rot90(a, 1),
    }.get(orientation or 1)
    return np.ascontiguousarray(gray if turned is None else turned(gray))


def _orientation(image: Any) -> int | None:
    try:
        value = image.getexif().get(0x0112)
    except Exception:
        # An unreadable EXIF block is common in edited photos; the pixels are
        # still good, so read them as stored rather than refuse the image.
        return None
    return value if isinstance(value, int) else None


def _from_array(array: numpy.ndarray, name: str, limit: int) -> numpy.ndarray:
    import numpy as np

    if array.dtype.kind not in "biuf":
        # Strings, objects, complex numbers, dates: no pixel values.
        raise refused(name, say.ARRAY_NOT_NUMBERS, dtype=array.dtype)
    if array.ndim not in (2, 3) or array.size == 0:
        raise refused(name, say.ARRAY_SHAPE, shape=array.shape)
    channels = array.shape[2] if array.ndim == 3 else 1
    if channels not in (1, 3, 4):
        raise refused(name, say.ARRAY_CHANNELS, channels=channels)
    _check_size((array.shape[1], array.shape[0]), name, limit)
    if array.ndim == 3 and channels == 1:
        array = array[:, :, 0]
    if array.dtype == np.uint8 and array.ndim == 2:
        return np.ascontiguousarray(array)
    low, scale = _array_range(array)
    height, width = array.shape[:2]
    rows = max(1, STRIP_PIXELS // width)
    gray = np.empty((height, width), dtype=np.uint8)
    # A strip at a time, in float32: never a float64 copy of the whole frame.
    for top in range(0, height, rows):
        values = array[top : top + rows].astype(np.float32)
        if low or scale != 1.0:
            values = (values - low) * scale
        values = np.clip(np.nan_to_num(values, nan=0.0, posinf=255.0, neginf=0.0), 0.0, 255.0)
        if values.ndim == 3:
            if channels == 4:
                alpha = values[:, :, 3:4] / 255.0
                values = values[:, :, :3] * alpha + 255.0 * (1.0 - alpha)
            # ITU-R 601 luma, as Pillow's convert("L") does; arrays are taken as RGB.
            values = values[:, :, :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        gray[top : top + rows] = np.rint(values)
    return gray


def _array_range(array: numpy.ndarray) -> tuple[float, float]:
    """(offset, factor) mapping the array's values to 0..255.

    uint8 as it is; bool False/True to black/white; floats within 0..1 scaled
    by 255; integers within 0..255 as they are, wider ones (16-bit scans)
    stretched from their lowest to their highest value. Other floats are
    clipped to 0..255, as before.
    """
    import numpy as np

    kind = array.dtype.kind
    if array.dtype == np.uint8:
        return 0.0, 1.0
    if kind == "b":
        return 0.0, 255.0
    if kind == "f":
        with np.errstate(invalid="ignore"):
            top = np.nanmax(array) if np.isfinite(array).any() else 0.0
        return (0.0, 255.0) if float(top) <= 1.0 else (0.0, 1.0)
    low, high = int(array.min()), int(array.max())
    if low >= 0 and high <= 255:
        return 0.0, 1.0
    return float(low), 255.0 / ((high - low) or 1)
