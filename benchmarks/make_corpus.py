#!/usr/bin/env python3
"""Rebuild the labelled decode corpus in benchmarks/corpus/ (deterministic).

    python3 benchmarks/make_corpus.py [--quick]

Pages with QR codes are rendered and photographed by tools/photosim.py with
one hard condition each, in graded severities: motion and focus blur,
perspective, curvature, glare, shadow, low light and noise, JPEG, screen
moiré, damage, tiny codes in 12-megapixel frames, several codes per frame.
labels.json lists every image's exact expected payloads (hex) and condition.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import string
import sys
from pathlib import Path

import numpy as np
import segno
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tools"))

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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="one image per condition and severity")
    parser.add_argument("--per", type=int, default=4, help="images per condition and severity")
    args = parser.parse_args()
    per = 1 if args.quick else args.per
    OUT.mkdir(exist_ok=True)
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
