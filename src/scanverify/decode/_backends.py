"""The built-in decoders: zxing-cpp (main), pyzbar and OpenCV (further ones).

Each imports its library on first use, so a missing one costs nothing until
asked for and is then reported, never raised.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import TYPE_CHECKING, Any

from . import DecodedCode

if TYPE_CHECKING:
    import numpy
    import PIL.Image

Polygon = tuple[tuple[float, float], ...]

#: zxing-cpp's format names -> the names scanverify reports. Only these
#: formats are asked for: linear barcodes carry no seals and only add time
#: and false finds.
_SYMBOLOGIES = {
    "QRCode": "QRCode",
    "QRCodeModel1": "QRCode",
    "QRCodeModel2": "QRCode",
    "MicroQRCode": "MicroQRCode",
    "DataMatrix": "DataMatrix",
    "Aztec": "Aztec",
    "AztecCode": "Aztec",
    "PDF417": "PDF417",
    "CompactPDF417": "PDF417",
}


def _package_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _polygon(points: Any) -> Polygon:
    return tuple((float(x), float(y)) for x, y in points)


class ZxingDecoder:
    """zxing-cpp: the best single decoder; reports raw bytes and only error-corrected results."""

    name = "zxing-cpp"

    def __init__(self, **options: Any) -> None:
        #: read_barcodes options; ``binarizer`` may be given by name.
        self.options = options

    def available(self) -> bool:
        return _import_error("zxingcpp") is None

    def version(self) -> str | None:
        return _package_version("zxing-cpp") if self.available() else None

    def detail(self) -> str:
        error = _import_error("zxingcpp")
        return f"zxing-cpp is not installed ({error}); pip install zxing-cpp" if error else ""

    def decode(self, gray: numpy.ndarray) -> list[DecodedCode]:
        return self.scan(gray)[0]

    def scan(self, gray: numpy.ndarray | PIL.Image.Image, **overrides: Any) -> tuple[list[DecodedCode], list[Polygon]]:
        """The codes read, and where symbols were seen whose error correction failed.

        `gray` is an array, or a mode-"L" PIL image (read without numpy)."""
        import zxingcpp

        options = {**self.options, **overrides}
        if isinstance(options.get("binarizer"), str):
            options["binarizer"] = getattr(zxingcpp.Binarizer, options["binarizer"])
        found: list[DecodedCode] = []
        missed: list[Polygon] = []
        for barcode in zxingcpp.read_barcodes(gray, formats=_zxing_formats(), return_errors=True, **options):
            p = barcode.position
            polygon = _polygon((pt.x, pt.y) for pt in (p.top_left, p.top_right, p.bottom_right, p.bottom_left))
            symbology = _SYMBOLOGIES.get(barcode.format.name)
            if symbology is None:
                continue
            # A symbol whose error correction failed is only counted (as a
            # reason to look harder there), never reported: a misread must
            # never become a payload.
            if not barcode.valid or barcode.error:
                missed.append(polygon)
                continue
            found.append(DecodedCode(bytes(barcode.bytes), symbology, polygon, self.name, _text_hint(barcode)))
        return found, missed


def _text_hint(barcode: Any) -> str | None:
    """zxing-cpp's reading of a text symbol in its declared or recognised character set
    (Shift-JIS, ISO-8859-1, ...); None for binary content, or when it is the UTF-8 reading."""
    import zxingcpp

    if barcode.content_type != zxingcpp.ContentType.Text:
        # Binary (or mixed) content read as text would be mojibake: shown as bytes instead.
        return None
    text = barcode.text
    return text if isinstance(text, str) and text.encode("utf-8", "surrogatepass") != bytes(barcode.bytes) else None


@cache
def _zxing_formats() -> Any:
    import zxingcpp

    return zxingcpp.barcode_formats_from_str("QRCode,MicroQRCode,DataMatrix,Aztec,PDF417")


class ZbarDecoder:
    """pyzbar over the system's libzbar (QR only): finds some codes zxing-cpp misses.

    Payload bytes: by default zbar guesses each QR byte segment's text encoding
    and re-encodes it as UTF-8, which corrupts binary payloads. Since zbar
    0.23 the ``binary`` option turns that off, and zbar then returns the
    error-corrected segment bytes as they are; the option's number is asked of
    the library itself (``zbar_parse_config``), since pyzbar's enum predates
    it. With an older libzbar only pure-ASCII results are kept, as those alone
    are certain to be the exact bytes.
    """

    name = "pyzbar"

    def available(self) -> bool:
        return _import_error("pyzbar.pyzbar") is None

    def version(self) -> str | None:
        if not self.available():
            return None
        lib = _package_version("pyzbar") or "?"
        return f"{lib} (libzbar binary mode)" if _zbar_binary_config() else f"{lib} (libzbar without binary mode)"

    def detail(self) -> str:
        error = _import_error("pyzbar.pyzbar")
        if error is None:
            return ""
        if isinstance(error, OSError) or "zbar shared library" in str(error):
            # pyzbar loads libzbar when imported and fails like this without it.
            return f"libzbar not found ({error}); install libzbar0 (Debian/Ubuntu) or zbar (Homebrew)"
        return f"pyzbar is not installed ({error}); pip install pyzbar"

    def decode(self, gray: numpy.ndarray) -> list[DecodedCode]:
        import ctypes

        import numpy as np
        from pyzbar import wrapper as zbar

        pixels = np.ascontiguousarray(gray, dtype=np.uint8)
        height, width = pixels.shape[:2]
        binary = _zbar_binary_config()
        found = []
        scanner = zbar.zbar_image_scanner_create()
        image = zbar.zbar_image_create()
        try:
            # QR only: zbar's linear decoders find "barcodes" in text lines.
            zbar.zbar_image_scanner_set_config(scanner, 0, zbar.ZBarConfig.CFG_ENABLE, 0)
            zbar.zbar_image_scanner_set_config(scanner, zbar.ZBarSymbol.QRCODE, zbar.ZBarConfig.CFG_ENABLE, 1)
            if binary is not None:
                zbar.zbar_image_scanner_set_config(scanner, *binary)
            zbar.zbar_image_set_format(image, int.from_bytes(b"Y800", "little"))
            zbar.zbar_image_set_size(image, width, height)
            # zbar reads the array in place; `pixels` outlives the scan.
            zbar.zbar_image_set_data(image, pixels.ctypes.data_as(ctypes.c_void_p), pixels.nbytes, None)
            if zbar.zbar_scan_image(scanner, image) > 0:
                symbol = zbar.zbar_image_first_symbol(image)
                while symbol:
                    payload = ctypes.string_at(
                        zbar.zbar_symbol_get_data(symbol), zbar.zbar_symbol_get_data_length(symbol)
                    )
                    points = [
                        (zbar.zbar_symbol_get_loc_x(symbol, i), zbar.zbar_symbol_get_loc_y(symbol, i))
                        for i in range(zbar.zbar_symbol_get_loc_size(symbol))
                    ]
                    if symbol.contents.type == zbar.ZBarSymbol.QRCODE and (binary or payload.isascii()):
                        found.append(DecodedCode(payload, "QRCode", _four_corners(_polygon(points)), self.name))
                    symbol = zbar.zbar_symbol_next(symbol)
        finally:
            zbar.zbar_image_destroy(image)
            zbar.zbar_image_scanner_destroy(scanner)
        return found


@cache
def _zbar_binary_config() -> tuple[int, int, int] | None:
    """(symbology, config, value) for "QR without text conversion", if this libzbar has it."""
    import ctypes

    from pyzbar import wrapper as zbar

    symbology, config, value = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
    parse = zbar.zbar_parse_config
    if parse(b"qrcode.binary", ctypes.byref(symbology), ctypes.byref(config), ctypes.byref(value)) != 0:
        return None
    return symbology.value, config.value, value.value


class OpenCVDecoder:
    """OpenCV's QR detector (ArUco-based where available)."""

    name = "opencv"

    def available(self) -> bool:
        return _import_error("cv2") is None

    def version(self) -> str | None:
        import cv2

        return str(cv2.__version__) if self.available() else None

    def detail(self) -> str:
        error = _import_error("cv2")
        return f"OpenCV is not installed ({error}); pip install opencv-python-headless" if error else ""

    def decode(self, gray: numpy.ndarray) -> list[DecodedCode]:
        import cv2

        detector = cv2.QRCodeDetectorAruco() if hasattr(cv2, "QRCodeDetectorAruco") else cv2.QRCodeDetector()
        try:
            ok, payloads, points, _ = detector.detectAndDecodeBytesMulti(gray)
        except cv2.error:
            return []
        if not ok or points is None:
            return []
        found = []
        for payload, corners in zip(payloads, points, strict=False):
            # detectAndDecodeBytes still transcodes: a Latin-1 byte segment
            # comes back as UTF-8 (measured with OpenCV 5.0). Only ASCII bytes
            # are the same in every encoding, so only those are kept.
            data = bytes(payload)
            if data and data.isascii():
                found.append(DecodedCode(data, "QRCode", _polygon(corners), self.name))
        return found


_IMPORT_LOCK = threading.Lock()
_IMPORT_ERRORS: dict[str, BaseException | None] = {}


def _import_error(module: str) -> BaseException | None:
    """Why `module` cannot be imported, or None; asked once per process."""
    with _IMPORT_LOCK:
        if module not in _IMPORT_ERRORS:
            import importlib

            try:
                importlib.import_module(module)
                _IMPORT_ERRORS[module] = None
            except (ImportError, OSError) as exc:
                # pyzbar raises ImportError or OSError when libzbar is absent.
                _IMPORT_ERRORS[module] = exc
        return _IMPORT_ERRORS[module]


def _four_corners(points: Polygon) -> Polygon:
    """zbar gives the outline's points; reduce them to the 4 corners of their hull."""
    if len(points) == 4:
        return points
    import numpy as np

    array = np.array(points, dtype=np.float32)
    sums, diffs = array.sum(axis=1), np.diff(array, axis=1).ravel()
    corners = (array[sums.argmin()], array[diffs.argmin()], array[sums.argmax()], array[diffs.argmax()])
    return tuple((float(x), float(y)) for x, y in corners)


BUILT_IN = (ZxingDecoder(), ZbarDecoder(), OpenCVDecoder())
