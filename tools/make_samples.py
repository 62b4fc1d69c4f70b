#!/usr/bin/env python3
"""Re-make sample_images/ and the specimen key in the built-in trust bundle, together.

    python3 dev.py python tools/make_samples.py

A fresh specimen key is made in memory for every run and thrown away at the
end: no private key is ever written. Its public key replaces the previous
specimen entry in src/scanverify/data/default_trust.json, so the samples and
the bundle always match. Each photo is checked after it is made.
"""

from __future__ import annotations

import hashlib
import json
import sys
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cbor2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tools"))

from photosim import phone_photo  # noqa: E402

from scanverify import Status, TrustStore, Verifier  # noqa: E402
from scanverify._codec import b45encode  # noqa: E402
from scanverify.issuer import generate_key, render_qr, sign_record, trust_entry  # noqa: E402

OUT = ROOT / "sample_images"
BUNDLE = ROOT / "src" / "scanverify" / "data" / "default_trust.json"
SPECIMEN_NAME = "SPECIMEN Consular Department (scanverify sample issuer)"
UTC = UTC
FONT_LATIN = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
FONT_CJK = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

RECORD = {
    "v": 1,
    "no": "2026-BJ-0048213",
    "t": "legalization",
    "dt": "2026-11-20",
    "au": "Consular Department, Ministry of Foreign Affairs",
    "pl": "Beijing",
    "of": "Li Na",
    "dst": "FR",
    "doc": {
        "ti": "出生公证书 Notarial birth certificate",
        "hn": "王小明 WANG Xiaoming",
        "pg": 2,
        "h": hashlib.sha256(b"specimen birth certificate").digest(),
    },
}
VISA = {
    "v": 1,
    "no": "V-2025-SH-0007731",
    "t": "visa",
    "dt": "2025-03-01",
    "au": "Consulate General, Shanghai",
    "dst": "CN",
    "doc": {"ti": "Visa, category L, single entry", "hn": "MARTIN Claire"},
}


def font(size: int, cjk: bool = False) -> Any:
    path = FONT_CJK if cjk and Path(FONT_CJK).exists() else FONT_LATIN
    try:
        return ImageFont.truetype(path, size)
    except OSError:
        return ImageFont.load_default(size)


def qr_image(text: str, size: int) -> Image.Image:
    qr = render_qr(text) if text.startswith("CS1:") else __import__("segno").make(text, error="m")
    import io

    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=10, border=2)
    return Image.open(buffer).convert("L").resize((size, size), Image.NEAREST)


def certificate_page(seal: str | None, url: str | None = None) -> Image.Image:
    """An A4 legalisation certificate at 150 dpi, like the ones printed at a consular counter."""
    page = Image.new("RGB", (1240, 1754), (250, 248, 240))
    draw = ImageDraw.Draw(page)
    draw.rectangle((40, 40, 1200, 1714), outline=(120, 30, 30), width=6)
    draw.text((620, 130), "领事认证", font=font(64, cjk=True), fill=(120, 30, 30), anchor="mm")
    draw.text((620, 210), "CERTIFICATE OF LEGALIZATION", font=font(46), fill=(40, 40, 40), anchor="mm")
    lines = [
        ("Certificate no.", RECORD["no"]),
        ("Document", "出生公证书 Notarial birth certificate"),
        ("Holder", "王小明  WANG Xiaoming"),
        ("Authority", "Consular Department, MFA"),
        ("Place and date", "Beijing, 2026-11-20"),
        ("Officer", "Li Na"),
        ("For use in", "France (FR)"),
    ]
    y = 340
    for label, value in lines:
        draw.text((110, y), label, font=font(30), fill=(90, 90, 90))
        draw.text((420, y), value, font=font(32, cjk=True), fill=(20, 20, 20))
        y += 70
    for i in range(6):
        draw.line((110, 900 + i * 48, 1130, 900 + i * 48), fill=(200, 200, 200), width=2)
    draw.text((620, 1260), "SPECIMEN", font=font(150), fill=(235, 200, 200), anchor="mm")
    if seal:
        page.paste(qr_image(seal, 380), (770, 1270))
        draw.text((960, 1670), "Scan to verify", font=font(24), fill=(80, 80, 80), anchor="mm")
    if url:
        page.paste(qr_image(url, 250), (130, 1380))
        draw.text((255, 1655), url.split("//")[-1][:28], font=font(20), fill=(80, 80, 80), anchor="mm")
    draw.ellipse((140, 1300, 400, 1560) if not url else (470, 1400, 700, 1630), outline=(170, 40, 40), width=5)
    return page


def visa_sticker(seal: str) -> Image.Image:
    """A visa sticker on a passport page."""
    page = Image.new("RGB", (1400, 1000), (232, 238, 230))
    draw = ImageDraw.Draw(page)
    draw.rounded_rectangle((60, 60, 1340, 940), radius=30, fill=(245, 236, 220), outline=(150, 110, 70), width=4)
    draw.text((110, 100), "VISA  签证", font=font(56, cjk=True), fill=(110, 60, 30))
    for i, (label, value) in enumerate(
        [
            ("Category", "L — single entry"),
            ("Valid from", "2025-03-01"),
            ("Valid until", "2025-09-01"),
            ("Surname, given names", "MARTIN Claire"),
            ("Issued at", "Shanghai"),
            ("Number", VISA["no"]),
        ]
    ):
        draw.text((110, 220 + i * 95), label, font=font(24), fill=(110, 90, 70))
        draw.text((110, 252 + i * 95), value, font=font(34, cjk=True), fill=(30, 30, 30))
    draw.text((700, 860), "SPECIMEN", font=font(90), fill=(225, 195, 185), anchor="mm")
    page.paste(qr_image(seal, 420), (860, 200))
    return page


def altered(seal_key: Any, record: dict[str, Any], iat: datetime) -> str:
    """A seal whose record was edited after signing: the signature stays, the holder changes."""
    from scanverify._codec import b45decode

    genuine = sign_record(record, seal_key, iss="CN", issued_at=iat)
    tagged = cbor2.loads(zlib.decompress(b45decode(genuine[4:])))
    claims = cbor2.loads(tagged.value[2])
    claims[-65537]["doc"]["hn"] = "李强 LI Qiang"
    body = list(tagged.value)
    body[2] = cbor2.dumps(claims)
    return "CS1:" + b45encode(zlib.compress(cbor2.dumps(cbor2.CBORTag(18, body)), 9))


def write_bundle(public_key: Any) -> dict[str, Any]:
    bundle = json.loads(BUNDLE.read_text(encoding="utf-8"))
    bundle["keys"] = [k for k in bundle["keys"] if k.get("name") != SPECIMEN_NAME]
    bundle["keys"].append(
        trust_entry(
            public_key,
            name=SPECIMEN_NAME,
            iss="CN",
            specimen=True,
            not_before=datetime(2025, 1, 1, tzinfo=UTC),
            not_after=datetime(2036, 1, 1, tzinfo=UTC),
        )
    )
    bundle["version"] = int(bundle.get("version", 0)) + 1
    BUNDLE.write_text(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return bundle


def main() -> int:
    specimen = generate_key("ES256")
    stranger = generate_key("ES256")  # an issuer nobody trusts
    signed_at = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    seals = {
        "genuine": sign_record(RECORD, specimen, iss="CN", issued_at=signed_at),
        "altered": altered(specimen, RECORD, signed_at),
        "untrusted": sign_record(RECORD, stranger, iss="CN", issued_at=signed_at),
        "expired-visa": sign_record(
            VISA,
            specimen,
            iss="CN",
            issued_at=datetime(2025, 3, 1, 8, tzinfo=UTC),
            expires_at=datetime(2025, 9, 1, tzinfo=UTC),
        ),
    }
    pages = {
        "genuine.jpg": (certificate_page(seals["genuine"]), [Status.GENUINE]),
        "altered.jpg": (certificate_page(seals["altered"]), [Status.FORGED]),
        "untrusted.jpg": (certificate_page(seals["untrusted"]), [Status.UNTRUSTED]),
        "expired-visa.jpg": (visa_sticker(seals["expired-visa"]), [Status.EXPIRED]),
        "seal-and-url.jpg": (
            certificate_page(seals["genuine"], url="https://www.example.org/consular/faq"),
            [Status.GENUINE, Status.NOT_A_SEAL],
        ),
        "no-code.jpg": (certificate_page(None), [Status.NO_CODE]),
    }
    bundle = write_bundle(specimen.public_key())
    trust = TrustStore.from_bundle(bundle, "new bundle")
    verifier = Verifier(trust=trust, clock=lambda: datetime(2026, 11, 26, tzinfo=UTC))
    OUT.mkdir(exist_ok=True)
    manifest = {}
    for index, (name, (page, expected)) in enumerate(pages.items()):
        for attempt in range(20):
            rng = np.random.default_rng(1000 * index + attempt)
            photo = phone_photo(page, rng)
            path = OUT / name
            photo.convert("RGB").save(path, quality=88)
            got = sorted(r.status.value for r in verifier.verify_image(path))
            if got == sorted(s.value for s in expected):
                break
        else:
            print(f"{name}: could not make a photo that decodes as {expected}", file=sys.stderr)
            return 1
        manifest[name] = {"expected": [s.value for s in expected]}
        print(f"{name}: {', '.join(got)} (seed {1000 * index + attempt})")
    manifest_path = OUT / "expected.json"
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"specimen kid {trust_entry(specimen.public_key())['kid']} written to {BUNDLE.relative_to(ROOT)}")
    print("the specimen private key was not saved: re-run this script to re-make the samples and the entry")
    return 0


if __name__ == "__main__":
    sys.exit(main())
