#!/usr/bin/env python3
"""Peak memory of decoding large images: scanverify against plain zxing-cpp, in one run.

    python3 dev.py python benchmarks/memory.py [--side 6000] [--keep DIR]

Makes, in a temporary directory, `side` x `side` images (36 MP by default)
holding one QR code: 16-bit gray PNG, 8-bit RGBA PNG, palette PNG with a
transparent colour, RGB JPEG, 16-bit gray TIFF, 32-bit float TIFF. For each,
two fresh processes read the same file:

- baseline: Pillow opens it, converts it to 8-bit gray (``convert("L")``, or
  for 16-bit / float ``convert("L")`` after ``point``-free clipping, i.e. what
  zxing-cpp needs) and ``zxingcpp.read_barcodes`` reads it once;
- scanverify: ``scanverify --json FILE`` in-process (``cli.run``), the whole
  command: loading, the decode engine with its escalation, verification.

Each process reports its own peak resident set size (VmHWM), so the
figures are the whole process, imports included; "imports" is a process that
only imports scanverify's heavy dependencies. Issue 9's target: a 36 MP
16-bit or RGBA PNG peaks under 600 MB for the whole process.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

CHILD = r"""
import json, sys
sys.path.insert(0, {src!r})
mode, path = sys.argv[1], sys.argv[2]
found = None
if mode == "imports":
    import numpy, cv2, zxingcpp, PIL.Image, scanverify.cli  # noqa: F401
elif mode == "baseline":
    import zxingcpp
    from PIL import Image
    image = Image.open(path)
    if image.mode not in ("L", "RGB", "RGBA"):
        image = image.convert("L")
    found = [bytes(b.bytes)[:8].decode("latin-1") for b in zxingcpp.read_barcodes(image)]
else:
    import contextlib, io
    from scanverify.cli import run
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = run(["--json", "--quiet", "--no-default-trust", "--effort", sys.argv[3], path])
    found = [json.loads(line)["status"] for line in out.getvalue().splitlines()]
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the parent
# (which made the images), VmHWM is this process's own high-water mark.
with open("/proc/self/status") as status:
    hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({{"peak_mb": hwm / 1024, "found": found}}))
"""


def make_images(folder: Path, side: int) -> dict[str, Path]:
    import numpy as np
    import segno
    from PIL import Image

    qr = segno.make("HELLO-MEMORY-BENCHMARK", error="m")
    module = max(4, side // 300)
    code = np.array(
        [[0 if dark else 255 for dark in row] for row in qr.matrix], dtype=np.uint8
    ).repeat(module, 0).repeat(module, 1)
    code = np.pad(code, 4 * module, constant_values=255)
    # A light-gray page with the code in its middle: compresses well (a small
    # file), decodes to many pixels.
    page = np.full((side, side), 230, dtype=np.uint8)
    top = (side - code.shape[0]) // 2
    page[top : top + code.shape[0], top : top + code.shape[1]] = code
    made: dict[str, Path] = {}

    wide = page.astype(np.uint16) * 257
    made["png-16bit-gray"] = folder / "gray16.png"
    Image.fromarray(wide).save(made["png-16bit-gray"])  # mode I;16
    made["tiff-16bit-gray"] = folder / "gray16.tif"
    Image.fromarray(wide).save(made["tiff-16bit-gray"], compression="tiff_deflate")
    del wide

    rgba = np.empty((side, side, 4), dtype=np.uint8)
    rgba[..., :3] = page[..., None]
    rgba[..., 3] = 255
    made["png-rgba"] = folder / "rgba.png"
    Image.fromarray(rgba, "RGBA").save(made["png-rgba"])
    made["jpeg-rgb"] = folder / "rgb.jpg"
    Image.fromarray(rgba[..., :3].copy(), "RGB").save(made["jpeg-rgb"], quality=90)
    del rgba

    palette = Image.fromarray(page).convert("P")
    background = int(np.asarray(palette.crop((0, 0, 1, 1)))[0, 0])  # the page, not the code, is transparent
    made["png-palette-transparent"] = folder / "palette.png"
    palette.save(made["png-palette-transparent"], transparency=background)
    del palette

    # No code at all: the engine runs every escalation step it has time for.
    ramp = np.linspace(0, 65535, side, dtype=np.float32)
    made["png-16bit-no-code"] = folder / "nocode16.png"
    Image.fromarray((ramp[None, :] * 0.5 + ramp[:, None] * 0.5).astype(np.uint16)).save(made["png-16bit-no-code"])
    del ramp

    made["tiff-float32"] = folder / "float.tif"
    Image.fromarray(page.astype(np.float32) / 255.0, "F").save(made["tiff-float32"], compression="tiff_deflate")
    return made


def measure(mode: str, path: Path | str, effort: str = "normal") -> dict[str, object]:
    script = CHILD.format(src=str(ROOT / "src"))
    done = subprocess.run(
        [sys.executable, "-c", script, mode, str(path), effort], capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode != 0:
        return {"peak_mb": float("nan"), "found": f"failed: {done.stderr.strip().splitlines()[-1:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--side", type=int, default=6000, help="image side in pixels (default 6000: 36 MP)")
    parser.add_argument("--keep", type=Path, default=None, help="make the images here and keep them")
    parser.add_argument("--effort", default="normal", choices=["fast", "normal", "thorough"])
    parser.add_argument("--only", default=None, help="comma-separated image kinds to run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        images = make_images(folder, args.side)
        if args.only:
            images = {k: v for k, v in images.items() if k in args.only.split(",")}
        imports = measure("imports", "")
        print(f"{args.side} x {args.side} = {args.side * args.side / 1e6:g} MP; peak RSS of the whole process, MB")
        print(f"imports only: {imports['peak_mb']:.0f}; scanverify --effort {args.effort}")
        print(f"{'image':<26} {'file MB':>8} {'zxing-cpp':>10} {'scanverify':>11}  found (baseline / scanverify)")
        for kind, path in images.items():
            base, ours = measure("baseline", path), measure("scanverify", path, args.effort)
            size = path.stat().st_size / 1e6
            print(
                f"{kind:<26} {size:>8.1f} {base['peak_mb']:>10.0f} {ours['peak_mb']:>11.0f}  "
                f"{base['found']} / {ours['found']}"
            )


if __name__ == "__main__":
    main()
