"""Reading images from any source into an upright grayscale array, safely."""

from __future__ import annotations

import io
import os
import re
import warnings
from typing import TYPE_CHECKING, Any

from ..errors import ImageError, UsageError
from . import DEFAULT_MAX_PIXELS

if TYPE_CHECKING:
    import numpy

    from . import ImageSource


def load_image(source: ImageSource, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> numpy.ndarray:
    """An upright (EXIF-rotated) 8-bit grayscale array from a path, bytes, PIL image or array.

    Arrays are taken as gray (H, W), RGB (H, W, 3) or RGBA (H, W, 4); floats
    in 0..1 are scaled. Raises ImageError for a missing, unreadable, corrupt
    or too-large image; the size is checked on the header, before any pixel
    is decoded. The file is opened read-only and never changed.
    """
    import numpy as np
    from PIL import Image

    if isinstance(max_pixels, bool) or not isinstance(max_pixels, int) or max_pixels <= 0:
        raise UsageError(f"max_pixels must be a positive whole number, not {max_pixels!r}")
    limit = max_pixels
    name = os.fspath(source) if isinstance(source, (str, os.PathLike)) else f"<{type(source).__name__}>"

    if isinstance(source, np.ndarray):
        return _from_array(source, name, limit)
    if isinstance(source, Image.Image):
        image = source
        _check_size(image.size, name, limit)
    else:
        if isinstance(source, (bytes, bytearray, memoryview)):
            stream: Any = io.BytesIO(bytes(source))
        elif isinstance(source, (str, os.PathLike)):
            try:
                stream = open(os.fspath(source), "rb")  # noqa: SIM115 - closed below
            except FileNotFoundError:
                raise ImageError(f"{name}: no such file") from None
            except IsADirectoryError:
                raise ImageError(f"{name}: is a directory, not an image") from None
            except OSError as exc:
                raise ImageError(f"{name}: cannot open ({exc.strerror or exc})") from None
        else:
            raise ImageError(f"cannot read an image from a {type(source).__name__}")
        with stream:
            image = _open(stream, name, limit)
            return _to_gray(image, name)
    return _to_gray(image, name)


def _open(stream: Any, name: str, limit: int) -> Any:
    from PIL import Image, UnidentifiedImageError

    # Pillow's own bomb check is a warning below 2x its limit; ours is an
    # error at our limit, checked on the header (Image.open reads no pixels).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(stream)
        except UnidentifiedImageError:
            raise ImageError(f"{name}: not an image file (cannot identify the image format)") from None
        except Image.DecompressionBombError as exc:
            # Pillow refuses above twice its own limit, whatever ours is; say
            # whose limit it was, with the size its message gives.
            pixels = re.search(r"\((\d+) pixels\)", str(exc))
            size = f"{int(pixels.group(1)) / 1e6:g} megapixels" if pixels else "too large"
            whose = (
                f"the limit of {limit / 1e6:g} megapixels"
                if not pixels or int(pixels.group(1)) > limit
                else "Pillow's decompression-bomb limit (Image.MAX_IMAGE_PIXELS)"
            )
            raise ImageError(f"{name}: image is {size}, above {whose}") from None
        except (OSError, ValueError, SyntaxError) as exc:
            raise ImageError(f"{name}: cannot read the image ({exc})") from None
    _check_size(image.size, name, limit)
    return image


def _check_size(size: tuple[int, int], name: str, limit: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise ImageError(f"{name}: image has no pixels ({width}x{height})")
    if width * height > limit:
        raise ImageError(f"{name}: image is {width}x{height} pixels, above the limit of {limit / 1e6:g} megapixels")


def _to_gray(image: Any, name: str) -> numpy.ndarray:
    import numpy as np
    from PIL import Image, ImageOps

    try:
        if getattr(image, "n_frames", 1) > 1:
            image.seek(0)  # an animated GIF or multi-page TIFF: its first frame
        image.load()
        # Phones store the picture sideways and say so in EXIF: turn it upright
        # so polygons are where a person sees the code. exif_transpose copies
        # the image even when there is nothing to turn, so ask first.
        if _orientation(image) not in (None, 1):
            image = ImageOps.exif_transpose(image) or image
        if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (image.mode == "P" and "transparency" in image.info):
            # Transparent pixels are shown on white by every viewer; do the same
            # (a QR drawn on a transparent background is black on black otherwise).
            rgba = image.convert("RGBA")
            background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            image = Image.alpha_composite(background, rgba)
        if image.mode in ("I", "F") or image.mode.startswith("I;16"):
            # 16-bit and float scans: convert("L") would clip them, so stretch.
            wide = np.asarray(image, dtype=np.float64)
            span = float(wide.max() - wide.min()) or 1.0
            gray = ((wide - wide.min()) * (255.0 / span)).round().astype(np.uint8)
        else:
            gray = np.asarray(image.convert("L"), dtype=np.uint8)
    except (OSError, ValueError, SyntaxError, EOFError, IndexError) as exc:
        raise ImageError(f"{name}: the image data is corrupt or truncated ({exc})") from None
    except MemoryError:
        raise ImageError(f"{name}: not enough memory to decode this image") from None
    return np.ascontiguousarray(gray)


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

    if array.ndim not in (2, 3) or array.size == 0:
        raise ImageError(f"{name}: an image array must be 2-D (gray) or 3-D (colour), not shape {array.shape}")
    _check_size((array.shape[1], array.shape[0]), name, limit)
    if array.dtype != np.uint8:
        if np.issubdtype(array.dtype, np.floating) and array.size and float(np.nanmax(array)) <= 1.0:
            array = array * 255.0
        array = np.clip(np.nan_to_num(array), 0, 255).astype(np.uint8)
    if array.ndim == 3:
        channels = array.shape[2]
        if channels == 1:
            array = array[:, :, 0]
        elif channels in (3, 4):
            rgb = array[:, :, :3].astype(np.float32)
            if channels == 4:
                alpha = array[:, :, 3:4].astype(np.float32) / 255.0
                rgb = rgb * alpha + 255.0 * (1.0 - alpha)
            # ITU-R 601 luma, as Pillow's convert("L") does; arrays are taken as RGB.
            array = (rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)).round().astype(np.uint8)
        else:
            raise ImageError(f"{name}: an image array needs 1, 3 or 4 channels, not {channels}")
    return np.ascontiguousarray(array)
