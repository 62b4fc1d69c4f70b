"""QR codes that lost one finder pattern: the lost one is drawn back from the other two.

A torn-off corner, a specular blob or a stamp over one of the three finder
patterns leaves zxing-cpp nothing to place its grid on, although Reed-Solomon
could correct the data modules lost with it. The two finder patterns that
survive fix where the third one must be, up to a few choices (which side,
which corner); drawing a clean finder pattern there lets zxing-cpp place the
grid, and its error correction decides whether the guess was right. A wrong
guess samples a wrong grid, which Reed-Solomon refuses: a wrong payload would
need it to mis-correct a grid of noise into a valid codeword that also parses
as QR data, on the order of one chance in a million a guess for the weakest
symbol (version 1-L: 7 error-correction codewords) and vanishingly less for
the dense seals this is for; measured, 0 wrong payloads on both corpora.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy

__all__ = ["Guess", "dark_mask", "finder_like_count", "finder_patterns", "lost_finder_guesses", "rebuilt"]

#: Light regions (holes) above which a binarised image is not traced for finder patterns.
MOST_HOLES = 50_000


@dataclass(frozen=True)
class Guess:
    """Where a lost finder pattern would be, and the symbol it would complete."""

    finder: numpy.ndarray
    """The lost finder pattern's outline (4 x 2 float32, image coordinates)."""
    box: tuple[int, int, int, int]
    """The symbol's region with a margin (x0, y0, x1, y1): the crop that is decoded."""


def dark_mask(gray: numpy.ndarray, block: int = 31, offset: int = 5) -> numpy.ndarray:
    """255 where `gray` is darker than its neighbourhood (a Gaussian-weighted `block` x `block`) by `offset`, else 0."""
    import cv2

    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY_INV, block, offset)


def finder_patterns(bw: numpy.ndarray) -> list[numpy.ndarray]:
    """Outlines (4 x 2) of finder-pattern-like shapes in a binarised image (dark = 255).

    A finder pattern is a dark square ring, a light ring inside it and a dark
    square inside that: three nested contours whose areas stand about
    49 : 25 : 9 (generous bounds: blur and perspective bend the ratios).
    """
    import cv2
    import numpy as np

    # Security: OpenCV's contour hierarchy costs time more than quadratic in
    # the holes of one shape (measured, OpenCV 5.0: a grid of 1-pixel holes,
    # 89,000 of them 0.3 s, 359,000 16 s; a 2400-pixel checkerboard over 10
    # minutes), and the engine's deadline is checked only between steps. The
    # light regions are counted first, in linear time, and a texture with more
    # than a photo's worth of them is given up on (a QR symbol has a few
    # hundred; uniform noise at the working size about 31,000).
    if cv2.connectedComponents(cv2.bitwise_not(bw), connectivity=4)[0] > MOST_HOLES:
        return []
    contours, hierarchy = cv2.findContours(bw, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    links = hierarchy[0]
    # Only contours with a hole that itself holds a contour can be one: found
    # with numpy first, as a noisy photo has hundreds of thousands of contours.
    holes = links[:, 2]
    candidates = _nested(links)
    found = []
    for outer in candidates:
        contour, hole = contours[outer], holes[outer]
        core = links[hole][2]
        area, hole_area, core_area = (cv2.contourArea(c) for c in (contour, contours[hole], contours[core]))
        if area < 49 or core_area <= 0 or not (2.5 < area / core_area < 12 and 1.3 < area / max(hole_area, 1) < 3.5):
            continue
        quad = cv2.approxPolyDP(contour, 0.06 * cv2.arcLength(contour, True), True)
        if len(quad) == 4 and cv2.isContourConvex(quad):
            found.append(quad.reshape(4, 2).astype(np.float32))
    return found


def finder_like_count(gray: numpy.ndarray, rows: int = 120, window: int = 33) -> float:
    """About how many QR finder patterns `gray` holds, from `rows` sampled rows, in linear time.

    A row crossing a finder pattern's core reads dark, light, dark (3), light,
    dark in the ratios 1:1:3:1:1 against its local mean (a `window`-pixel box);
    a crossing counts when the column through the core's middle shows the same
    rings (dark at 1 and 3 modules up and down, light at 2 and 4), and weighs
    the sampling step over the core's height. Undercounts a dense texture by up
    to 3x; a photo with a few codes gives under 20, uniform noise about 40 a
    megapixel (measured: tools/hostile_images.py).
    """
    import numpy as np

    height, width = gray.shape
    # Rows drawn at random, not every n-th: a texture whose period divides a
    # fixed step would show the sample the same phase of every tile, and a
    # page of finder patterns could then read as none (measured: 1-pixel
    # finder tiles at 4000 px, every 16th row: 0 found). Each row stands for
    # height / rows rows.
    ys = np.sort(np.random.default_rng().choice(height, size=min(rows, height), replace=False))
    step = height / len(ys)
    sample = gray[ys].astype(np.int32)
    half = window // 2
    sums = np.cumsum(np.pad(sample, ((0, 0), (half + 1, half)), mode="edge"), axis=1)
    local = (sums[:, window:] - sums[:, :-window]) / window
    dark = (sample < local).ravel()
    # Runs of one colour over all sampled rows at once; a row's start always begins a run.
    change = np.ones(dark.size, dtype=bool)
    change[1:] = dark[1:] != dark[:-1]
    change[::width] = True
    starts = np.flatnonzero(change)
    lengths = np.diff(np.append(starts, dark.size))
    if len(starts) < 5:
        return 0.0
    n = len(starts) - 4
    runs = [lengths[i : i + n] for i in range(5)]
    row = starts[:n] // width
    unit = (runs[0] + runs[1] + runs[2] + runs[3] + runs[4]) / 7.0
    # Five runs of one row, starting dark, in the ratios 1:1:3:1:1 (half a module of slack).
    ok = dark[starts[:n]] & (row == (starts[4 : 4 + n] // width))
    for run, modules in zip(runs, (1, 1, 3, 1, 1), strict=True):
        ok &= np.abs(run - modules * unit) <= 0.5 * unit + 0.5
    hits = np.flatnonzero(ok)
    if hits.size == 0:
        return 0.0
    core = runs[2][hits]
    x = starts[hits + 2] % width + core // 2
    y = ys[row[hits]]
    threshold = local[row[hits], x]
    module = unit[hits]
    good = np.zeros(hits.size, dtype=bool)
    # The sampled row crosses the core anywhere in its height (a texture's period
    # can match the sampling step): the column is tried about centres near it.
    for shift in (-1.0, -0.5, 0.0, 0.5, 1.0):
        rings = np.ones(hits.size, dtype=bool)
        for modules, want_dark in ((0, True), (1, True), (2, False), (3, True), (4, False)):
            for sign in (1, -1):
                at = np.round(y + (shift + sign * modules) * module).astype(np.int64)
                inside = (at >= 0) & (at < height)
                rings &= inside & ((gray[np.clip(at, 0, height - 1), x] < threshold) == want_dark)
        good |= rings
    return float((step / np.maximum(core, 1))[good].sum())


def _nested(links: numpy.ndarray) -> numpy.ndarray:
    """Indices of contours whose first hole holds a contour (OpenCV's [next, previous, child, parent] rows)."""
    import numpy as np

    holes = links[:, 2]
    nested = np.zeros(len(links), dtype=bool)
    has_hole = holes >= 0
    nested[has_hole] = links[holes[has_hole], 2] >= 0
    return np.flatnonzero(nested)


def lost_finder_guesses(gray: numpy.ndarray, most: int) -> list[Guess]:
    """Where a third finder pattern would complete a QR symbol with two that survive.

    For each pair of finder patterns of about the same size and orientation:
    side by side (the pair is one side of the symbol), the third is beside
    either one, on either side; diagonal, it is at one of the two other
    corners. A guess is kept only when the symbol it outlines is about half
    dark, as a code's modules are (the paper beside a code is not).
    """
    import cv2
    import numpy as np

    # The median filter first: on a dim, noisy photo the threshold otherwise
    # turns sensor noise into ~170,000 specks, and tracing them costs 1.5 s
    # (measured); with it, 0.2 s at worst on the two corpora, no finder lost
    # (a fine texture made to be slow is refused by finder_patterns).
    bw = dark_mask(cv2.medianBlur(gray, 3))
    quads = finder_patterns(bw)
    if len(quads) > 12:
        return []  # a page of finder-like texture: pairs would only waste the budget
    scored: list[tuple[float, Guess]] = []
    present = [quad.mean(axis=0) for quad in quads]
    taken: list[numpy.ndarray] = []
    for a, b in itertools.permutations(quads, 2):
        for third, fourth in _third_corners(a, b):
            centre = third.mean(axis=0)
            module = math.sqrt(cv2.contourArea(a)) / 7
            if any(np.linalg.norm(centre - other) < 2 * module for other in present):
                continue  # a finder pattern is there: nothing was lost
            # This guess made already (a third of a module apart is the same
            # place; the two estimates of one pair are often further apart
            # than that, and both are tried).
            if any(np.linalg.norm(centre - other) < module / 3 for other in taken):
                continue
            outline = np.concatenate([a, b, third, fourth[None]])
            dark = _dark_share(bw, np.array([a.mean(axis=0), b.mean(axis=0), centre, fourth]))
            if not 0.25 < dark < 0.8:
                continue  # not taken: another pair may outline a symbol there
            taken.append(centre)
            x0, y0 = outline.min(axis=0)
            x1, y1 = outline.max(axis=0)
            margin = 0.15 * max(x1 - x0, y1 - y0)
            box = (
                max(0, math.floor(x0 - margin)),
                max(0, math.floor(y0 - margin)),
                min(gray.shape[1], math.ceil(x1 + margin)),
                min(gray.shape[0], math.ceil(y1 + margin)),
            )
            if box[2] - box[0] > 0 and box[3] - box[1] > 0:
                scored.append((abs(dark - 0.5), Guess(third, box)))
    scored.sort(key=lambda item: item[0])
    return [guess for _, guess in scored[:most]]


def _dark_share(bw: numpy.ndarray, corners: numpy.ndarray) -> float:
    """The share of dark pixels of `bw` inside the convex outline of `corners` (0 outside the image)."""
    import cv2
    import numpy as np

    low = np.maximum(np.floor(corners.min(axis=0)).astype(int), 0)
    high = np.minimum(np.ceil(corners.max(axis=0)).astype(int) + 1, (bw.shape[1], bw.shape[0]))
    if np.any(high <= low):
        return 0.0
    window = bw[low[1] : high[1], low[0] : high[0]]
    mask = np.zeros(window.shape, np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull((corners - low).astype(np.int32)), 255)
    inside = window[mask > 0]
    return float(inside.mean()) / 255 if inside.size else 0.0


def _third_corners(a: numpy.ndarray, b: numpy.ndarray) -> list[tuple[numpy.ndarray, numpy.ndarray]]:
    """(outline of the third finder pattern, centre of the symbol's fourth corner) for the pair `a`, `b`."""
    import cv2
    import numpy as np

    if not 0.5 < cv2.contourArea(a) / max(cv2.contourArea(b), 1e-6) < 2 or not _parallel(a, b):
        return []
    # a's sides, one module long: the symbol's axes near a. They tell whether
    # b is beside a or across the symbol from it, and give one estimate of
    # where the third pattern lies; the line between the two centres, turned
    # a right angle, gives another (more precise over a wide symbol seen
    # square-on, less so under perspective): both are tried.
    basis = np.stack([(a[1] - a[0]) / 7, (a[3] - a[0]) / 7], axis=1)
    if abs(np.linalg.det(basis)) < 1e-6:
        return []
    centre_a, centre_b = a.mean(axis=0), b.mean(axis=0)
    across, along = np.linalg.solve(basis, centre_b - centre_a)
    span = max(abs(across), abs(along))
    if span < 14:
        return []  # closer than the finder patterns of the smallest QR symbol
    between = centre_b - centre_a
    turned = np.array([-between[1], between[0]], dtype=np.float32)
    if min(abs(across), abs(along)) < 0.15 * span:
        # Side by side: the third is at a right angle from a, on either side.
        beside = basis @ (np.array([0.0, span]) if abs(across) > abs(along) else np.array([span, 0.0]))
        offsets = [sign * turned for sign in (1.0, -1.0)] + [sign * beside for sign in (1.0, -1.0)]
        return [(a + offset, centre_b + offset) for offset in offsets]
    if 0.8 < abs(across) / abs(along) < 1.25:
        # Diagonal: the third is at either other corner, the fourth opposite it.
        middle = (centre_a + centre_b) / 2
        corners = [middle + sign * turned / 2 for sign in (1.0, -1.0)]
        corners += [centre_a + basis @ step for step in (np.array([across, 0.0]), np.array([0.0, along]))]
        return [(a + (corner - centre_a), centre_a + centre_b - corner) for corner in corners]
    return []


def _parallel(a: numpy.ndarray, b: numpy.ndarray, tolerance: float = 12.0) -> bool:
    """Whether two outlines' sides run the same way (to `tolerance` degrees, modulo a right angle)."""
    first = math.degrees(math.atan2(*(a[1] - a[0])[::-1]))
    second = math.degrees(math.atan2(*(b[1] - b[0])[::-1]))
    difference = (first - second) % 90
    return min(difference, 90 - difference) < tolerance


def rebuilt(gray: numpy.ndarray, guess: Guess) -> numpy.ndarray:
    """The guess's crop of `gray` with a clean finder pattern drawn at `guess.finder`.

    The pattern is drawn in the crop's own dark and light (its 5th and 95th
    percentiles), with the one-module light separator round it, mapped
    through the perspective of the outline it copies.
    """
    import cv2
    import numpy as np

    x0, y0, x1, y1 = guess.box
    crop = gray[y0:y1, x0:x1].copy()
    if crop.size == 0:
        return crop
    dark, light = (int(v) for v in np.percentile(crop, (5, 95)))
    square = np.array([[0, 0], [7, 0], [7, 7], [0, 7]], dtype=np.float32)
    to_crop = cv2.getPerspectiveTransform(square, (guess.finder - np.array([x0, y0], dtype=np.float32)).astype(np.float32))
    for low, high, colour in ((-1, 8, light), (0, 7, dark), (1, 6, light), (2, 5, dark)):
        ring = np.array([[low, low], [high, low], [high, high], [low, high]], dtype=np.float32).reshape(-1, 1, 2)
        points = cv2.perspectiveTransform(ring, to_crop).reshape(-1, 2)
        # Sub-pixel corners (shift 4): a module is only a few pixels wide.
        cv2.fillConvexPoly(crop, np.round(points * 16).astype(np.int32), colour, lineType=cv2.LINE_AA, shift=4)
    return crop
