#!/usr/bin/env python3
"""The real-photo benchmark of issue 15: BoofCV's QR code data set, where you have it.

    python3 dev.py python benchmarks/boofcv.py PATH/TO/qrcodes [--efforts normal] [--category blurred]

The set is not on the build machine (only package registries are reachable
there), so this script is what turns "not measured" into one command.

Layout read (BoofCV's, as OpenCV's own QR benchmark reads it): one folder
per category (blurred, bright_spots, brightness, close, curved, damaged,
glare, high_version, lots, monitor, nominal, noncompliant, pathological,
perspective, rotations, shadows), each image (*.jpg, *.png) beside a text
file of the same stem whose numeric lines give the marked codes' corners:
x y for each of 4 corners, 8 numbers a code (lines that are not numbers, such
as comments and "SETS", are skipped).

A marked code counts as decoded by a method when one of the codes it reports
has its centre inside the marked outline. Payloads are not labelled in that
set, so a wrong payload shows as a disagreement: two methods reading the same
marked code as different texts (one of them is wrong; bytes that spell the
same text in UTF-8, Shift-JIS or Latin-1 agree, as pyzbar and OpenCV re-encode
what they read as UTF-8), counted for each method against the others; and a code reported where nothing is marked is
counted as unmarked. The first figure is each method's share of marked
codes; then, per category, the images where a method decodes nothing.
Images are read as 8-bit gray once; times are per image, decoding only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

Point = tuple[float, float]
Found = list[tuple[bytes, Point]]  # (payload, centre) for every code a method reports
Method = Callable[[Any], Found]


def marked_codes(label: Path) -> list[list[Point]]:
    """The outlines (4 corners each) marked in one BoofCV label file."""
    numbers: list[float] = []
    for line in label.read_text(errors="replace").splitlines():
        try:
            numbers += [float(word) for word in line.split()]
        except ValueError:
            continue  # a comment, "SETS", or any other line that is not all numbers
    usable = len(numbers) - len(numbers) % 8
    return [[(numbers[i + 2 * k], numbers[i + 2 * k + 1]) for k in range(4)] for i in range(0, usable, 8)]


def images(root: Path, category: str | None = None) -> Iterator[tuple[str, Path, list[list[Point]]]]:
    """(category, image, marked outlines) for every labelled image under `root`, in name order."""
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if category is not None and folder.name != category:
            continue
        for image in sorted(folder.iterdir()):
            label = image.with_suffix(".txt")
            if image.suffix.lower() in {".jpg", ".jpeg", ".png"} and label.is_file():
                yield folder.name, image, marked_codes(label)


def inside(point: Point, outline: list[Point]) -> bool:
    """Whether `point` lies inside the polygon `outline` (even-odd rule)."""
    x, y = point
    result = False
    for (x0, y0), (x1, y1) in zip(outline, outline[1:] + outline[:1], strict=True):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            result = not result
    return result


def _centre(points: Any) -> Point:
    xs, ys = [float(p[0]) for p in points], [float(p[1]) for p in points]
    return sum(xs) / len(xs), sum(ys) / len(ys)


def zxing_alone(gray: Any) -> Found:
    import zxingcpp

    found = []
    for barcode in zxingcpp.read_barcodes(gray):
        p = barcode.position
        corners = [(c.x, c.y) for c in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)]
        found.append((bytes(barcode.bytes), _centre(corners)))
    return found


def pyzbar_alone(gray: Any) -> Found:
    from pyzbar import pyzbar

    height, width = gray.shape[:2]
    symbols = pyzbar.decode((gray.tobytes(), width, height), symbols=[pyzbar.ZBarSymbol.QRCODE])
    return [(bytes(s.data), _centre([(p.x, p.y) for p in s.polygon])) for s in symbols if s.polygon]


def opencv_alone(gray: Any) -> Found:
    import cv2

    ok, texts, points, _ = cv2.QRCodeDetectorAruco().detectAndDecodeMulti(gray)
    if not ok or points is None:
        return []
    return [(text.encode("utf-8"), _centre(corners)) for text, corners in zip(texts, points, strict=False) if text]


def engine(effort: str) -> Method:
    from scanverify.decode._engine import decode_gray

    def run(gray: Any) -> Found:
        return [(code.payload, _centre(code.polygon)) for code in decode_gray(gray, effort=effort) if code.polygon]

    return run


def _readings(payload: bytes) -> set[str]:
    """The texts a payload's bytes can spell in the character sets QR codes use."""
    texts = set()
    for charset in ("utf-8", "shift_jis", "latin-1"):
        try:
            texts.add(payload.decode(charset))
        except UnicodeDecodeError:
            continue
    return texts


def _same_text(a: bytes, b: bytes) -> bool:
    """Whether two decoders read the same symbol: pyzbar and OpenCV give text mode's
    UTF-8 re-encoding of what zxing-cpp and scanverify give as the symbol's own bytes."""
    return a == b or bool(_readings(a) & _readings(b))


@dataclass
class Tally:
    """What one method did on one category."""

    decoded: int = 0
    unmarked: int = 0
    disagreements: int = 0
    blank_images: int = 0
    times: list[float] = field(default_factory=list)


def evaluate(
    corpus: list[tuple[str, Path, list[list[Point]]]], methods: dict[str, Method]
) -> tuple[dict[str, dict[str, Tally]], dict[str, int], dict[str, int]]:
    """Per category and method, what was decoded; and per category, the marked codes and images."""
    from scanverify.decode import load_image

    tallies: dict[str, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    marked: dict[str, int] = defaultdict(int)
    pictures: dict[str, int] = defaultdict(int)
    for category, path, outlines in corpus:
        gray = load_image(path)
        marked[category] += len(outlines)
        pictures[category] += 1
        reads: dict[str, list[bytes | None]] = {}
        for name, method in methods.items():
            started = time.perf_counter()
            found = method(gray)
            tally = tallies[category][name]
            tally.times.append(time.perf_counter() - started)
            per_code: list[bytes | None] = [None] * len(outlines)
            for payload, centre in found:
                hits = [i for i, outline in enumerate(outlines) if inside(centre, outline)]
                if not hits:
                    tally.unmarked += 1
                for i in hits:
                    per_code[i] = payload
            reads[name] = per_code
            tally.decoded += sum(payload is not None for payload in per_code)
            tally.blank_images += not any(payload is not None for payload in per_code) and bool(outlines)
        union = tallies[category]["union-of-3"]
        union.decoded += sum(
            any(reads[n][i] is not None for n in ("zxing-cpp", "pyzbar", "opencv") if n in reads)
            for i in range(len(outlines))
        )
        for name, per_code in reads.items():
            for i, payload in enumerate(per_code):
                others = [reads[o][i] for o in reads if o != name]
                if payload is not None and any(o is not None and not _same_text(payload, o) for o in others):
                    tallies[category][name].disagreements += 1
    return tallies, marked, pictures


def report(tallies: dict[str, dict[str, Tally]], marked: dict[str, int], pictures: dict[str, int]) -> None:
    names: list[str] = []
    for row in tallies.values():
        names += [n for n in row if n not in names]
    total = sum(marked.values())
    print(f"{sum(pictures.values())} images, {total} marked codes\n")
    print(f"{'method':<20}{'decoded':>9}{'share':>8}{'unmarked':>10}{'disagree':>10}{'median ms':>11}")
    for name in names:
        rows = [row[name] for row in tallies.values() if name in row]
        decoded = sum(t.decoded for t in rows)
        times = [s for t in rows for s in t.times]
        median = f"{statistics.median(times) * 1000:>11.1f}" if times else f"{'-':>11}"
        print(
            f"{name:<20}{decoded:>9}{decoded / max(total, 1):>8.1%}{sum(t.unmarked for t in rows):>10}"
            f"{sum(t.disagreements for t in rows):>10}{median}"
        )
    print("\nby category: decoded / marked (images with nothing decoded)")
    print(f"{'category':<14}" + "".join(f"{n.replace('scanverify-', 'sv-'):>16}" for n in names))
    for category in sorted(tallies):
        cells = []
        for name in names:
            t = tallies[category][name]
            blank = "" if name == "union-of-3" else f" ({t.blank_images})"
            cells.append(f"{t.decoded:>5}/{marked[category]:<4}{blank:<6}")
        print(f"{category:<14}" + "".join(f"{c:>16}" for c in cells))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path, help="the data set's folder (one sub-folder per category)")
    parser.add_argument("--efforts", default="normal", help="scanverify efforts to run, comma-separated")
    parser.add_argument("--category", help="only this category")
    args = parser.parse_args()
    if not args.root.is_dir():
        print(f"boofcv.py: {args.root} is not a folder", file=sys.stderr)
        return 2
    import cv2

    cv2.setNumThreads(1)  # one core per image, as in benchmarks/decode.py
    methods: dict[str, Method] = {"zxing-cpp": zxing_alone, "pyzbar": pyzbar_alone, "opencv": opencv_alone}
    for effort in args.efforts.split(","):
        methods[f"scanverify-{effort}"] = engine(effort)
    corpus = list(images(args.root, args.category))
    if not corpus:
        print(f"boofcv.py: no labelled images (an image beside a .txt of corners) under {args.root}", file=sys.stderr)
        return 2
    report(*evaluate(corpus, methods))
    return 0


if __name__ == "__main__":
    sys.exit(main())
