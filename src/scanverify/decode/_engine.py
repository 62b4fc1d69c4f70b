"""The decoding engine: one fast pass, then escalation within a time budget.

Most photos decode in the first zxing-cpp pass, and then nothing else runs, so
the common case costs what zxing-cpp alone costs. Only when that pass finds
nothing does the engine try other decoders and other views of the image, each
view's polygons mapped back to the upright image's coordinates.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from . import DecodedCode, Decoder, DecoderInfo, Effort
from ._backends import BUILT_IN, ZxingDecoder
from ._image import load_image

if TYPE_CHECKING:
    import numpy

#: Seconds of escalation allowed after the first pass, by effort.
BUDGET: dict[str, float] = {"fast": 0.0, "normal": 1.0, "thorough": 6.0}
#: Views are made no larger than this (long side, pixels): beyond it decoders
#: only get slower, and a code still large enough to read survives the scaling.
WORKING_SIDE = 2400

View = tuple["numpy.ndarray", Callable[[float, float], tuple[float, float]]]


@cache
def decoders() -> tuple[Decoder, ...]:
    """Built-in decoders, then those registered under ``scanverify.decoders``."""
    from importlib.metadata import entry_points

    found: list[Decoder] = list(BUILT_IN)
    for entry_point in entry_points(group="scanverify.decoders"):
        try:
            plugin = entry_point.load()
            found.append(plugin() if isinstance(plugin, type) else plugin)
        except Exception:
            continue
    return tuple(found)


def decoder_info() -> list[DecoderInfo]:
    return [decoder.info() for decoder in decoders()]


@cache
def _available(name: str) -> Decoder | None:
    decoder = next((d for d in decoders() if d.name == name), None)
    return decoder if decoder is not None and decoder.info().available else None


def decode_image(source: Any, *, effort: Effort = "normal", max_pixels: int | None = None) -> list[DecodedCode]:
    """Every code in the image, each once, with exact payload bytes."""
    if effort not in BUDGET:
        raise UsageError(f"effort must be fast, normal or thorough, not {effort!r}")
    gray = load_image(source, max_pixels=max_pixels)
    return decode_gray(gray, effort=effort)


def decode_gray(gray: numpy.ndarray, *, effort: Effort = "normal") -> list[DecodedCode]:
    found = _Found()
    first = ZxingDecoder() if _available("zxing-cpp") is not None else None
    missed: list[tuple[tuple[float, float], ...]] = []
    if first is not None:
        found.add(first.decode(gray), _identity)
        missed = first.missed
    # Escalate only when the first pass found nothing, or saw symbols it could
    # not read: the common photo costs one zxing-cpp pass and nothing more.
    if (found and not missed) or BUDGET[effort] == 0:
        return found.codes()
    wanted = len(found) + max(len(missed), 1)
    deadline = time.monotonic() + BUDGET[effort]
    for decoder, view in [*_crops(gray, missed), *_escalation(gray, effort)]:
        if time.monotonic() > deadline:
            break
        image, back = view()
        found.add(decoder.decode(image), back)
        if len(found) >= wanted and effort != "thorough":
            break
    return found.codes()


class _Found:
    """Codes found so far, each payload once (the first pass's polygon is kept)."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, bytes], DecodedCode] = {}

    def add(self, codes: list[DecodedCode], back: Callable[[float, float], tuple[float, float]]) -> None:
        for code in codes:
            key = (code.symbology, code.payload)
            if key not in self.by_key:
                polygon = tuple(back(x, y) for x, y in code.polygon)
                self.by_key[key] = replace(code, polygon=polygon)

    def __bool__(self) -> bool:
        return bool(self.by_key)

    def __len__(self) -> int:
        return len(self.by_key)

    def codes(self) -> list[DecodedCode]:
        # Reading order: top to bottom, then left to right, so output is stable.
        return sorted(self.by_key.values(), key=lambda c: (round(_top(c) / 50), _left(c)))


def _top(code: DecodedCode) -> float:
    return min(y for _, y in code.polygon) if code.polygon else 0.0


def _left(code: DecodedCode) -> float:
    return min(x for x, _ in code.polygon) if code.polygon else 0.0


def _identity(x: float, y: float) -> tuple[float, float]:
    return x, y


# ---------------------------------------------------------------- views of the image
def _scaled(gray: numpy.ndarray, factor: float) -> View:
    import cv2

    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    image = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=interpolation)
    return image, lambda x, y: (x / factor, y / factor)


def _working(gray: numpy.ndarray) -> View:
    side = max(gray.shape[:2])
    return _scaled(gray, WORKING_SIDE / side) if side > WORKING_SIDE else (gray, _identity)


def _then(view: View, transform: Callable[[numpy.ndarray], numpy.ndarray]) -> View:
    image, back = view
    return transform(image), back


def _clahe(image: numpy.ndarray) -> numpy.ndarray:
    import cv2

    # Local contrast: lifts a code out of shadow or a dim corner of the page.
    return cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(image)


def _sharpen(image: numpy.ndarray) -> numpy.ndarray:
    import cv2

    blurred = cv2.GaussianBlur(image, (0, 0), 2.0)
    return cv2.addWeighted(image, 1.8, blurred, -0.8, 0)


def _adaptive(block: int, offset: int = 5) -> Callable[[numpy.ndarray], numpy.ndarray]:
    def threshold(image: numpy.ndarray) -> numpy.ndarray:
        import cv2

        # Binarise against the local mean: what blur, shadow and dim light
        # leave of the modules' contrast is still above their neighbourhood's.
        return cv2.adaptiveThreshold(image, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block, offset)

    return threshold


def _deglare(image: numpy.ndarray) -> numpy.ndarray:
    import cv2

    # Glare is a broad bright blob: divide by the background light (estimated
    # on a small copy: a wide blur at full size costs a second) so the
    # modules under it regain their contrast.
    small = cv2.resize(image, None, fx=0.125, fy=0.125, interpolation=cv2.INTER_AREA)
    background = cv2.GaussianBlur(small, (0, 0), max(small.shape[:2]) / 30)
    background = cv2.resize(background, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(image, background, scale=200)


def _mirrored(view: View) -> View:
    image, back = view
    width = image.shape[1]
    return image[:, ::-1].copy(), lambda x, y: back(width - x, y)


def _crop(gray: numpy.ndarray, polygon: tuple[tuple[float, float], ...], transform: Callable[..., Any] | None) -> View:
    """The region around a symbol the first pass saw but could not read, enlarged."""
    import cv2

    xs, ys = [x for x, _ in polygon], [y for _, y in polygon]
    margin = 0.2 * max(max(xs) - min(xs), max(ys) - min(ys), 20)
    left, top = max(0, int(min(xs) - margin)), max(0, int(min(ys) - margin))
    right, bottom = min(gray.shape[1], int(max(xs) + margin)), min(gray.shape[0], int(max(ys) + margin))
    crop = gray[top:bottom, left:right]
    factor = min(4.0, max(1.0, 800 / max(crop.shape[:2] or (1,))))
    if factor > 1:
        crop = cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    if transform is not None:
        crop = transform(crop)
    return crop, lambda x, y: (x / factor + left, y / factor + top)


def _crops(
    gray: numpy.ndarray, missed: list[tuple[tuple[float, float], ...]]
) -> Iterator[tuple[Decoder, Callable[[], View]]]:
    """Crops around each symbol seen but not read: cheap, and aimed where the code is."""
    zxing = _available("zxing-cpp")
    if zxing is None:
        return
    for polygon in missed[:4]:
        for transform in (None, _adaptive(31), _sharpen):
            yield zxing, lambda p=polygon, t=transform: _crop(gray, p, t)  # type: ignore[misc]


def _escalation(gray: numpy.ndarray, effort: Effort) -> Iterator[tuple[Decoder, Callable[[], View]]]:
    """The further passes, cheapest and most productive first (see benchmarks/README.md)."""
    zxing = _available("zxing-cpp")
    zbar = _available("pyzbar")
    opencv = _available("opencv")
    pure = ZxingDecoder(binarizer="GlobalHistogram") if zxing is not None else None
    side = max(gray.shape[:2])

    def working() -> View:
        return _working(gray)

    # Ordered by codes recovered per second on benchmarks/corpus (see
    # benchmarks/README.md): local thresholding first, then upscaling.
    steps: list[tuple[Decoder | None, Callable[[], View]]] = [
        (zxing, lambda: _then(working(), _adaptive(31))),
        (pure, working),
        (zxing, lambda: _scaled(gray, 1.5) if side <= 2700 else (_sharpen(gray), _identity)),
        (zxing, lambda: _then(working(), _adaptive(15))),
        (zxing, lambda: _then(working(), _sharpen)),
        (zbar, working),
        (opencv, working),
        (zxing, lambda: _then(working(), _deglare)),
        (zxing, lambda: _mirrored(working())),
    ]
    if effort == "thorough":
        steps += [
            (zxing, lambda: _then(_scaled(gray, 1.5) if side <= 2700 else working(), _adaptive(31))),
            (zxing, lambda: _then(working(), _adaptive(51, 3))),
            (zxing, lambda: _scaled(gray, 2.0) if side <= 2000 else _scaled(gray, 0.5)),
            (zxing, lambda: _then(working(), _clahe)),
            (zbar, lambda: _then(working(), _sharpen)),
            (opencv, lambda: _then(working(), _clahe)),
            (zxing, lambda: _mirrored(_then(working(), _adaptive(31)))),
        ]
    for decoder, view in steps:
        if decoder is not None:
            yield decoder, view
