#!/usr/bin/env python3
"""Rebuild the labelled decode corpus in benchmarks/corpus/ (deterministic).

    python3 benchmarks/make_corpus.py [--quick] [--set standard|hard|all]

Pages with QR codes are rendered and photographed by tools/photosim.py with
one hard condition each, in graded severities: motion and focus blur,
perspective, curvature, glare, shadow, low light and noise, JPEG, screen
moiré, damage, tiny codes in 12-megapixel frames, several codes per frame.
labels.json lists every image's exact expected payloads (hex) and condition.

`--set hard` writes benchmarks/corpus/hard/ instead: the categories of BoofCV's
QR benchmark of real phone photos (blurred, bright spots, brightness, close,
curved, damaged, glare, high version, lots, monitor, nominal, noncompliant,
pathological, perspective, rotations, shadows), made with photosim's models of
what those photos show: codes on a cylinder, hard specular blobs, tears,
scuffs and folds, monitors' pixel grids, strong foreshortening, QR versions
25-40, a dozen codes per frame.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import string
import sys
from pathlib import Path
from typing import Any

import numpy as np
import segno
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tools"))

import photosim  # noqa: E402
from photosim import phone_photo  # noqa: E402

OUT = HERE / "corpus"
B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

# condition -> list of (severity name, phone_photo options)
CONDITIONS: dict[str, list[tuple[str, dict[str, object]]]] = {
    "clean": [("-", {"focus": 0.6, "noise": 1.5, "shadow": 0.0, "gradient": 0.1})],
    "perspective": [("mild", {"tilt": 0.12, "rotate_deg": 15}), ("strong", {"tilt": 0.25, "rotate_deg": 35})],
    "curvature": [("mild", {"curve": 0.03}), ("strong", {"curve": 0.06})],
    "motion": [("5px", {"motion": 5}), ("9px", {"motion": 9}), ("15px", {"motion": 15})],
    "focus": [("s1.5", {"focus": 1.5}), ("s2.5", {"focus": 2.5}), ("s3.5", {"focus": 3.5})],
    "glare": [("0.6", {"glare": 0.6}), ("1.0", {"glare": 1.0})],
    "shadow": [("deep", {"shadow": 0.7, "gradient": 0.6})],
    "lowlight": [("dim", {"exposure": 0.35, "noise": 8.0}), ("dark", {"exposure": 0.2, "noise": 12.0})],
    "jpeg": [("q35", {"quality": 35}), ("q15", {"quality": 15})],
    "moire": [("0.3", {"moire": 0.3}), ("0.5", {"moire": 0.5})],
    "damage": [("stamp+crease", {"stamp": True, "creases": 2})],
    "tiny": [
        ("12MP", {"frame": (4000, 3000), "fill": 0.35}),
        ("12MP-far", {"frame": (4000, 3000), "fill": 0.22}),
        ("12MP-farther", {"frame": (4000, 3000), "fill": 0.15, "focus": 0.8}),
    ],
    "combined": [("moderate", {"motion": 6, "focus": 1.8, "exposure": 0.5, "noise": 6.0, "glare": 0.4})],
}
#: Pages with one code of another symbology (zxing-cpp writes them, segno the Micro QR).
SYMBOLOGIES = ["MicroQRCode", "DataMatrix", "Aztec", "PDF417"]


def payloads(rng: random.Random) -> list[bytes]:
    kind = rng.choice(["seal", "seal", "url", "utf8", "binary"])
    if kind == "seal":
        return [("CS1:" + "".join(rng.choice(B45) for _ in range(rng.randint(250, 600)))).encode()]
    if kind == "url":
        return [("https://example.org/" + "".join(rng.choice(string.ascii_lowercase) for _ in range(20))).encode()]
    if kind == "utf8":
        return [f"领事认证 légalisation №{rng.randint(1, 10**6)}".encode()]
    return [bytes(rng.randrange(256) for _ in range(rng.randint(40, 160)))]


def page_with(codes: list[bytes], rng: random.Random) -> Image.Image:
    page = Image.new("RGB", (1240, 1754), (248, 246, 238))
    draw = ImageDraw.Draw(page)
    for i in range(18):
        draw.line((100, 150 + i * 40, 100 + rng.randint(500, 1000), 150 + i * 40), fill=(60, 60, 60), width=6)
    spots = [(760, 1250), (120, 1250), (440, 900)]
    for payload, (x, y) in zip(codes, spots, strict=False):
        qr = segno.make_qr(payload, error="q" if payload.startswith(b"CS1:") else "m")
        buffer = io.BytesIO()
        qr.save(buffer, kind="png", scale=10, border=4)
        side = 380 if len(codes) == 1 else 300
        page.paste(Image.open(buffer).convert("RGB").resize((side, side), Image.Resampling.NEAREST), (x, y))
    return page


def symbology_page(symbology: str, rng: random.Random) -> tuple[Image.Image, bytes]:
    """A page with one DataMatrix, Aztec, PDF417 or Micro QR code (a visa sticker's kind of seal)."""
    import zxingcpp

    text = "".join(rng.choice(B45) for _ in range(rng.randint(10, 30) if symbology == "MicroQRCode" else 120))
    if symbology == "MicroQRCode":
        buffer = io.BytesIO()
        segno.make_micro(text[:14]).save(buffer, kind="png", scale=12, border=2)
        code, payload = Image.open(buffer).convert("RGB"), text[:14].encode()
    else:
        barcode = zxingcpp.create_barcode(text, getattr(zxingcpp.BarcodeFormat, symbology))
        code, payload = Image.fromarray(np.asarray(barcode.to_image(scale=6, add_quiet_zones=True))).convert("RGB"), text.encode()
    page = page_with([], rng)
    page.paste(code, (1240 - code.width - 80, 1754 - code.height - 120))
    return page, payload


# ---------------------------------------------------------------- the hard set
#: category -> list of (severity, options); options other than phone_photo's are
#: handled by `hard_image` (page-level damage, layouts, code versions).
HARD: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "nominal": [("-", {})],
    "blurred": [("motion7", {"motion": 7}), ("focus2.2", {"focus": 2.2})],
    "bright_spots": [("1 spot", {"spots": 1}), ("3 spots", {"spots": 3})],
    "brightness": [("over", {"exposure": 1.9, "gradient": 0.1}), ("under", {"exposure": 0.22, "noise": 6.0})],
    "close": [("near", {"close": 0.35, "focus": 2.0}), ("nearer", {"close": 0.15, "focus": 3.0, "tilt": 0.15})],
    "curved": [("r0.35", {"cylinder": 0.35}), ("r0.22", {"cylinder": 0.22})],
    "damaged": [("tear", {"tear": 0.07}), ("scuffs", {"scuffs": 3}), ("fold", {"fold": 3.0})],
    "glare": [("0.5", {"glare": 0.5, "on_code": True}), ("0.8", {"glare": 0.8, "on_code": True})],
    "high_version": [("v25-32", {"version": (25, 32)}), ("v33-40", {"version": (33, 40)})],
    "lots": [("12 codes", {"lots": 12})],
    "monitor": [("pitch3", {"screen": 3}), ("pitch4 turned", {"screen": 4, "yaw": 30})],
    "noncompliant": [("inverted", {"style": "inverted"}), ("colour", {"style": "colour"}), ("no quiet zone", {"style": "tight"})],
    "pathological": [
        ("curved+spots", {"cylinder": 0.3, "spots": 2}),
        ("turned+blur", {"pitch": 55, "focus": 1.8, "motion": 4}),
    ],
    "perspective": [("pitch50", {"pitch": 50}), ("pitch60 yaw25", {"pitch": 60, "yaw": 25})],
    "rotations": [("any angle", {"rotate_deg": 180, "tilt": 0.1})],
    "shadows": [("hard", {"hard_shadow": 0.6}), ("hard+soft", {"hard_shadow": 0.75, "shadow": 0.5})],
}
PAGE_OPTIONS = {"spots", "close", "tear", "scuffs", "fold", "on_code", "version", "lots", "style"}


def render_qr(payload: bytes, side: int, *, style: str = "plain", big: bool = False) -> Image.Image:
    """One QR code as an RGB image `side` pixels square (quiet zone included); `big`: level L."""
    error = "l" if big else "q" if payload.startswith(b"CS1:") else "m"
    qr = segno.make_qr(payload, error=error, boost_error=not big)
    colours: dict[str, Any] = {}
    border = 4
    if style == "inverted":
        colours = {"dark": "white", "light": "black"}
    elif style == "colour":
        colours = {"dark": "#2a4f9e", "light": "#b9d3ee"}  # blue on pale blue: a third of the contrast
    elif style == "tight":
        border = 1
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=10, border=border, **colours)
    return Image.open(buffer).convert("RGB").resize((side, side), Image.Resampling.NEAREST)


def sized_payload(rng: random.Random, version: int) -> bytes:
    """A payload that needs about QR `version` at level L (byte or alphanumeric mode)."""
    # Bytes per version at level L, roughly (v25: 1273, v40: 2953); aim a little under it.
    room = int(1273 + (2953 - 1273) * (version - 25) / 15)
    if rng.random() < 0.5:
        return ("CS1:" + "".join(rng.choice(B45) for _ in range(int(room * 1.45)))).encode()
    return bytes(rng.randrange(256) for _ in range(int(room * 0.92)))


def hard_image(category: str, options: dict[str, Any], rng: random.Random, index: int) -> tuple[Image.Image, list[bytes]]:
    """One photo of the hard set and its payloads."""
    page = Image.new("RGB", (1240, 1754), (248, 246, 238))
    draw = ImageDraw.Draw(page)
    for i in range(18):
        draw.line((100, 150 + i * 40, 100 + rng.randint(500, 1000), 150 + i * 40), fill=(60, 60, 60), width=6)
    boxes: list[tuple[int, int, int, int]] = []
    codes: list[bytes] = []
    if "lots" in options:
        # A sheet of labels: a grid of small codes, each with its own payload.
        columns, rows = 3, (options["lots"] + 2) // 3
        side = 300
        for k in range(options["lots"]):
            x, y = 90 + (k % columns) * 370, 140 + (k // columns) * 400
            payload = payloads(rng)[0]
            page.paste(render_qr(payload, side), (x, y))
            codes.append(payload)
            boxes.append((x, y, x + side, y + side))
        del rows
    elif "version" in options:
        low, high = options["version"]
        version = rng.randint(low, high)
        payload = sized_payload(rng, version)
        side = 1000
        x, y = 120, 620
        page.paste(render_qr(payload, side, big=True), (x, y))
        codes.append(payload)
        boxes.append((x, y, x + side, y + side))
    else:
        payload = payloads(rng)[0]
        x, y, side = 760, 1250, 380
        page.paste(render_qr(payload, side, style=options.get("style", "plain")), (x, y))
        codes.append(payload)
        boxes.append((x, y, x + side, y + side))
    array = photosim.to_array(page)
    nprng = np.random.default_rng(10_000 + index)
    x0, y0, x1, y1 = boxes[0]
    inner = (x0 + (x1 - x0) // 10, y0 + (y1 - y0) // 10, x1 - (x1 - x0) // 10, y1 - (y1 - y0) // 10)
    if "tear" in options:
        array = photosim.tear(array, nprng, box=inner, amount=options["tear"])
    if "scuffs" in options:
        array = photosim.scratches(array, nprng, box=inner, count=options["scuffs"])
    if "fold" in options:
        through = (rng.uniform(inner[0], inner[2]), rng.uniform(inner[1], inner[3]))
        array = photosim.fold(array, nprng, through=through, shift=options["fold"]).clip(0, 255).astype(np.uint8)
    photo_options = {k: v for k, v in options.items() if k not in PAGE_OPTIONS}
    if "spots" in options:
        photo_options["specular_at"] = [
            (rng.uniform(inner[0], inner[2]), rng.uniform(inner[1], inner[3])) for _ in range(options["spots"])
        ]
        photo_options["specular_size"] = 0.022
    if options.get("on_code"):
        photo_options["glare_at"] = (rng.uniform(inner[0], inner[2]), rng.uniform(inner[1], inner[3]))
    if "cylinder" in options:
        # The code sits on the bottle's side, not quite facing the camera.
        photo_options["cylinder_axis"] = ((x0 + x1) / 2 + rng.uniform(-0.1, 0.1) * (x1 - x0)) / 1240
    if "screen" in options:
        # A phone or monitor showing the code: only the code and a margin are on the screen.
        margin = 120
        array = array[y0 - margin : y1 + margin, x0 - margin : x1 + margin].copy()
        photo_options["fill"] = 0.7
    if "close" in options:
        margin = int(options["close"] * (x1 - x0))
        array = array[max(0, y0 - margin) : y1 + margin, max(0, x0 - margin) : x1 + margin].copy()
        photo_options["fill"] = 0.97
    if "version" in options:
        photo_options.setdefault("frame", (3264, 2448))
    photo = phone_photo(Image.fromarray(array), nprng, **photo_options)
    return photo, codes


def make_hard(per: int) -> int:
    out = OUT / "hard"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.jpg"):
        old.unlink()
    rng = random.Random(20261215)
    labels = {}
    index = 0
    for category, levels in HARD.items():
        for severity, options in levels:
            for _ in range(per):
                photo, codes = hard_image(category, options, rng, index)
                name = f"{index:04d}-{category}-{severity}.jpg".replace(" ", "_").replace("+", "_")
                photo.save(out / name, quality=92)
                labels[name] = {"condition": category, "severity": severity, "payloads": [p.hex() for p in codes]}
                index += 1
    (out / "labels.json").write_text(json.dumps(labels, indent=1))
    print(f"{index} images in {out}")
    return index


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="one image per condition and severity")
    parser.add_argument("--per", type=int, default=4, help="images per condition and severity")
    parser.add_argument("--set", choices=["standard", "hard", "all"], default="standard")
    args = parser.parse_args()
    per = 1 if args.quick else args.per
    OUT.mkdir(exist_ok=True)
    if args.set in ("hard", "all"):
        make_hard(per)
        if args.set == "hard":
            return 0
    for old in OUT.glob("*.jpg"):
        old.unlink()
    rng = random.Random(20261126)
    labels = {}
    index = 0
    jobs = [(c, s, o) for c, levels in CONDITIONS.items() for s, o in levels]
    jobs.append(("several", "3 codes", {}))
    jobs += [("symbology", name, {"focus": 1.2}) for name in SYMBOLOGIES]
    for condition, severity, options in jobs:
        for _ in range(per):
            if condition == "symbology":
                page, payload = symbology_page(severity, rng)
                codes = [payload]
            else:
                codes = payloads(rng) if condition != "several" else [p for _ in range(3) for p in payloads(rng)][:3]
                page = page_with(codes, rng)
            photo = phone_photo(page, np.random.default_rng(index), **options)
            name = f"{index:04d}-{condition}-{severity}.jpg".replace(" ", "_").replace("+", "_")
            photo.save(OUT / name, quality=92)
            labels[name] = {"condition": condition, "severity": severity, "payloads": [p.hex() for p in codes]}
            index += 1
    (OUT / "labels.json").write_text(json.dumps(labels, indent=1))
    print(f"{index} images in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
