"""The decoding engine: one fast pass, then escalation within a time budget.

Most photos decode in the first zxing-cpp pass, and then nothing else runs, so
the common case costs what zxing-cpp alone costs. Only when that pass finds
nothing, or saw a symbol it could not read, does the engine try other
decoders and other views of the image (crops, scales, binarisations), each
view's polygons mapped back to the upright image's coordinates. The steps and
their order come from benchmarks/decode.py; benchmarks/README.md has what each
one earned.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from .. import _input_errors as say
from .._input_errors import refused
from ..errors import UsageError
from . import DEFAULT_MAX_PIXELS, DecodedCode, DecodedCodes, Decoder, DecoderInfo, Effort
from ._backends import BUILT_IN, Polygon, ZxingDecoder
from ._image import as_array, load_gray, source_name

if TYPE_CHECKING:
    import numpy

    from . import ImageSource
    from ._finders import Guess

#: Seconds of escalation allowed after the first pass, by effort. A step that
#: has started is finished, so a call can overrun by one step.
BUDGET: dict[str, float] = {"fast": 0.0, "normal": 1.0, "thorough": 5.0}
#: Whole-image views are made no larger than this (long side, pixels): beyond
#: it decoders only get slower, and a code big enough to read survives.
WORKING_SIDE = 2400
#: Crops are enlarged until their long side is about this many pixels.
CROP_SIDE = 800
#: Guesses at a lost finder pattern tried per image (decode/_finders.py), most plausible first.
FINDER_GUESSES = 6
#: Images above this many pixels are checked for a texture of finder patterns before the
#: first pass (below it the worst such texture costs zxing-cpp about 3 s; the sample
#: photos, 3 MP, keep their numpy-free first pass).
TEXTURE_CHECK_PIXELS = 4_000_000
#: Finder-like patterns (decode/_finders.finder_like_count) above which an image is refused:
#: zxing-cpp spends about 1.5 s on 22,000 of them; uniform noise at 120 MP shows ~21,000.
MOST_FINDERS = 40_000

Back = Callable[[float, float], tuple[float, float]]
View = tuple["numpy.ndarray", Back]


# ---------------------------------------------------------------- decoders
@cache
def decoders() -> tuple[Decoder, ...]:
    """Built-in decoders, then those registered under ``scanverify.decoders``."""
    from importlib.metadata import entry_points

    found: list[Decoder] = list(BUILT_IN)
    for entry_point in entry_points(group="scanverify.decoders"):
        try:
            plugin = entry_point.load()
            decoder = plugin() if isinstance(plugin, type) else plugin
            if not isinstance(decoder, Decoder):
                raise TypeError("it lacks name, available(), version() or decode()")
        except Exception as exc:
            # A broken plug-in is shown by `scanverify doctor`, never fatal.
            decoder = _Broken(entry_point.name, f"plug-in {entry_point.value} failed to load: {exc}")
        found.append(decoder)
    return tuple(found)


class _Broken:
    """Stands in for a plug-in that could not be loaded."""

    def __init__(self, name: str, reason: str) -> None:
        self.name, self.reason = name, reason

    def available(self) -> bool:
        return False

    def version(self) -> str | None:
        return None

    def detail(self) -> str:
        return self.reason

    def decode(self, gray: numpy.ndarray) -> list[DecodedCode]:
        return []


def decoder_info() -> list[DecoderInfo]:
    """Every decoder, whether it can be used, its version, and if not, why."""
    infos = []
    for decoder in decoders():
        try:
            available = bool(decoder.available())
            version = decoder.version() if available else None
            detail = "" if available else str(getattr(decoder, "detail", lambda: "not available")())
        except Exception as exc:
            available, version, detail = False, None, f"failed to report ({exc})"
        infos.append(DecoderInfo(decoder.name, available, version, detail))
    return infos


@cache
def _available(name: str) -> Decoder | None:
    # A built-in decoder is found before any plug-in is looked for: the first
    # pass needs no entry-point scan (cold start). A plug-in of the same name
    # would come after it in decoders() anyway.
    decoder = next((d for d in BUILT_IN if d.name == name), None) or next(
        (d for d in decoders() if d.name == name), None
    )
    try:
        return decoder if decoder is not None and decoder.available() else None
    except Exception:
        return None


def _plugins() -> list[Decoder]:
    return [d for d in decoders() if d not in BUILT_IN and _available(d.name) is d]


# ---------------------------------------------------------------- the engine
def decode_image(
    source: ImageSource, *, effort: Effort = "normal", max_pixels: int = DEFAULT_MAX_PIXELS
) -> DecodedCodes:
    """Every code in the image, each once, with exact payload bytes, in reading order
    (a list that also says how many symbols were seen but not read)."""
    _check_effort(effort)
    # `unread`: where the first pass saw a symbol it could not read (for "no code" to say so).
    unread: list[Polygon] = []
    gray = load_gray(source, max_pixels=max_pixels)
    pixels = gray.size if getattr(gray, "ndim", None) is not None else gray.size[0] * gray.size[1]
    if pixels > TEXTURE_CHECK_PIXELS:
        gray = as_array(gray)
        count = _finder_texture(gray)
        if count:
            raise refused(source_name(source), say.FINDER_TEXTURE, count=f"{count:,}")
    zxing = _available("zxing-cpp")
    if getattr(gray, "ndim", None) is None and isinstance(zxing, ZxingDecoder):
        # A PIL image (a common photo or scan): the first pass reads it as it
        # is, and numpy is loaded only when escalation needs it (cold start).
        started = time.monotonic()
        first = zxing.scan(gray)
        first_seconds = time.monotonic() - started
        if BUDGET[effort] == 0 or (first[0] and not first[1]):
            found = _Found()
            found.add(first[0], _identity, rank=0)
            return DecodedCodes(found.codes(), unread=len(first[1]))
        codes = _decode_gray(as_array(gray), effort=effort, first=first, first_seconds=first_seconds, unread=unread)
    else:
        codes = _decode_gray(as_array(gray), effort=effort, unread=unread)
    return DecodedCodes(codes, unread=len(unread))


def _finder_texture(gray: numpy.ndarray) -> int:
    """The estimated number of finder-like patterns when it is beyond any photo's, else 0.

    Security: zxing-cpp's QR and Micro QR detectors cost time quadratic in the
    finder patterns they find (measured, zxing-cpp 3.1.1: a 2400-pixel page
    tiled with 90,000 one-pixel ones, 11 s a pass; 12 MP, about 3 minutes;
    120 MP, hours), inside one call the engine cannot interrupt. A page of
    real codes holds a few hundred; such a texture is refused before any pass.
    """
    from ._finders import finder_like_count

    count = finder_like_count(gray) if gray.size > TEXTURE_CHECK_PIXELS else 0.0
    return round(count) if count > MOST_FINDERS else 0


def _check_effort(effort: str) -> None:
    if not isinstance(effort, str) or effort not in BUDGET:
        raise UsageError(f"effort must be fast, normal or thorough, not {effort!r}")


def decode_gray(
    gray: numpy.ndarray,
    *,
    effort: Effort = "normal",
    trace: list[tuple[str, int, float]] | None = None,
    first: tuple[list[DecodedCode], list[Polygon]] | None = None,
    unread: list[Polygon] | None = None,
) -> list[DecodedCode]:
    """:func:`decode_image` for an upright 8-bit grayscale array (live video frames).

    `trace`, if given, receives (step name, new codes, seconds) for every
    escalation step run: benchmarks/decode.py reports what each step earned.
    `first`, if given, is what zxing-cpp's first pass on this image already
    gave (codes, and symbols seen but not read): it is not run again.
    `unread`, if given, receives where the first pass saw a symbol it could not read.
    """
    if first is None and getattr(gray, "ndim", None) == 2 and _finder_texture(gray):
        return []  # a frame made to hang the decoder is not read (decode_image says why)
    return _decode_gray(gray, effort=effort, trace=trace, first=first, unread=unread)


def _decode_gray(
    gray: numpy.ndarray,
    *,
    effort: Effort = "normal",
    trace: list[tuple[str, int, float]] | None = None,
    first: tuple[list[DecodedCode], list[Polygon]] | None = None,
    unread: list[Polygon] | None = None,
    first_seconds: float = 0.0,
) -> list[DecodedCode]:
    """:func:`decode_gray`, the image's texture checked already (`first_seconds`: what `first` cost)."""
    _check_effort(effort)
    from ._image import MIN_SIDE

    if gray.ndim != 2 or min(gray.shape) < MIN_SIDE:
        # Too small to hold a code (a live frame gone wrong): the views below
        # would shrink it to nothing, which OpenCV refuses with an exception.
        return []
    found = _Found()
    zxing = _available("zxing-cpp")
    missed: list[Polygon] = []
    if first is not None:
        codes, missed = first
        found.add(codes, _identity, rank=0)
    elif isinstance(zxing, ZxingDecoder):
        started = time.monotonic()
        codes, missed = zxing.scan(gray)
        first_seconds = time.monotonic() - started
        found.add(codes, _identity, rank=0)
    if unread is not None:
        unread.extend(missed)
    # Escalate only when the first pass found nothing, or saw symbols it could
    # not read: the common photo costs one zxing-cpp pass and nothing more.
    if BUDGET[effort] == 0 or (found and not missed):
        return found.codes()
    if first_seconds > BUDGET[effort]:
        # Security: a step that has started is finished, and the whole-image
        # steps and crops of a large unread symbol cost about what the first
        # pass did. One pass that alone took more than the budget (a texture
        # zxing-cpp is slow on: a page of one-pixel finder patterns, 3 MP,
        # ~3 s a pass) would overrun it by that much again: nothing more is tried.
        return found.codes()
    deadline = time.monotonic() + BUDGET[effort]
    views = _Views(gray)
    plan = list(_crop_steps(missed))
    if not found or effort == "thorough":
        # With codes already read, the unread symbols are where zxing-cpp saw
        # them: the crops are aimed there, and whole-image passes after them
        # recovered nothing on the corpus while costing the full budget on
        # noisy frames (a dark photo shows dozens of unreadable "symbols").
        plan += steps(effort)
    for step in plan:
        if found.enough(missed) or time.monotonic() > deadline:
            break
        decoder = _available(step.decoder) if step.decoder != "plug-ins" else None
        if decoder is None and step.decoder != "plug-ins":
            continue
        started, before = time.monotonic(), len(found.entries)
        image, back = step.view(views)
        if image.size == 0 or min(image.shape[:2]) < MIN_SIDE:
            continue  # a crop at the very edge can be a sliver: nothing to read there
        if step.decoder == "plug-ins":
            for plugin in _plugins():
                found.add(_guarded(plugin, image), back, rank=step.rank, step=f"{step.name} {plugin.name}")
        elif isinstance(decoder, ZxingDecoder):
            found.add(decoder.scan(image, **step.options)[0], back, rank=step.rank, step=step.name)
        elif decoder is not None:
            found.add(decoder.decode(image), back, rank=step.rank, step=step.name)
        if trace is not None:
            trace.append((step.name, len(found.entries) - before, time.monotonic() - started))
    return found.codes()


def _guarded(decoder: Decoder, image: numpy.ndarray) -> list[DecodedCode]:
    try:
        return list(decoder.decode(image))
    except Exception:
        # A third-party decoder's failure costs its results, not the scan.
        return []


@dataclass(frozen=True)
class Step:
    """One escalation pass: a decoder run on a view of the image."""

    name: str
    decoder: str
    view: Callable[[_Views], View]
    rank: int = 2
    """Polygon quality (lower is better) when the same code is found twice."""
    options: dict[str, Any] = field(default_factory=dict)
    """Extra zxing-cpp read options (binarizer, ...)."""


#: Symbologies whose error correction can be set so weak that a degraded
#: view yields a wrong payload which still passes it (measured: a PDF417 at
#: 14% EC misread under the GlobalHistogram and CLAHE passes, two different
#: wrong payloads). From escalation passes these count only when two
#: different passes agree; a QR code's Reed-Solomon level never goes that low.
CONFIRM_IN_ESCALATION = frozenset({"PDF417", "Aztec"})


class _Found:
    """Codes found so far: one per (symbology, payload) and place, best polygon kept."""

    def __init__(self) -> None:
        self.entries: list[tuple[int, DecodedCode]] = []
        self.pending: list[tuple[str, DecodedCode]] = []

    def add(self, codes: list[DecodedCode], back: Back, *, rank: int, step: str = "first pass") -> None:
        for code in codes:
            polygon = tuple(back(x, y) for x, y in code.polygon)
            mapped = replace(code, polygon=polygon)
            for i, (old_rank, old) in enumerate(self.entries):
                if _same(old, mapped):
                    if rank < old_rank:
                        self.entries[i] = (rank, mapped)
                    break
            else:
                weak = rank > 0 and code.symbology in CONFIRM_IN_ESCALATION
                if weak and not any(_same(seen, mapped) and by != step for by, seen in self.pending):
                    self.pending.append((step, mapped))
                    continue
                self.entries.append((rank, mapped))

    def enough(self, missed: list[Polygon]) -> bool:
        """True when something was found and every symbol seen but not read has been read since."""
        if not self.entries:
            return False
        return all(any(_overlap(seen, code.polygon) for _, code in self.entries) for seen in missed)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def codes(self) -> list[DecodedCode]:
        # Reading order: top to bottom in bands, then left to right, so the
        # output is stable whichever pass found which code.
        codes = [code for _, code in self.entries]
        return sorted(codes, key=lambda c: (round(_top(c) / 50), _left(c)))


def _same(a: DecodedCode, b: DecodedCode) -> bool:
    return (a.symbology, a.payload) == (b.symbology, b.payload) and _overlap(a.polygon, b.polygon)


def _box(polygon: Polygon) -> tuple[float, float, float, float]:
    xs, ys = [x for x, _ in polygon], [y for _, y in polygon]
    return min(xs), min(ys), max(xs), max(ys)


def _overlap(a: Polygon, b: Polygon) -> bool:
    """Whether two outlines cover some of the same place (bounding boxes, with slack)."""
    if not a or not b:
        return True
    ax0, ay0, ax1, ay1 = _box(a)
    bx0, by0, bx1, by1 = _box(b)
    slack = 0.1 * max(ax1 - ax0, ay1 - ay0, bx1 - bx0, by1 - by0, 1.0)
    return ax0 - slack <= bx1 and bx0 - slack <= ax1 and ay0 - slack <= by1 and by0 - slack <= ay1


def _top(code: DecodedCode) -> float:
    return min(y for _, y in code.polygon) if code.polygon else 0.0


def _left(code: DecodedCode) -> float:
    return min(x for x, _ in code.polygon) if code.polygon else 0.0


def _identity(x: float, y: float) -> tuple[float, float]:
    return x, y


# ---------------------------------------------------------------- views of the image
class _Views:
    """Views of one image, each made once per call and shared between steps."""

    def __init__(self, gray: numpy.ndarray) -> None:
        self.gray = gray
        self.side = max(gray.shape[:2])
        self._cache: dict[str, View] = {}
        self._regions: list[tuple[int, int, int, int]] | None = None
        self._guesses: list[Guess] | None = None

    def get(self, key: str, make: Callable[[], View]) -> View:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def working(self) -> View:
        if self.side <= WORKING_SIDE:
            return self.gray, _identity
        return self.get("working", lambda: _scaled(self.gray, WORKING_SIDE / self.side))

    def scaled(self, factor: float) -> View:
        return self.get(f"scaled{factor}", lambda: _scaled(self.gray, factor))

    def candidates(self) -> list[tuple[int, int, int, int]]:
        """Regions that look like a 2D code (found once per image), most code-like first."""
        if self._regions is None:
            self._regions = _code_like_regions(self.gray)
        return self._regions

    def deblurred(self, index: int, sigma: float) -> View:
        regions = self.candidates()
        if index >= len(regions):
            return self.gray[:0], _identity
        return self.get(f"deblurred{index},{sigma}", lambda: _deblurred_crop(self.gray, regions[index], sigma))

    def rebuilt(self, index: int) -> View:
        """The `index`-th guess at a QR symbol with a lost finder pattern, the pattern drawn back."""
        from ._finders import lost_finder_guesses, rebuilt

        working, back = self.working()
        if self._guesses is None:
            self._guesses = lost_finder_guesses(working, most=FINDER_GUESSES)
        if index >= len(self._guesses):
            return working[:0], back
        guess = self._guesses[index]
        left, top = guess.box[:2]
        return rebuilt(working, guess), lambda x, y: back(x + left, y + top)


def _scaled(gray: numpy.ndarray, factor: float) -> View:
    import cv2

    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    image = cv2.resize(gray, _size(gray, factor), interpolation=interpolation)
    return image, lambda x, y: (x / factor, y / factor)


def _size(image: numpy.ndarray, factor: float) -> tuple[int, int]:
    """(width, height) of `image` scaled by `factor`, never below one pixel (OpenCV refuses an empty size)."""
    return max(1, round(image.shape[1] * factor)), max(1, round(image.shape[0] * factor))


def _then(view: View, transform: Callable[[numpy.ndarray], numpy.ndarray]) -> View:
    image, back = view
    return transform(image), back


def _clahe(image: numpy.ndarray) -> numpy.ndarray:
    import cv2

    # Local contrast: lifts a code out of shadow or a dim corner of the page.
    return cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(image)


def _sharpen(image: numpy.ndarray) -> numpy.ndarray:
    import cv2

    # Unsharp mask: restores module edges softened by focus or motion blur.
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

    # Glare and shadow are broad: divide by the background light (estimated
    # on a small copy: a wide blur at full size costs a second) so the
    # modules under them regain their contrast.
    small = cv2.resize(image, _size(image, 0.125), interpolation=cv2.INTER_AREA)
    background = cv2.GaussianBlur(small, (0, 0), max(small.shape[:2]) / 30)
    background = cv2.resize(background, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(image, background, scale=200)


def _stretched(view: View, fy: float) -> View:
    """`view` enlarged `fy` times vertically only.

    A page turned away from the camera (strong foreshortening: 50-60 degrees
    of pitch) squashes the code's rows to a pixel or two while its columns
    keep their width; zxing-cpp then loses the finder patterns' 1:1:3:1:1
    rows. Enlarging only the squashed direction restores them at half the
    cost of enlarging both.
    """
    import cv2

    image, back = view
    stretched = cv2.resize(image, (image.shape[1], max(1, round(image.shape[0] * fy))), interpolation=cv2.INTER_CUBIC)
    return stretched, lambda x, y: back(x, y / fy)


def _code_like_regions(gray: numpy.ndarray, most: int = 3) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) of regions dense with edges in both directions: where a 2D code may be.

    For photos where zxing-cpp sees no symbol at all (no finder pattern
    survives blur), this says where to look: a code's modules give strong
    gradients across and along rows alike, text and page edges mostly in one
    direction. Measured on a quarter-size copy: 5-40 ms.
    """
    import cv2
    import numpy as np

    factor = min(1.0, 500 / max(gray.shape[:2]))
    small = cv2.resize(gray, _size(gray, factor), interpolation=cv2.INTER_AREA)
    across = np.abs(cv2.Sobel(small, cv2.CV_32F, 1, 0))
    along = np.abs(cv2.Sobel(small, cv2.CV_32F, 0, 1))
    size = max(3, min(small.shape[:2]) // 60) | 1
    both = np.minimum(cv2.blur(across, (size, size)), cv2.blur(along, (size, size)))
    both = (255 * (both - both.min()) / max(float(np.ptp(both)), 1e-6)).astype(np.uint8)
    _, mask = cv2.threshold(both, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    kernel = np.ones((size, size), np.uint8)
    mask = cv2.morphologyEx(cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel), cv2.MORPH_OPEN, kernel)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    scored = []
    for i in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[i])
        # A code is a compact, filled blob of some size; a line of text is neither.
        if area < 150 * (factor / 0.25) ** 2 or area < 0.4 * w * h or max(w, h) > 4 * min(w, h):
            continue
        score = area * float(both[labels == i].mean())
        scored.append((score, (round(x / factor), round(y / factor), round((x + w) / factor), round((y + h) / factor))))
    scored.sort(reverse=True)
    return [box for _, box in scored[:most]]


def _deblurred_crop(gray: numpy.ndarray, box: tuple[int, int, int, int], sigma: float) -> View:
    """The region `box` (with a margin), Richardson-Lucy deblurred for a Gaussian blur of `sigma`, x2, binarised.

    Focus blur spreads each module over its neighbours; 15 Richardson-Lucy
    iterations with a Gaussian point-spread function put much of it back, at
    the crop's own resolution (cheap), before enlarging for zxing-cpp.
    """
    import cv2
    import numpy as np

    x0, y0, x1, y1 = box
    margin = 0.15 * max(x1 - x0, y1 - y0)
    left, top = max(0, math.floor(x0 - margin)), max(0, math.floor(y0 - margin))
    right, bottom = min(gray.shape[1], math.ceil(x1 + margin)), min(gray.shape[0], math.ceil(y1 + margin))
    crop = gray[top:bottom, left:right]
    if crop.size == 0 or max(crop.shape[:2]) > 1600:
        return crop[:0], _identity  # empty, or so big a code there is not blurred beyond its modules
    observed = crop.astype(np.float32) / 255 + 1e-3
    estimate = observed.copy()
    for _ in range(15):
        estimate *= cv2.GaussianBlur(observed / (cv2.GaussianBlur(estimate, (0, 0), sigma) + 1e-4), (0, 0), sigma)
    sharp = np.clip(estimate * 255, 0, 255).astype(np.uint8)
    image = _adaptive(31)(cv2.resize(sharp, _size(sharp, 2.0), interpolation=cv2.INTER_CUBIC))
    return image, lambda x, y: (x / 2 + left, y / 2 + top)


def _mirrored(view: View) -> View:
    image, back = view
    width = image.shape[1]
    return image[:, ::-1].copy(), lambda x, y: back(width - x, y)


def _crop(gray: numpy.ndarray, polygon: Polygon, transform: Callable[..., Any] | None) -> View:
    """The region around `polygon` with a margin, enlarged to about CROP_SIDE pixels."""
    import cv2

    x0, y0, x1, y1 = _box(polygon)
    margin = 0.25 * max(x1 - x0, y1 - y0, 20)
    left, top = max(0, math.floor(x0 - margin)), max(0, math.floor(y0 - margin))
    right, bottom = min(gray.shape[1], math.ceil(x1 + margin)), min(gray.shape[0], math.ceil(y1 + margin))
    crop = gray[top:bottom, left:right]
    if crop.size == 0:
        return crop, _identity
    factor = min(4.0, max(1.0, CROP_SIDE / max(crop.shape[:2])))
    if factor > 1:
        crop = cv2.resize(crop, _size(crop, factor), interpolation=cv2.INTER_CUBIC)
    if transform is not None:
        crop = transform(crop)
    return crop, lambda x, y: (x / factor + left, y / factor + top)


def _crop_steps(missed: list[Polygon]) -> Iterator[Step]:
    """Crops around each symbol seen but not read: cheap, and aimed where the code is."""
    for polygon in missed[:4]:
        for label, transform in (("", None), (" adaptive", _adaptive(31)), (" sharpened", _sharpen)):
            yield Step(
                f"zxing crop{label}",
                "zxing-cpp",
                lambda v, p=polygon, t=transform: _crop(v.gray, p, t),  # type: ignore[misc]
                rank=1,
            )
    # Then the same places with the symbol's outline straightened: a code on a
    # curved surface (a label round a bottle) has bowed top and bottom edges,
    # and zxing-cpp's grid, fitted to finder and alignment patterns, drifts
    # off the modules between them. Parts of one bent symbol are often seen
    # as several overlapping unread symbols: they are merged, and each is also
    # tried alone, as the fit depends on the crop (measured: of the curved
    # codes recovered, half came from the merged outline, half from a part).
    merged = _merged(missed)
    places = merged + [p for p in missed if p not in merged]
    for polygon in places[:8]:
        yield Step(
            "zxing crop straightened",
            "zxing-cpp",
            lambda v, p=polygon: _straightened(_crop(v.gray, p, None)),  # type: ignore[misc]
            rank=1,
        )


def _merged(polygons: list[Polygon]) -> list[Polygon]:
    """Overlapping outlines merged into their common bounding box (in first-seen order)."""
    boxes: list[list[float]] = []
    for polygon in polygons:
        box = list(_box(polygon))
        for other in boxes:
            if box[0] <= other[2] and other[0] <= box[2] and box[1] <= other[3] and other[1] <= box[3]:
                other[:] = [min(other[0], box[0]), min(other[1], box[1]), max(other[2], box[2]), max(other[3], box[3])]
                break
        else:
            boxes.append(box)
    return [((x0, y0), (x1, y0), (x1, y1), (x0, y1)) for x0, y0, x1, y1 in boxes]


def _straightened(view: View, transform: Callable[[numpy.ndarray], numpy.ndarray] | None = None) -> View:
    """`view` (a crop around one symbol) with the symbol's top and bottom edges made straight.

    The symbol is the largest dark blob once its modules are closed together;
    its top and bottom edge, column by column, are fitted with parabolas
    (a cylinder's silhouette shrink, or a page's bow), and each column is
    resampled so that both edges become straight lines. Columns keep their x.
    """
    import cv2
    import numpy as np

    image, back = view
    fitted = _edges(image)
    if fitted is None:
        return image[:0], back  # nothing like one symbol here: an empty view is skipped
    top, bottom = fitted
    height, width = image.shape[:2]
    xs = np.arange(width, dtype=np.float32)
    upper, lower = np.polyval(top, xs), np.polyval(bottom, xs)
    span = float((lower - upper).max())
    start = float(upper.min())
    if span < 8 or not np.all(lower - upper > 0.25 * span):
        return image[:0], back
    # Row y of the result shows row upper + (y - start) * (lower - upper) / span of the crop.
    gain = (lower - upper) / span
    rows = np.arange(height, dtype=np.float32)[:, None]
    map_y = (upper[None, :] + (rows - start) * gain[None, :]).astype(np.float32)
    map_x = np.broadcast_to(xs, (height, width)).astype(np.float32)
    out = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    if transform is not None:
        out = transform(out)

    def unbend(x: float, y: float) -> tuple[float, float]:
        column = min(max(x, 0.0), width - 1.0)
        up, low = float(np.polyval(top, column)), float(np.polyval(bottom, column))
        return back(x, up + (y - start) * (low - up) / span)

    return out, unbend


def _edges(image: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray] | None:
    """Parabolas fitted to the top and bottom edge of the symbol's dark blob, or None."""
    import cv2
    import numpy as np

    from ._finders import dark_mask

    dark = dark_mask(image)
    size = max(3, min(image.shape[:2]) // 25) | 1
    closed = cv2.morphologyEx(dark, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(closed)
    if count < 2:
        return None
    # The crop is centred on the symbol: its blob is the one under the centre
    # (the largest one could be the desk beside a bottle); else the largest.
    centre = int(labels[labels.shape[0] // 2, labels.shape[1] // 2])
    blob = labels == (centre or 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA])))
    depth = blob.sum(axis=0)
    columns = np.flatnonzero(depth > 0.2 * depth.max())
    if len(columns) < 10:
        return None
    height = blob.shape[0]
    tops = blob[:, columns].argmax(axis=0)
    bottoms = height - 1 - blob[::-1, columns].argmax(axis=0)
    return np.polyfit(columns, tops, 2), np.polyfit(columns, bottoms, 2)


def steps(effort: Effort) -> list[Step]:
    """The whole-image passes for `effort`, in order (chosen by benchmarks/decode.py)."""

    def upscaled(v: _Views) -> View:
        # Small images are enlarged for tiny codes; large ones sharpened instead.
        return v.scaled(1.5) if v.side <= 2700 else (_sharpen(v.gray), _identity)

    # Measured on benchmarks/corpus (see benchmarks/README.md), each step run
    # alone on the images whose first pass failed, ordered by codes recovered
    # per second: local thresholding first, then enlarging small codes, then
    # the wider scales and filters (each recovered at least one code alone);
    # the deblurred code-like regions come first on the hard set's figures
    # (3 codes, 0.1 s an image); the vertical stretch after adaptive-31, as the hard set's foreshortened pages
    # (benchmarks/corpus/hard) otherwise hit the budget before it. pyzbar, OpenCV, CLAHE and mirroring
    # recovered nothing there that zxing-cpp's passes had not, so they run
    # only at "thorough" (zxing-cpp already reads mirrored and inverted QR).
    deblurred = [
        Step(f"zxing deblurred region {sigma}", "zxing-cpp", lambda v, i=i, s=sigma: v.deblurred(i, s))  # type: ignore[misc]
        for i in range(3)
        for sigma in (1.6, 1.0)
    ]
    # A QR symbol whose finder pattern was torn off or washed out by a
    # reflection: the lost one drawn back from the other two (5 codes on the
    # hard set, 0.05 s an image, none read by any other step).
    rebuilt = [
        Step("zxing rebuilt finder", "zxing-cpp", lambda v, i=i: v.rebuilt(i))  # type: ignore[misc]
        for i in range(FINDER_GUESSES)
    ]
    normal = [
        *rebuilt,
        *deblurred,
        Step("zxing adaptive-31", "zxing-cpp", lambda v: _then(v.working(), _adaptive(31))),
        Step("zxing stretch-y 1.7", "zxing-cpp", lambda v: _stretched(v.working(), 1.7)),
        Step("zxing adaptive-15", "zxing-cpp", lambda v: _then(v.working(), _adaptive(15))),
        Step("zxing global-histogram", "zxing-cpp", _Views.working, options={"binarizer": "GlobalHistogram"}),
        Step(
            "zxing upscale adaptive-31",
            "zxing-cpp",
            lambda v: _then(v.scaled(1.5) if v.side <= 2700 else v.working(), _adaptive(31)),
        ),
        Step("zxing upscale-1.5", "zxing-cpp", upscaled),
        Step("zxing adaptive-51", "zxing-cpp", lambda v: _then(v.working(), _adaptive(51, 3))),
        Step("zxing sharpen", "zxing-cpp", lambda v: _then(v.working(), _sharpen)),
        Step("zxing scale 2 or 0.5", "zxing-cpp", lambda v: v.scaled(2.0) if v.side <= 2000 else v.scaled(0.5)),
        Step("zxing deglare", "zxing-cpp", lambda v: _then(v.working(), _deglare)),
        Step("plug-ins", "plug-ins", _Views.working),
    ]
    if effort != "thorough":
        return normal
    return [
        *normal,
        Step("pyzbar", "pyzbar", _Views.working),
        Step("opencv", "opencv", _Views.working),
        Step("zxing mirror", "zxing-cpp", lambda v: _mirrored(v.working())),
        Step("zxing clahe", "zxing-cpp", lambda v: _then(v.working(), _clahe)),
        Step("pyzbar sharpen", "pyzbar", lambda v: _then(v.working(), _sharpen)),
        Step("opencv clahe", "opencv", lambda v: _then(v.working(), _clahe)),
        Step("zxing mirror adaptive-31", "zxing-cpp", lambda v: _mirrored(_then(v.working(), _adaptive(31)))),
    ]
