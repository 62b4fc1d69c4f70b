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


def placement(
    size: tuple[int, int],
    rng: np.random.Generator,
    *,
    tilt: float = 0.08,
    rotate_deg: float = 6.0,
    frame: tuple[int, int] = (2000, 1500),
    fill: float = 0.8,
    pitch_deg: float = 0.0,
    yaw_deg: float = 0.0,
) -> Array:
    """The 3x3 homography from a page of `size` (w, h) to where it lies in the frame.

    `pitch_deg` / `yaw_deg` turn the page away from the camera about its
    horizontal / vertical axis (a pinhole camera, focal length about the frame
    width): the far edge shrinks, i.e. strong foreshortening, on top of the
    small random keystone `tilt`.
    """
    width, height = size
    out_w, out_h = frame
    scale = fill * min(out_w / width, out_h / height)
    w, h = width * scale, height * scale
    cx, cy = out_w / 2 + rng.uniform(-0.05, 0.05) * out_w, out_h / 2 + rng.uniform(-0.05, 0.05) * out_h
    angle = np.deg2rad(rng.uniform(-rotate_deg, rotate_deg))
    corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    # Keystone: one edge nearer the camera than the opposite one.
    corners *= 1 + rng.uniform(-tilt, tilt, size=(4, 1))
    corners[:, 0] += rng.uniform(-tilt, tilt) * corners[:, 1]
    if pitch_deg or yaw_deg:
        corners = _turned(corners, np.deg2rad(pitch_deg), np.deg2rad(yaw_deg), focal=float(out_w))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    target = (corners @ rotation.T + [cx, cy]).astype(np.float32)
    source = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    return cv2.getPerspectiveTransform(source, target)


def _turned(corners: Array, pitch: float, yaw: float, *, focal: float) -> Array:
    """Corners (centred, z = 0) rotated in 3D and projected back with a pinhole camera."""
    points = np.column_stack([corners, np.zeros(len(corners))])
    rx = np.array([[1, 0, 0], [0, np.cos(pitch), -np.sin(pitch)], [0, np.sin(pitch), np.cos(pitch)]])
    ry = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    turned = points @ (ry @ rx).T
    depth = focal + turned[:, 2]
    projected: Array = turned[:, :2] * (focal / depth)[:, None]
    # Keep the page's apparent size: the turn should foreshorten, not zoom out.
    grow = np.ptp(corners, axis=0).max() / max(np.ptp(projected, axis=0).max(), 1e-6)
    return projected * grow


def perspective(
    page: Array,
    rng: np.random.Generator,
    *,
    tilt: float = 0.08,
    rotate_deg: float = 6.0,
    frame: tuple[int, int] = (2000, 1500),
    fill: float = 0.8,
    background: tuple[int, int, int] = (70, 62, 55),
    pitch_deg: float = 0.0,
    yaw_deg: float = 0.0,
    matrix: Array | None = None,
) -> Array:
    """The page seen from an angle, slightly rotated, on a desk, in a frame of `frame` (w, h)."""
    height, width = page.shape[:2]
    out_w, out_h = frame
    if matrix is None:
        matrix = placement(
            (width, height), rng, tilt=tilt, rotate_deg=rotate_deg, frame=frame, fill=fill,
            pitch_deg=pitch_deg, yaw_deg=yaw_deg,
        )  # fmt: skip
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


def cylinder(page: Array, *, radius: float = 0.6, axis: float = 0.5, lean: float = 0.15) -> Array:
    """The page wrapped round a vertical cylinder (a label on a bottle or can), seen from the front.

    `radius` is the cylinder's radius as a fraction of the page width, `axis`
    where its axis crosses the page (fraction of the width). A point at arc
    length s from the axis shows at R·sin(s/R): the page compresses towards
    the sides and, turned away from the camera, shrinks vertically by up to
    `lean` (perspective) where it curves away. Only the visible half is
    returned (columns within R of the axis); rows that shrink away show black
    (a can's dark side).
    """
    height, width = page.shape[:2]
    r = max(radius * width, 1.0)
    centre = axis * width
    ys, xs = np.indices((height, width), dtype=np.float32)
    seen = np.clip((xs - centre) / r, -1.0, 1.0)
    arc = r * np.arcsin(seen)
    depth = 1 - np.cos(arc / r)  # 0 facing the camera, 1 at the silhouette
    map_x = (centre + arc).astype(np.float32)
    map_y = (height / 2 + (ys - height / 2) * (1 + lean * depth)).astype(np.float32)
    out = cv2.remap(page, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    # Turned away from the light too: darker towards the silhouette.
    shade = (1 - 0.45 * depth**2)[..., None] if page.ndim == 3 else 1 - 0.45 * depth**2
    shaded: Array = out.astype(np.float32) * shade
    left, right = max(0, int(np.ceil(centre - r))), min(width, int(centre + r))
    return shaded[:, left:right]


def specular(
    page: Array,
    rng: np.random.Generator,
    *,
    centres: list[tuple[float, float]],
    size: float = 0.03,
    strength: float = 1.6,
) -> Array:
    """Real-camera glare: small hard-edged specular blobs that saturate the sensor.

    Unlike `glare` (a broad soft wash), each blob has a flat saturated core
    and a short falloff, so the modules under the core are gone and those at
    its rim keep little contrast. `size` is the blob radius as a fraction of
    the page's long side; each blob is an ellipse of random shape and angle.
    """
    height, width = page.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    light = np.zeros((height, width), np.float32)
    for cx, cy in centres:
        a = size * max(width, height) * rng.uniform(0.7, 1.4)
        b = a * rng.uniform(0.35, 1.0)
        theta = rng.uniform(0, np.pi)
        u = ((xs - cx) * np.cos(theta) + (ys - cy) * np.sin(theta)) / a
        v = (-(xs - cx) * np.sin(theta) + (ys - cy) * np.cos(theta)) / b
        light = np.maximum(light, np.exp(-((u * u + v * v) ** 2)))  # flat top, steep rim
    out: Array = page.astype(np.float32) + 255 * strength * (light[..., None] if page.ndim == 3 else light)
    return np.minimum(out, 255)


def tear(
    page: Array,
    rng: np.random.Generator,
    *,
    box: tuple[int, int, int, int],
    amount: float = 0.08,
    fill: tuple[int, int, int] = (70, 62, 55),
) -> Array:
    """A torn-off corner or edge of the code in `box` (x0, y0, x1, y1): about `amount` of its area gone.

    The missing part shows the desk (`fill`) and has a jagged edge.
    """
    x0, y0, x1, y1 = box
    side = x1 - x0
    corner = int(rng.integers(4))
    # A jagged triangle cut from one corner; legs set so its area is `amount` of the box.
    leg = side * np.sqrt(2 * amount) * rng.uniform(0.9, 1.1)
    tip = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]][corner], np.float32)
    inward = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]][corner], np.float32)
    a = tip + np.array([inward[0] * leg * 1.3, 0.0], np.float32)
    b = tip + np.array([0.0, inward[1] * leg / 1.3], np.float32)
    edge = [a + (b - a) * t + rng.normal(0, 0.02 * side, 2) for t in np.linspace(0, 1, 9)]
    polygon = np.array([tip, *edge], np.int32)
    out = page.copy()
    cv2.fillPoly(out, [polygon], fill)
    return out


def scratches(
    page: Array, rng: np.random.Generator, *, box: tuple[int, int, int, int], count: int = 3, width: float = 0.015
) -> Array:
    """Scuffs across the code in `box`: pale strokes where the print is rubbed off, a dark stain."""
    x0, y0, x1, y1 = box
    side = x1 - x0
    out = page.copy()
    paper = (236, 232, 222) if page.ndim == 3 else 232
    for _ in range(count):
        p = (int(rng.uniform(x0, x1)), int(rng.uniform(y0, y1)))
        q = (int(rng.uniform(x0, x1)), int(rng.uniform(y0, y1)))
        cv2.line(out, p, q, paper, thickness=max(1, int(width * side)))
    stain = (int(rng.uniform(x0, x1)), int(rng.uniform(y0, y1)))
    overlay = out.copy()
    cv2.circle(overlay, stain, int(0.07 * side), (90, 70, 50) if page.ndim == 3 else 70, thickness=-1)
    blended: Array = cv2.addWeighted(out, 0.45, overlay, 0.55, 0)
    return blended


def fold(page: Array, rng: np.random.Generator, *, through: tuple[float, float], shift: float = 3.0) -> Array:
    """A real crease through the point `through` (x, y): a dark line, a light step, a small offset.

    One side of the fold faces the light a little less (darker), the paper
    does not lie flat so that side is displaced by `shift` pixels, and the
    crease itself is a thin dark line.
    """
    height, width = page.shape[:2]
    angle = rng.uniform(-0.6, 0.6) + (np.pi / 2 if rng.random() < 0.5 else 0.0)
    nx, ny = -np.sin(angle), np.cos(angle)
    ys, xs = np.indices((height, width), dtype=np.float32)
    distance = (xs - through[0]) * nx + (ys - through[1]) * ny
    side = (distance > 0).astype(np.float32)
    map_x = (xs - side * shift * nx).astype(np.float32)
    map_y = (ys - side * shift * ny).astype(np.float32)
    out = cv2.remap(page, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    light = 1 - 0.18 * side - 0.45 * np.exp(-(distance**2) / 4.0)
    folded: Array = out * (light[..., None] if page.ndim == 3 else light)
    return folded


def hard_shadow(photo: Array, rng: np.random.Generator, *, depth: float = 0.6) -> Array:
    """A cast shadow with a sharp edge (a phone or a hand between lamp and page) across the frame."""
    height, width = photo.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    nx, ny = np.cos(angle), np.sin(angle)
    offset = (xs - width * rng.uniform(0.35, 0.65)) * nx + (ys - height * rng.uniform(0.35, 0.65)) * ny
    edge = np.clip(0.5 + offset / 6.0, 0, 1)  # a penumbra of a few pixels
    out: Array = photo.astype(np.float32) * (1 - depth * edge)[..., None]
    return out


def screen(page: Array, *, pitch: int = 3, gap: float = 0.35, glow: float = 0.12) -> Array:
    """The page shown on a monitor: every page pixel becomes a pitch x pitch cell of R, G, B stripes.

    The dark grid between cells and the stripes beat against the camera's
    pixels after the perspective warp (moiré); `glow` lifts the blacks as a
    backlit panel does. Returns an image `pitch` times larger.
    """
    cells = np.repeat(np.repeat(page.astype(np.float32), pitch, axis=0), pitch, axis=1)
    mask = np.ones((pitch, pitch, 3), np.float32) * gap
    for channel in range(3):
        columns = slice(channel * pitch // 3, (channel + 1) * pitch // 3 or None)
        mask[:-1, columns, channel] = 1.0
    height, width = page.shape[:2]
    tiled = np.tile(mask, (height, width, 1))
    lit: Array = (glow * 255 + (1 - glow) * cells) * tiled * 1.6
    return np.minimum(lit, 255)


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
        "pitch", "yaw", "cylinder", "cylinder_axis", "specular_at", "specular_size", "hard_shadow", "screen",
        "glare_at",
    }
)  # fmt: skip


def phone_photo(page: Image.Image, rng: np.random.Generator, **options: Any) -> Image.Image:
    """A moderate hand-held photo of `page`; each option overrides one effect's setting.

    Options: frame, fill, tilt, rotate_deg, curve, gradient, shadow, glare, motion, focus,
    noise, exposure, moire, creases, stamp, quality; and for the harder photos: pitch and
    yaw (degrees the page is turned away: strong foreshortening), cylinder (radius as a
    fraction of the page width: a label round a bottle) and cylinder_axis, specular_at
    (page points under hard specular blobs) and specular_size, glare_at (page point of
    the broad glare), hard_shadow (depth of a sharp-edged cast shadow), screen (the page
    shown on a monitor with this pixel pitch).
    """
    unknown = set(options) - PHONE_PHOTO_OPTIONS
    if unknown:
        # A misspelt option would otherwise silently give a default photo.
        raise TypeError(f"phone_photo() got unknown options: {', '.join(sorted(unknown))}")
    array = to_array(page)
    array = damage(array, rng, creases=options.get("creases", 0), stamp=options.get("stamp", False)).astype(np.uint8)
    spots = [tuple(float(v) for v in spot) for spot in options.get("specular_at", ())]
    glare_at = options.get("glare_at")
    if options.get("screen"):
        pitch = int(options["screen"])
        array = screen(array, pitch=pitch).astype(np.uint8)
        spots = [(x * pitch, y * pitch) for x, y in spots]
        glare_at = None if glare_at is None else (glare_at[0] * pitch, glare_at[1] * pitch)
    if options.get("cylinder"):
        array = cylinder(array, radius=options["cylinder"], axis=options.get("cylinder_axis", 0.5)).astype(np.uint8)
    if options.get("curve", 0.01):
        array = curvature(array, amount=options.get("curve", 0.01))
    height, width = array.shape[:2]
    matrix = placement(
        (width, height),
        rng,
        tilt=options.get("tilt", 0.06),
        rotate_deg=options.get("rotate_deg", 5.0),
        frame=options.get("frame", (2000, 1500)),
        fill=options.get("fill", 0.85),
        pitch_deg=options.get("pitch", 0.0),
        yaw_deg=options.get("yaw", 0.0),
    )
    photo = perspective(array, rng, matrix=matrix, frame=options.get("frame", (2000, 1500)))
    out = lighting(photo, rng, gradient=options.get("gradient", 0.3), shadow=options.get("shadow", 0.3))
    if options.get("hard_shadow"):
        out = hard_shadow(out, rng, depth=options["hard_shadow"])
    # Glare is light reflected towards the lens: added after the page's own shading,
    # at page points (given in page pixels) carried through the same homography.
    where = _to_frame(matrix, [glare_at]) if glare_at is not None else [None]
    out = glare(out, rng, strength=options.get("glare", 0.0), at=where[0])
    if spots:
        size = options.get("specular_size", 0.03) * max(width, height) / max(out.shape[:2])
        out = specular(out, rng, centres=_to_frame(matrix, spots), size=size * _zoom(matrix))
    out = motion_blur(out, length=options.get("motion", 0), angle_deg=float(rng.uniform(0, 180)))
    out = focus_blur(out, sigma=options.get("focus", 1.0))
    out = moire(out, strength=options.get("moire", 0.0))
    out = sensor_noise(out, rng, sigma=options.get("noise", 3.0), exposure=options.get("exposure", 1.0))
    return to_image(jpeg(out, quality=options.get("quality", 85)))


def _to_frame(matrix: Array, points: list[Any]) -> list[tuple[float, float]]:
    """Page points carried into the frame by the placement homography."""
    mapped = cv2.perspectiveTransform(np.array([points], np.float32), matrix)[0]
    return [(float(x), float(y)) for x, y in mapped]


def _zoom(matrix: Array) -> float:
    """About how much the placement scales the page (so page-relative sizes stay page-relative)."""
    return float(np.sqrt(abs(np.linalg.det(matrix[:2, :2])))) / max(float(matrix[2, 2]), 1e-6)
