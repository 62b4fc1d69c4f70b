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


def page(payload: str | bytes = "CS1:PHOTOSIM-TEST-0123456789") -> Image.Image:
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


def test_hard_effects_change_the_image_where_they_say() -> None:
    rng = np.random.default_rng(0)
    sheet = photosim.to_array(page())
    box = (330, 560, 330 + 37 * 7, 560 + 37 * 7)
    inside = (slice(box[1], box[3]), slice(box[0], box[2]))
    for name, out in {
        "tear": photosim.tear(sheet, rng, box=box, amount=0.1),
        "scratches": photosim.scratches(sheet, rng, box=box, count=3),
        "fold": photosim.fold(sheet, rng, through=(460, 690)),
        "specular": photosim.specular(sheet, rng, centres=[(460, 690)], size=0.03),
    }.items():
        changed = np.abs(np.asarray(out, np.float32) - sheet).mean(axis=2) > 20
        assert out.shape == sheet.shape, name
        assert changed[inside].mean() > 0.01, name  # the code is hit
    spot = photosim.specular(sheet, rng, centres=[(460, 690)], size=0.03)
    assert spot[690, 460].min() == 255  # the blob's core saturates, as a sensor does
    assert np.array_equal(spot[50:100, 50:100], sheet[50:100, 50:100])  # and it is local


def test_cylinder_keeps_the_visible_half_and_compresses_the_sides() -> None:
    sheet = photosim.to_array(page())
    bent = photosim.cylinder(sheet, radius=0.3, axis=0.5)
    assert bent.shape[0] == sheet.shape[0] and bent.shape[1] < sheet.shape[1]
    assert photosim.cylinder(sheet, radius=3.0).shape == sheet.shape  # a wide cylinder is nearly flat


def test_screen_is_a_pixel_grid_and_pitch_foreshortens() -> None:
    sheet = photosim.to_array(page())
    shown = photosim.screen(sheet, pitch=3)
    assert shown.shape == (sheet.shape[0] * 3, sheet.shape[1] * 3, 3)
    assert shown[1::3].mean() != shown[2::3].mean()  # the dark gap between rows of cells
    rng = np.random.default_rng(0)
    flat = photosim.placement((620, 877), rng, frame=(1200, 900))
    turned = photosim.placement((620, 877), np.random.default_rng(0), frame=(1200, 900), pitch_deg=60)
    corners = np.array([[[0, 0], [620, 0], [620, 877], [0, 877]]], np.float32)

    def height_over_width(matrix: np.ndarray) -> float:
        import cv2

        points = cv2.perspectiveTransform(corners, matrix)[0]
        return float(np.ptp(points[:, 1]) / np.ptp(points[:, 0]))

    assert height_over_width(turned) < 0.7 * height_over_width(flat)


def test_hard_options_are_accepted_and_off_by_default() -> None:
    default = photosim.phone_photo(page(), np.random.default_rng(3), frame=(600, 450))
    off = photosim.phone_photo(page(), np.random.default_rng(3), frame=(600, 450), pitch=0, cylinder=0, screen=0)
    assert np.array_equal(np.asarray(default), np.asarray(off))
    hard = photosim.phone_photo(
        page(), np.random.default_rng(3), frame=(600, 450), pitch=40, cylinder=0.5, specular_at=[(460, 690)],
        hard_shadow=0.5, screen=2, glare=0.3, glare_at=(460, 690),
    )  # fmt: skip
    assert hard.size == (600, 450)
