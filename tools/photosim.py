"""Make a flat rendered page look like a hand-held phone photo of it.

Used by tools/make_samples.py (sample_images/) and by the decode benchmark's
corpus generator, so both share one model of "a photo taken at a counter".
Every effect is a function of its own with explicit parameters; `phone_photo`
chains them with moderate, randomised settings.
"""

from __future__ import annotations

import io
from typing import Any

import cv2
import numpy as np
from PIL import Image

Array = np.ndarray


def to_array(image: Image.Image) -> Array:
    return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()


def to_image(array: Array) -> Image.Image:
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))


def perspective(
    page: Array,
    rng: np.random.Generator,
    *,
    tilt: float = 0.08,
    rotate_deg: float = 6.0,
    frame: tuple[int, int] = (2000, 1500),
    fill: float = 0.8,
    background: tuple[int, int, int] = (70, 62, 55),
) -> Array:
    """The page seen from an angle, slightly rotated, on a desk, in a frame of `frame` (w, h)."""
    height, width = page.shape[:2]
    out_w, out_h = frame
    scale = fill * min(out_w / width, out_h / height)
    w, h = width * scale, height * scale
    cx, cy = out_w / 2 + rng.uniform(-0.05, 0.05) * out_w, out_h / 2 + rng.uniform(-0.05, 0.05) * out_h
    angle = np.deg2rad(rng.uniform(-rotate_deg, rotate_deg))
    corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    # Keystone: one edge nearer the camera than the opposite one.
    corners *= 1 + rng.uniform(-tilt, tilt, size=(4, 1))
    corners[:, 0] += rng.uniform(-tilt, tilt) * corners[:, 1]
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    target = (corners @ rotation.T + [cx, cy]).astype(np.float32)
    source = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(source, target)
    desk = np.empty((out_h, out_w, 3), np.uint8)
    desk[:] = background
    desk = (desk.astype(np.int16) + rng.normal(0, 6, desk.shape)).clip(0, 255).astype(np.uint8)
    return cv2.warpPerspective(
        page, matrix, (out_w, out_h), dst=desk, borderMode=cv2.BORDER_TRANSPARENT, flags=cv2.INTER_LINEAR
    )


def curvature(page: Array, *, amount: float = 0.02) -> Array:
    """The page bows, as paper does when held or not quite flat."""
    height, width = page.shape[:2]
    ys, xs = np.indices((height, width), dtype=np.float32)
    offset = amount * height * np.sin(np.pi * xs / width)
    return cv2.remap(page, xs, ys - offset, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def lighting(
    photo: Array, rng: np.random.Generator, *, gradient: float = 0.35, shadow: float = 0.35, warmth: float = 0.06
) -> Array:
    """Uneven light: a gradient across the frame, a soft shadow (a hand, a phone), a warm lamp."""
    height, width = photo.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    direction = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(direction) * xs / width + np.sin(direction) * ys / height
    light = 1 - gradient * (ramp - ramp.min()) / max(np.ptp(ramp), 1e-6)
    if shadow > 0:
        sx, sy = rng.uniform(0, width), rng.uniform(0, height)
        radius = rng.uniform(0.25, 0.5) * max(width, height)
        distance = np.hypot(xs - sx, ys - sy) / radius
        light *= 1 - shadow * np.clip(1.2 - distance, 0, 1)
    tint = np.array([1 + warmth, 1.0, 1 - warmth], dtype=np.float32)
    out: Array = photo.astype(np.float32) * light[..., None] * tint
    return out


def glare(
    photo: Array,
    rng: np.random.Generator,
    *,
    strength: float = 0.0,
    size: float = 0.12,
    at: tuple[float, float] | None = None,
) -> Array:
    """A lamp's reflection: a bright, soft-edged spot that washes out what is under it."""
    if strength <= 0:
        return photo
    height, width = photo.shape[:2]
    cx, cy = at if at is not None else (rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    spot = np.exp(-(((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * (size * max(width, height)) ** 2)))
    out: Array = photo.astype(np.float32) + 255 * strength * spot[..., None]
    return out


def motion_blur(photo: Array, *, length: int = 0, angle_deg: float = 0.0) -> Array:
    if length < 2:
        return photo
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1 / length
    rotation = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle_deg, 1)
    rotated = cv2.warpAffine(kernel, rotation, (length, length))
    return cv2.filter2D(photo.astype(np.float32), -1, rotated / max(rotated.sum(), 1e-6))


def focus_blur(photo: Array, *, sigma: float = 0.0) -> Array:
    return cv2.GaussianBlur(photo.astype(np.float32), (0, 0), sigma) if sigma > 0 else photo


def sensor_noise(photo: Array, rng: np.random.Generator, *, sigma: float = 3.0, exposure: float = 1.0) -> Array:
    """Low light: the picture is darker (exposure < 1) and noisier."""
    dark = photo.astype(np.float32) * exposure
    return dark + rng.normal(0, sigma, photo.shape).astype(np.float32)


def moire(photo: Array, *, strength: float = 0.0, period: float = 5.0) -> Array:
    """A photo of a screen: interference bands of the display's pixel grid."""
    if strength <= 0:
        return photo
    height, width = photo.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    bands = np.sin(2 * np.pi * (xs * 0.93 + ys * 0.37) / period) * np.sin(2 * np.pi * ys / (period * 1.07))
    out: Array = photo.astype(np.float32) * (1 - strength * (0.5 + 0.5 * bands))[..., None]
    return out


def damage(page: Array, rng: np.random.Generator, *, creases: int = 0, stamp: bool = False) -> Array:
    """Folds across the page and an ink stamp over part of it."""
    out = page.astype(np.float32)
    height, width = page.shape[:2]
    for _ in range(creases):
        y = rng.uniform(0.2, 0.8) * height
        ys = np.arange(height, dtype=np.float32)[:, None]
        out *= 1 - 0.25 * np.exp(-((ys - y) ** 2) / 8.0)[..., None]
    if stamp:
        centre = (int(rng.uniform(0.55, 0.9) * width), int(rng.uniform(0.65, 0.9) * height))
        overlay = out.copy()
        cv2.circle(overlay, centre, int(0.08 * width), (60, 40, 170), thickness=int(0.012 * width))
        out = 0.55 * out + 0.45 * overlay
    return out


def jpeg(photo: Array, *, quality: int = 85) -> Array:
    buffer = io.BytesIO()
    to_image(photo).save(buffer, format="JPEG", quality=quality)
    return to_array(Image.open(io.BytesIO(buffer.getvalue())))


PHONE_PHOTO_OPTIONS = frozenset(
    {
        "frame", "fill", "tilt", "rotate_deg", "curve", "gradient", "shadow", "glare",
        "motion", "focus", "noise", "exposure", "moire", "creases", "stamp", "quality",
    }
)  # fmt: skip


def phone_photo(page: Image.Image, rng: np.random.Generator, **options: Any) -> Image.Image:
    """A moderate hand-held photo of `page`; each option overrides one effect's setting.

    Options: frame, fill, tilt, rotate_deg, curve, gradient, shadow, glare, motion, focus,
    noise, exposure, moire, creases, stamp, quality.
    """
    unknown = set(options) - PHONE_PHOTO_OPTIONS
    if unknown:
        # A misspelt option would otherwise silently give a default photo.
        raise TypeError(f"phone_photo() got unknown options: {', '.join(sorted(unknown))}")
    array = to_array(page)
    array = damage(array, rng, creases=options.get("creases", 0), stamp=options.get("stamp", False)).astype(np.uint8)
    if options.get("curve", 0.01):
        array = curvature(array, amount=options.get("curve", 0.01))
    photo = perspective(
        array,
        rng,
        tilt=options.get("tilt", 0.06),
        rotate_deg=options.get("rotate_deg", 5.0),
        frame=options.get("frame", (2000, 1500)),
        fill=options.get("fill", 0.85),
    )
    out = lighting(photo, rng, gradient=options.get("gradient", 0.3), shadow=options.get("shadow", 0.3))
    out = glare(out, rng, strength=options.get("glare", 0.0))
    out = motion_blur(out, length=options.get("motion", 0), angle_deg=float(rng.uniform(0, 180)))
    out = focus_blur(out, sigma=options.get("focus", 1.0))
    out = moire(out, strength=options.get("moire", 0.0))
    out = sensor_noise(out, rng, sigma=options.get("noise", 3.0), exposure=options.get("exposure", 1.0))
    return to_image(jpeg(out, quality=options.get("quality", 85)))
