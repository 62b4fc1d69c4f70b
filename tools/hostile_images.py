#!/usr/bin/env python3
"""Hostile images against the decoder: time and peak memory of each, re-measurable.

    python3 dev.py python tools/hostile_images.py                 # every input, normal and thorough
    python3 dev.py python tools/hostile_images.py --only checker  # inputs whose name holds "checker"
    python3 dev.py python tools/hostile_images.py --effort normal --cli --list

Each input is made at run time (fixed seeds; nothing large is stored) in a
fresh child process, which then calls ``scanverify.decode.decode_image(...,
effort=E)`` once and reports: seconds, the process's peak resident memory
during the call (VmHWM, reset just before it through /proc/self/clear_refs,
so the input's own making is not counted; the whole process's peak is shown
too), the outcome (codes found, or the exception's type and message), and the
slowest escalation step. The parent kills a child that runs past --timeout and
says so. With --cli, file inputs are also run through ``scanverify --json``
(exit code, whether a traceback was printed).

The budget is 1 s of escalation at normal, 5 s at thorough (decode/_engine.py
BUDGET), after the first zxing-cpp pass; "over" marks a call slower than
3x budget + 1 s, or one that raised anything but ImageError.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BUDGET = {"fast": 0.0, "normal": 1.0, "thorough": 5.0}


# ---------------------------------------------------------------- the inputs
def _np() -> Any:
    import numpy as np

    return np


def checker(pitch: int, side: int = 2400) -> Any:
    np = _np()
    return ((np.indices((side, side)) // pitch).sum(axis=0) % 2 * 255).astype(np.uint8)


def random_dots(block: int, side: int = 2400, seed: int = 1) -> Any:
    np = _np()
    cells = np.random.default_rng(seed).integers(0, 2, (side // block + 1, side // block + 1), dtype=np.uint8) * 255
    return np.ascontiguousarray(cells.repeat(block, 0).repeat(block, 1)[:side, :side])


def gray_noise(width: int = 2400, height: int = 2400, seed: int = 2) -> Any:
    np = _np()
    return np.random.default_rng(seed).integers(0, 256, (height, width), dtype=np.uint8)


def finder_tiles(module: int, side: int = 2400) -> Any:
    """A page tiled with QR finder patterns (7x7 modules) and a one-module gap."""
    np = _np()
    finder = np.zeros((7, 7), np.uint8)
    finder[1:6, 1:6] = 255
    finder[2:5, 2:5] = 0
    tile = np.full((8, 8), 255, np.uint8)
    tile[:7, :7] = finder
    tile = tile.repeat(module, 0).repeat(module, 1)
    reps = side // tile.shape[0] + 1
    return np.ascontiguousarray(np.tile(tile, (reps, reps))[:side, :side])


def many_qr(module: int, damaged: bool, side: int = 2400, seed: int = 3) -> Any:
    """A page of small real QR codes (version 1); damaged: data modules flipped so EC fails."""
    np = _np()
    import segno

    rng = np.random.default_rng(seed)
    page = np.full((side, side), 255, np.uint8)
    step = (21 + 4) * module
    n = 0
    for top in range(2 * module, side - step, step):
        for left in range(2 * module, side - step, step):
            matrix = np.array(segno.make_qr(f"Q{n}", version=1, error="l").matrix, dtype=bool)
            n += 1
            if damaged:
                # Flip about a third of the modules away from the finder patterns.
                flip = rng.random(matrix.shape) < 0.33
                flip[:9, :9] = flip[:9, -9:] = flip[-9:, :9] = False
                matrix = matrix ^ flip
            code = np.where(matrix, 0, 255).astype(np.uint8).repeat(module, 0).repeat(module, 1)
            page[top : top + code.shape[0], left : left + code.shape[1]] = code
    return page


def dither(side: int = 2400, seed: int = 4) -> Any:
    """Floyd-Steinberg dither of smooth noise (Pillow's convert("1"))."""
    np = _np()
    import cv2
    from PIL import Image

    low = np.random.default_rng(seed).integers(0, 256, (side // 40, side // 40), dtype=np.uint8)
    smooth = cv2.resize(low, (side, side), interpolation=cv2.INTER_CUBIC)
    return np.asarray(Image.fromarray(smooth).convert("1").convert("L"))


def blobs(size: int, pitch: int, side: int = 2400) -> Any:
    """Isolated dark squares on white: many connected components."""
    np = _np()
    tile = np.full((pitch, pitch), 255, np.uint8)
    tile[:size, :size] = 0
    reps = side // pitch + 1
    return np.ascontiguousarray(np.tile(tile, (reps, reps))[:side, :side])


def blobs_code_like(side: int = 2400, seed: int = 5) -> Any:
    """Many small patches of random modules: each looks like a 2D code to _code_like_regions."""
    np = _np()
    rng = np.random.default_rng(seed)
    page = np.full((side, side), 255, np.uint8)
    for top in range(0, side - 60, 60):
        for left in range(0, side - 60, 60):
            patch = rng.integers(0, 2, (10, 10), dtype=np.uint8).repeat(4, 0).repeat(4, 1) * 255
            page[top : top + 40, left : left + 40] = patch
    return page


def stripes(pitch: int, vertical: bool, side: int = 2400) -> Any:
    np = _np()
    line = (np.arange(side) // pitch % 2 * 255).astype(np.uint8)
    return np.ascontiguousarray(np.broadcast_to(line[None, :] if vertical else line[:, None], (side, side)))


def thin(width: int, height: int, seed: int = 6) -> Any:
    return random_dots(1, 1, seed) if False else _np().random.default_rng(seed).integers(0, 2, (height, width), dtype=_np().uint8) * 255


def blurred_noise(side: int = 2400, seed: int = 7) -> Any:
    """Binary noise in 4-pixel modules, focus-blurred: no symbol seen, code-like everywhere."""
    import cv2

    return cv2.GaussianBlur(random_dots(4, side, seed), (0, 0), 2.5)


# ---- encoded files (bytes) and documents (paths)
def _png(array: Any, **params: Any) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(array).save(out, "PNG", **params)
    return out.getvalue()


def png16_noise() -> bytes:
    np = _np()
    import io

    from PIL import Image

    values = np.random.default_rng(8).integers(0, 65536, (2400, 2400), dtype=np.uint16)
    out = io.BytesIO()
    Image.fromarray(values).save(out, "PNG")
    return out.getvalue()


def float_tiff_nan() -> bytes:
    np = _np()
    import io

    from PIL import Image

    values = np.random.default_rng(9).random((1200, 1200), dtype=np.float32)
    values[::7] = np.nan
    values[::11] = np.inf
    values[::13] = -np.inf
    out = io.BytesIO()
    Image.fromarray(values, mode="F").save(out, "TIFF")
    return out.getvalue()


def cmyk_jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(checker(1, 1600)).convert("CMYK").save(out, "JPEG", quality=90)
    return out.getvalue()


def progressive_jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(random_dots(1, 3000)).save(out, "JPEG", quality=95, progressive=True)
    return out.getvalue()


def exif_rotated_jpeg() -> bytes:
    import io

    from PIL import Image

    image = Image.fromarray(random_dots(2, 2400))
    exif = image.getexif()
    exif[0x0112] = 6
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def palette_alpha_png() -> bytes:
    from PIL import Image

    image = Image.fromarray(random_dots(1, 2400)).convert("P")
    return _png_image(image, transparency=0)


def _png_image(image: Any, **params: Any) -> bytes:
    import io

    out = io.BytesIO()
    image.save(out, "PNG", **params)
    return out.getvalue()


def png_bomb(width: int, height: int) -> bytes:
    """A PNG whose header says width x height, with a little valid data (a bomb is refused on its header)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\0\xff" * 64)  # a little data: the header is what is checked
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def png_at_limit() -> bytes:
    """A 10950 x 10950 (119.9 MP, just under the 120 MP limit) gray PNG of binary noise in 8-pixel blocks."""
    return _png(random_dots(8, 10950, seed=10))


def truncated_png() -> bytes:
    return png16_noise()[:200_000]


def multi_tiff(frames: int) -> Any:
    """A TIFF of `frames` frames of 16 x 16 noise, as a path."""
    np = _np()
    from PIL import Image

    rng = np.random.default_rng(11)
    images = [Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8)) for _ in range(frames)]
    path = Path(tempfile.mkdtemp()) / "frames.tif"
    images[0].save(path, save_all=True, append_images=images[1:])
    return str(path)


def pdf(pages: int, width_pt: float, height_pt: float, user_unit: float = 1.0, content: bytes = b"") -> Any:
    """A hand-written PDF of `pages` pages of one size (UserUnit scales a point), as a path."""
    objects: list[bytes] = []
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Count {pages} /Kids [{kids}] >>".encode())
    for i in range(pages):
        unit = f" /UserUnit {user_unit}" if user_unit != 1.0 else ""
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width_pt} {height_pt}]{unit} /Contents {4 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path = Path(tempfile.mkdtemp()) / "doc.pdf"
    path.write_bytes(bytes(out))
    return str(path)


def pdf_checker_page() -> Any:
    """One A4 page filled with a fine checkerboard drawn as a tiling pattern (rendered at 300 dpi)."""
    cells = b" ".join(b"%d %d 1 1 re" % (x, y) for y in range(0, 8) for x in range(y % 2, 8, 2))
    # A fine grid of rectangles, 0.25 pt each (about one pixel at 300 dpi), over the page.
    rows = []
    for y in range(0, 842 * 4, 2):
        rows.append(b"0 %.2f 595 0.25 re" % (y / 4))
    content = b"0 g " + b" ".join(rows) + b" f " + cells
    return pdf(1, 595, 842, content=content)


CASES: dict[str, Callable[[], Any]] = {
    "checker-1px": lambda: checker(1),
    "checker-2px": lambda: checker(2),
    "checker-3px": lambda: checker(3),
    "checker-5px": lambda: checker(5),
    "random-dots-1px": lambda: random_dots(1),
    "random-dots-2px": lambda: random_dots(2),
    "random-dots-3px": lambda: random_dots(3),
    "gray-noise": gray_noise,
    "gray-noise-12MP": lambda: gray_noise(4000, 3000),
    "blurred-noise": blurred_noise,
    "finder-tiles-1px": lambda: finder_tiles(1),
    "finder-tiles-2px": lambda: finder_tiles(2),
    "finder-tiles-4px": lambda: finder_tiles(4),
    "many-qr-2px": lambda: many_qr(2, damaged=False),
    "many-qr-damaged-2px": lambda: many_qr(2, damaged=True),
    "many-qr-damaged-4px": lambda: many_qr(4, damaged=True),
    "dither": dither,
    "blobs-1px-pitch3": lambda: blobs(1, 3),
    "blobs-11px-pitch20": lambda: blobs(11, 20),
    "blobs-code-like": blobs_code_like,
    "stripes-h-1px": lambda: stripes(1, False),
    "stripes-v-1px": lambda: stripes(1, True),
    "thin-1000000x8": lambda: thin(1_000_000, 8),
    "thin-8x1000000": lambda: thin(8, 1_000_000),
    "random-dots-48MP": lambda: random_dots(2, 6928),
    # encoded files
    "file-png16-noise": png16_noise,
    "file-float-tiff-nan-inf": float_tiff_nan,
    "file-cmyk-jpeg": cmyk_jpeg,
    "file-progressive-jpeg": progressive_jpeg,
    "file-exif6-jpeg": exif_rotated_jpeg,
    "file-palette-alpha-png": palette_alpha_png,
    "file-bomb-header-1Gpx": lambda: png_bomb(40000, 25000),
    "file-bomb-width-2^31": lambda: png_bomb(2**31 - 1, 8),
    "file-png-at-limit-120MP": png_at_limit,
    "file-truncated-png": truncated_png,
    "file-1px-wide": lambda: _png(gray_noise(1, 2400)),
    "file-8px-wide": lambda: _png(gray_noise(8, 2400)),
    # documents (verify_image goes through every page)
    "doc-tiff-3000-frames": lambda: multi_tiff(3000),
    "doc-pdf-2000-pages": lambda: pdf(2000, 595, 842),
    "doc-pdf-huge-page": lambda: pdf(1, 14400, 14400, user_unit=75000.0),
    "doc-pdf-fine-page": pdf_checker_page,
}


# ---------------------------------------------------------------- the child
def _hwm_kb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def _rss_kb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def child(name: str, effort: str, through: str) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    import cv2
    import numpy  # noqa: F401

    import scanverify
    from scanverify.decode import _engine

    cv2.setNumThreads(1)
    source = CASES[name]()
    if isinstance(source, bytes):
        path = Path(tempfile.mkdtemp()) / "input"
        path.write_bytes(source)
        source = str(path)
    trace: list[tuple[str, int, float]] = []
    real = _engine._decode_gray

    def traced(*args: Any, **kwargs: Any) -> Any:
        return real(*args, **{**kwargs, "trace": trace})

    _engine._decode_gray = traced  # type: ignore[assignment]
    import gc

    gc.collect()
    before_rss = _rss_kb()
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
    except OSError:
        pass
    outcome: str
    started = time.monotonic()
    try:
        if through == "decode":
            codes = scanverify.decode.decode_image(source, effort=effort)  # type: ignore[arg-type]
            outcome = f"{len(codes)} codes, {codes.unread} unread"
        else:
            verifier = scanverify.Verifier(trust=scanverify.TrustStore(), effort=effort)
            results = verifier.verify_image(source)
            outcome = f"{len(results)} results: " + ",".join(sorted({r.status.value for r in results}))
    except scanverify.ImageError as exc:
        outcome = f"ImageError: {exc}"
    except Exception as exc:
        outcome = f"UNEXPECTED {type(exc).__name__}: {exc}"
    seconds = time.monotonic() - started
    slowest = max(trace, key=lambda t: t[2]) if trace else None
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": (_hwm_kb() - before_rss) / 1024,
                "process_peak_mb": _hwm_kb() / 1024,
                "outcome": " ".join(outcome.split())[:160],
                "steps": len(trace),
                "slowest": f"{slowest[0]} {slowest[2]:.2f}s" if slowest else "",
                "outside_steps": seconds - sum(t[2] for t in trace),
                "trace": [(t[0], round(t[2], 3)) for t in trace],
            }
        )
    )


def run_cli(name: str, timeout: float) -> str:
    """`scanverify --json FILE` on a file input: exit code, and whether a traceback was printed."""
    sys.path.insert(0, str(ROOT / "src"))
    source = CASES[name]()
    if isinstance(source, bytes):
        path = Path(tempfile.mkdtemp()) / "input"
        path.write_bytes(source)
        source = str(path)
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "scanverify", "--json", "--no-default-trust", source],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        return f"cli: TIMEOUT after {timeout:.0f}s"
    seconds = time.monotonic() - started
    traceback = "Traceback" in done.stderr or "Traceback" in done.stdout
    first = (done.stderr.strip().splitlines() or [""])[-1][:100]
    return f"cli: exit {done.returncode} in {seconds:.1f}s{' TRACEBACK' if traceback else ''} {first}"


# ---------------------------------------------------------------- the parent
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", help="inputs whose name contains this (repeatable)")
    parser.add_argument("--effort", default="normal,thorough", help="comma-separated efforts")
    parser.add_argument("--through", choices=("decode", "verify"), default="decode", help="decode_image or Verifier.verify_image")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds before a child is killed")
    parser.add_argument("--cli", action="store_true", help="also run file inputs through `scanverify --json`")
    parser.add_argument("--steps", action="store_true", help="print every escalation step's seconds")
    parser.add_argument("--list", action="store_true", help="list the inputs and stop")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--cli-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.cli_child:
        print(run_cli(args.cli_child, args.timeout))
        return
    names = [n for n in CASES if not args.only or any(o in n for o in args.only)]
    if args.list:
        print("\n".join(names))
        return
    efforts = args.effort.split(",")
    print("| input | effort | seconds | first pass etc. s | peak MB (call) | peak MB (process) | steps | slowest step | outcome |")
    print("|---|---|--:|--:|--:|--:|--:|---|---|")
    for name in names:
        for effort in efforts:
            command = [sys.executable, __file__, "--child", name, effort, args.through]
            started = time.monotonic()
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)
            except subprocess.TimeoutExpired:
                print(f"| {name} | {effort} | > {args.timeout:.0f} | | | | | | KILLED (timeout) OVER |", flush=True)
                continue
            lines = done.stdout.strip().splitlines()
            if done.returncode != 0 or not lines:
                error = (done.stderr.strip().splitlines() or ["?"])[-1][:120]
                print(f"| {name} | {effort} | {time.monotonic() - started:.1f} | | | | | | CHILD FAILED {done.returncode}: {error} |", flush=True)
                continue
            r = json.loads(lines[-1])
            over = r["seconds"] > 3 * BUDGET[effort] + 1 or r["outcome"].startswith("UNEXPECTED")
            print(
                f"| {name} | {effort} | {r['seconds']:.2f} | {r['outside_steps']:.2f} | {r['peak_mb']:.0f} | {r['process_peak_mb']:.0f} | {r['steps']} "
                f"| {r['slowest']} | {r['outcome']}{' **OVER**' if over else ''} |",
                flush=True,
            )
            if args.steps:
                print("    " + ", ".join(f"{n} {t:.2f}" for n, t in r["trace"]), flush=True)
        if args.cli and (name.startswith("file-") or name.startswith("doc-")):
            try:
                done = subprocess.run(
                    [sys.executable, __file__, "--cli-child", name, "--timeout", str(args.timeout)],
                    capture_output=True, text=True, timeout=args.timeout + 60,
                )
                print(f"| {name} | cli | | | | | | {done.stdout.strip() or done.stderr.strip()[-200:]} |", flush=True)
            except subprocess.TimeoutExpired:
                print(f"| {name} | cli | | | | | | cli: KILLED |", flush=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
