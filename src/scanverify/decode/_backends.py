"""The built-in decoders: zxing-cpp (main), pyzbar and OpenCV (further ones).

Each imports its library on first use, so a missing one costs nothing until
asked for and is then reported, never raised.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from . import DecodedCode, DecoderInfo

if TYPE_CHECKING:
    import numpy

Polygon = tuple[tuple[float, float], ...]


def _package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


class ZxingDecoder:
    """zxing-cpp: the best single decoder; reports raw bytes and only error-corrected results."""

    name = "zxing-cpp"

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.missed: list[Polygon] = []
        """Where the last call found symbols it could not decode: the image holds more there."""

    def info(self) -> DecoderInfo:
        try:
            import zxingcpp  # noqa: F401
        except ImportError as exc:
            return DecoderInfo(self.name, False, None, f"zxing-cpp is not installed ({exc}); pip install zxing-cpp")
        return DecoderInfo(self.name, True, _package_version("zxing-cpp"), "")

    def decode(self, gray: numpy.ndarray) -> list[DecodedCode]:
        import zxingcpp

        formats = zxingcpp.barcode_formats_from_str("QRCode,MicroQRCode,DataMatrix,Aztec,PDF417")
        options = dict(self.options)
        if "binarizer" in options:
            options["binarizer"] = getattr(zxingcpp.Binarizer, options["binarizer"])
        found = []
        self.missed = []
        for barcode in zxingcpp.read_barcodes(gray, formats=formats, return_errors=True, **options):
            # A symbol whose error correction failed is only counted, never
            # reported: a misread can never become a payload.
            p = barcode.position
            polygon = tuple(
                (float(pt.x), float(pt.y)) for pt in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
            )
            if not barcode.valid:
                self.missed.append(polygon)
                continue
            found.append(DecodedCode(bytes(barcode.bytes), barcode.format.name, polygon, self.name))
        return found


class ZbarDecoder:
    """pyzbar over the system's libzbar: finds some codes zxing-cpp misses."""

    name = "pyzbar"

    def info(self) -> DecoderInfo:
        try:
            import pyzbar.pyzbar  # noqa: F401
        except ImportError as exc:
            return DecoderInfo(self.name, False, None, f"pyzbar is not installed ({exc}); pip install pyzbar")
        except OSError as exc:
            # pyzbar loads libzbar when imported and fails like this without it.
            return DecoderInfo(
                self.name, False, None, f"libzbar not found ({exc}); install libzbar0 (Debian/Ubuntu) or zbar"
            )
        return DecoderInfo(self.name, True, _package_version("pyzbar"), "")

    def decode(self, gray: numpy.ndarray) -> list[DecodedCode]:
        from pyzbar import pyzbar

        found = []
        height, width = gray.shape[:2]
        for symbol in pyzbar.decode((gray.tobytes(), width, height), symbols=[pyzbar.ZBarSymbol.QRCODE]):
            data = bytes(symbol.data)
            # zbar re-encodes QR byte segments by guessing their text encoding,
            # which corrupts binary payloads. Output that is plain ASCII can only
            # have come from ASCII input, so only that is trusted from zbar.
            if not data.isascii():
                continue
            polygon = tuple((float(x), float(y)) for x, y in symbol.polygon)
            found.append(DecodedCode(data, "QRCode", _four_corners(polygon), self.name))
        return found


class OpenCVDecoder:
    """OpenCV's QR detector (ArUco-based where available)."""

    name = "opencv"

    def info(self) -> DecoderInfo:
        try:
            import cv2
        except ImportError as exc:
            return DecoderInfo(
                self.name, False, None, f"OpenCV is not installed ({exc}); pip install opencv-python-headless"
            )
        return DecoderInfo(self.name, True, cv2.__version__, "")

    def decode(self, gray: numpy.ndarray) -> list[DecodedCode]:
        import cv2

        detector = cv2.QRCodeDetectorAruco() if hasattr(cv2, "QRCodeDetectorAruco") else cv2.QRCodeDetector()
        try:
            ok, texts, points, _ = detector.detectAndDecodeMulti(gray)
        except cv2.error:
            return []
        if not ok or points is None:
            return []
        found = []
        for text, corners in zip(texts, points, strict=False):
            # OpenCV hands back text, not bytes: as with zbar, only ASCII is
            # certain to be the exact payload.
            if not text or not text.isascii():
                continue
            polygon = tuple((float(x), float(y)) for x, y in corners)
            found.append(DecodedCode(text.encode("ascii"), "QRCode", polygon, self.name))
        return found


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
