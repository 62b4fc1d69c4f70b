"""tools/photosim.py: each effect does what it says, and the default photo stays readable."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pytest
import segno
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

import photosim


def page(payload: str = "CS1:PHOTOSIM-TEST-0123456789") -> Image.Image:
    sheet = Image.new("RGB", (620, 877), (248, 246, 238))
    buffer = io.BytesIO()
    segno.make_qr(payload, error="q").save(buffer, kind="png", scale=7, border=4)
    sheet.paste(Image.open(buffer).convert("RGB"), (330, 560))
    return sheet


def zxing_reads(image: Image.Image) -> set[bytes]:
    import zxingcpp

    return {bytes(b.bytes) for b in zxingcpp.read_barcodes(np.asarray(image.convert("L")))}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_default_photo_is_moderate_enough_for_zxing(seed: int) -> None:
    photo = photosim.phone_photo(page(), np.random.default_rng(seed), frame=(1200, 900))
    assert photo.size == (1200, 900) and photo.mode == "RGB"
    assert zxing_reads(photo) == {b"CS1:PHOTOSIM-TEST-0123456789"}


def test_same_seed_same_photo_other_seed_other_photo() -> None:
    a = photosim.phone_photo(page(), np.random.default_rng(7), frame=(600, 450))
    b = photosim.phone_photo(page(), np.random.default_rng(7), frame=(600, 450))
    c = photosim.phone_photo(page(), np.random.default_rng(8), frame=(600, 450))
    assert np.array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(c))


def test_a_strong_setting_makes_the_code_unreadable() -> None:
    # The effects are real: heavy motion blur defeats a plain zxing-cpp pass.
    photo = photosim.phone_photo(page(), np.random.default_rng(0), frame=(1200, 900), motion=25)
    assert zxing_reads(photo) == set()


def test_page_small_in_a_big_frame() -> None:
    sheet = photosim.to_array(page())
    framed = photosim.perspective(sheet, np.random.default_rng(0), frame=(2000, 1500), fill=0.3)
    assert framed.shape == (1500, 2000, 3)
    # the page (bright) covers about fill² of the frame's height-limited area, the desk the rest
    bright = (framed.mean(axis=2) > 200).mean()
    assert 0.03 < bright < 0.2


def test_effects_off_are_identity_and_on_change_the_image() -> None:
    rng = np.random.default_rng(0)
    sheet = photosim.to_array(page()).astype(np.float32)
    assert photosim.glare(sheet, rng, strength=0) is sheet
    assert photosim.motion_blur(sheet, length=0) is sheet
    assert photosim.focus_blur(sheet, sigma=0) is sheet
    assert photosim.moire(sheet, strength=0) is sheet
    changed = {
        "glare": photosim.glare(sheet, rng, strength=0.8),
        "motion": photosim.motion_blur(sheet, length=9, angle_deg=30),
        "focus": photosim.focus_blur(sheet, sigma=2.0),
        "moire": photosim.moire(sheet, strength=0.4),
        "lighting": photosim.lighting(sheet, rng, gradient=0.5, shadow=0.5),
        "noise": photosim.sensor_noise(sheet, rng, sigma=8.0, exposure=0.4),
        "curve": photosim.curvature(sheet, amount=0.04),
        "damage": photosim.damage(sheet, rng, creases=2, stamp=True),
        "jpeg": photosim.jpeg(sheet, quality=10),
    }
    for name, out in changed.items():
        assert out.shape == sheet.shape, name
        assert float(np.abs(np.asarray(out, np.float32) - sheet).mean()) > 0.5, name


def test_low_light_is_darker_and_glare_brighter() -> None:
    rng = np.random.default_rng(0)
    sheet = photosim.to_array(page()).astype(np.float32)
    assert photosim.sensor_noise(sheet, rng, sigma=1.0, exposure=0.3).mean() < 0.4 * sheet.mean()
    assert photosim.glare(sheet, rng, strength=1.0, at=(300, 400)).mean() > sheet.mean()


def test_a_misspelt_option_is_refused() -> None:
    with pytest.raises(TypeError, match="motoin"):
        photosim.phone_photo(page(), np.random.default_rng(0), motoin=5)
