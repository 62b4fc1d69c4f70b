"""What live mode shows: codes outlined and labelled on the frame, in a window or a terminal."""

from __future__ import annotations

import os
import sys
from collections import deque
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from .display import REASON_LIMIT, Shown, shown
from .i18n import gettext as _
from .model import Status, VerificationResult
from .reasons import reason_text
from .render import STYLE, fact_lines, headline, verdict_words

if TYPE_CHECKING:
    import numpy

    from .decode import DecodedCode

#: BGR colours per verdict; the verdict word is always drawn beside the outline.
COLOURS: dict[Status, tuple[int, int, int]] = {
    Status.GENUINE: (60, 180, 60),
    Status.NOT_A_SEAL: (0, 200, 230),
    Status.NO_CODE: (0, 200, 230),
    Status.ERROR: (200, 0, 200),
}
REJECTED = (40, 40, 230)
#: Where CJK-capable fonts usually are, when fontconfig cannot say (Windows, macOS, no fc-match):
#: tried in order, and a file is taken only if it really has Chinese glyphs.
FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
)
#: A font with Latin glyphs at least, when no CJK font is installed.
LATIN_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)
#: Characters a font must draw to count as CJK-capable: common in names and in our words.
CJK_PROBE = "王李张刘陈杨真伪印章"


@dataclass(frozen=True)
class FontChoice:
    path: str
    how: str
    """How it was found: "fontconfig" or "known path"."""


def cjk_font() -> FontChoice | None:
    """A font file that draws Chinese, found through fontconfig (``fc-match :lang=zh``), else
    among the usual places; None when none is installed."""
    return _cjk_font()


@cache
def _cjk_font() -> FontChoice | None:
    for path in _fontconfig_candidates():
        if has_glyphs(path, CJK_PROBE):
            return FontChoice(path, "fontconfig")
    for path in FONTS:
        if os.path.exists(path) and has_glyphs(path, CJK_PROBE):
            return FontChoice(path, "known path")
    return None


def _fontconfig_candidates() -> list[str]:
    """Font files fontconfig offers for Chinese: its best match first (``fc-match :lang=zh``,
    which may still be a Latin font when the configuration prefers one), then every font it
    lists as covering Chinese (``fc-list :lang=zh``), sans-serif regular faces first."""
    best = _fontconfig("fc-match", "-f", "%{file}", ":lang=zh")
    listed = sorted(
        set(_fontconfig("fc-list", "-f", "%{file}\n", ":lang=zh").splitlines()),
        key=lambda p: ("Sans" not in p, "Regular" not in p and "-Medium" not in p, p),
    )
    return [p for p in [best.strip(), *listed] if p and os.path.isfile(p)]


def _fontconfig(*command: str) -> str:
    """What a fontconfig tool prints, or "" (no fontconfig here, or it failed)."""
    import shutil
    import subprocess

    program = shutil.which(command[0])
    if program is None:
        return ""
    try:
        done = subprocess.run([program, *command[1:]], capture_output=True, timeout=10, check=False, text=True)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout if done.returncode == 0 else ""


def has_glyphs(path: str, text: str) -> bool:
    """Whether the font at ``path`` has a real glyph (not the missing-glyph box) for every
    character of ``text``: each is drawn and compared with a character no font has."""
    from PIL import ImageFont

    try:
        font = ImageFont.truetype(path, 24)
    except OSError:
        return False
    missing = _ink(font, "\U0010fffd")  # a private-use code point: the font's .notdef box
    return all(_ink(font, char) != missing for char in text)


def _ink(font: Any, text: str) -> bytes:
    from PIL import Image, ImageDraw

    picture = Image.new("L", (48, 48), 0)
    ImageDraw.Draw(picture).text((8, 8), text, font=font, fill=255)
    return picture.tobytes()


def _font_path() -> str | None:
    choice = cjk_font()
    if choice is not None:
        return choice.path
    return next((f for f in LATIN_FONTS if os.path.exists(f)), None)


def colour_of(status: Status) -> tuple[int, int, int]:
    return COLOURS.get(status, REJECTED)


def draw_overlay(
    frame: numpy.ndarray, codes: list[DecodedCode], results: list[VerificationResult], last: VerificationResult | None
) -> numpy.ndarray:
    """The frame with each code outlined in its verdict's colour AND labelled with the verdict word,
    and below it a band with the last verdict, large, and what that seal certifies."""
    import cv2
    import numpy as np

    out = frame.copy() if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    labels: list[tuple[int, int, str, tuple[int, int, int]]] = []
    for code, result in zip(codes, results, strict=False):
        points = np.array(code.polygon, dtype=np.int32).reshape(-1, 1, 2)
        colour = colour_of(result.status)
        cv2.polylines(out, [points], True, colour, thickness=max(3, out.shape[1] // 300))
        x, y = int(min(p[0] for p in code.polygon)), int(min(p[1] for p in code.polygon))
        labels.append((x, y, verdict_words(result), colour))
    if labels:
        out = _draw_labels(out, labels)
    return _banner(out, last)


def _draw_labels(image: numpy.ndarray, labels: list[tuple[int, int, str, tuple[int, int, int]]]) -> numpy.ndarray:
    """Each verdict word on a box of its colour above its code: drawn with a real font (PIL),
    as OpenCV's own fonts have no Chinese."""
    import numpy as np
    from PIL import Image, ImageDraw

    picture = Image.fromarray(np.ascontiguousarray(image[:, :, ::-1]))
    draw = ImageDraw.Draw(picture)
    font = _font(max(16, image.shape[1] // 50))
    for x, y, text, (blue, green, red) in labels:
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        height = bottom - top
        y0 = max(0, y - height - 14)
        draw.rectangle((x, y0, x + right - left + 12, y0 + height + 12), fill=(red, green, blue))
        draw.text((x + 6 - left, y0 + 6 - top), text, font=font, fill=(255, 255, 255))
    return np.ascontiguousarray(np.asarray(picture)[:, :, ::-1])


@cache
def _font(size: int) -> Any:
    from PIL import ImageFont

    path = _font_path()
    return ImageFont.truetype(path, size) if path else ImageFont.load_default()


#: Rows of facts in the band (two columns); its height is fixed so the window does not jump.
BANNER_ROWS = 6


def _banner(image: numpy.ndarray, result: VerificationResult | None) -> numpy.ndarray:
    """The picture with a band below it (never over a code) for the last verdict."""
    import numpy as np

    width = image.shape[1]
    cached = _BANDS.get(width)
    if cached is None or cached[0] is not result:
        # The band changes only with the verdict: drawn once, not at every frame.
        cached = _BANDS[width] = (result, _band(width, result))
    return np.vstack([image, cached[1]])


_BANDS: dict[int, tuple[VerificationResult | None, numpy.ndarray]] = {}


def _band(width: int, result: VerificationResult | None) -> numpy.ndarray:
    """The last verdict, large, with what the seal certifies in two columns; drawn with a
    real font so that names in any script show."""
    import numpy as np
    from PIL import Image, ImageDraw

    size = max(14, width // 60)
    big, small = _font(size * 2), _font(size)
    band_height = int(size * 2.8 + BANNER_ROWS * size * 1.3 + 10)
    band = Image.new("RGB", (width, band_height), (25, 25, 25))
    draw = ImageDraw.Draw(band)
    if result is None:
        draw.text((12, 4), _("Hold the seal (QR code) in front of the camera"), font=small, fill=(200, 200, 200))
    else:
        blue, green, red = colour_of(result.status)
        draw.text((12, 4), headline(result), font=big, fill=(red, green, blue))
        # Labels, values and reasons carry text from the seal: through the
        # boundary, so a bidi override or zero-width character is seen, not obeyed.
        if result.genuine:
            facts = fact_lines(result.format, result.facts)
            lines = [_("{label}: {value}").format(label=shown(k).text, value=shown(v).text) for k, v in facts]
            columns = 2
        else:
            # Not genuine: why, not what a seal that cannot be trusted says.
            lines = [shown(reason_text(result), REASON_LIMIT).text]
            columns = 1
        column = (width - 24) // columns
        for i, line in enumerate(lines[: BANNER_ROWS * columns]):
            x = 14 + (i // BANNER_ROWS) * column
            y = size * 2.6 + (i % BANNER_ROWS) * size * 1.3
            draw.text((x, y), _fit(line, small, column - 12), font=small, fill=(240, 240, 240))
    return np.ascontiguousarray(np.asarray(band)[:, :, ::-1])


def _fit(text: str, font: Any, width: float) -> str:
    """The text, cut with an ellipsis to fit in `width` pixels."""
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"


def display_available() -> bool:
    """A display is there to open a window on (always on Windows and macOS; X11 or Wayland elsewhere)."""
    if sys.platform.startswith(("win", "darwin")):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def tk_available() -> bool:
    try:
        import tkinter  # noqa: F401

        from PIL import ImageTk  # noqa: F401
    except ImportError:
        return False
    return True


def opencv_has_gui() -> bool:
    """Whether this OpenCV build can open windows: opencv-python can, opencv-python-headless
    (scanverify's dependency) cannot."""
    import re

    import cv2

    match = re.search(r"^\s*GUI:\s*(\S+)", cv2.getBuildInformation(), re.MULTILINE)
    return match is not None and match.group(1).upper() != "NONE"


def open_window(title: Shown | None = None) -> TkWindow | CvWindow | None:
    """A preview window, or None when none can be opened here (then the terminal view is used).

    Tk (part of most Pythons) is tried first, as it needs no GUI build of
    OpenCV; then OpenCV's own windows, present with the opencv-python wheel.
    """
    if not display_available():
        return None
    if tk_available():
        try:
            return TkWindow(title)
        except Exception:  # tkinter.TclError: the display refused us
            pass
    if opencv_has_gui():
        try:
            return CvWindow(title)
        except Exception:
            pass
    return None


class TkWindow:
    """A preview window drawn with Tk. q or Esc (or closing it) ends the scan."""

    def __init__(self, title: Shown | None = None) -> None:
        import tkinter

        self.root = tkinter.Tk()
        self.root.title((title or shown(_("scanverify live"))).text)
        self.label = tkinter.Label(self.root)
        self.label.pack()
        self.closed = False
        self.root.bind("<Key-q>", self._close)
        self.root.bind("<Escape>", self._close)
        self.root.protocol("WM_DELETE_WINDOW", self._close)
        self.shown = 0

    def _close(self, *_: Any) -> None:
        self.closed = True

    def show(self, image: numpy.ndarray, max_side: int = 1280) -> bool:
        """Show one BGR frame; False once the user closed the window (q, Esc)."""
        from PIL import Image, ImageTk

        picture = Image.fromarray(image[:, :, ::-1])
        picture.thumbnail((max_side, max_side))
        self._photo = ImageTk.PhotoImage(picture)  # kept: Tk shows it only while referenced
        self.label.configure(image=self._photo)
        self.root.update()
        self.shown += 1
        return not self.closed

    def set_title(self, text: Shown) -> None:
        self.root.title(text.text)

    def destroy(self) -> None:
        try:
            self.root.destroy()
        except Exception:
            pass


class CvWindow:
    """A preview window drawn by OpenCV's HighGUI (needs opencv-python, not -headless)."""

    def __init__(self, title: Shown | None = None) -> None:
        import cv2

        self.name = (title or shown(_("scanverify live"))).text
        cv2.namedWindow(self.name, cv2.WINDOW_NORMAL)
        self.shown = 0

    def show(self, image: numpy.ndarray, max_side: int = 1280) -> bool:
        import cv2

        cv2.imshow(self.name, image)
        key = cv2.waitKey(1) & 0xFF
        self.shown += 1
        if key in (ord("q"), 27):
            return False
        return cv2.getWindowProperty(self.name, cv2.WND_PROP_VISIBLE) >= 1

    def set_title(self, text: Shown) -> None:
        import cv2

        cv2.setWindowTitle(self.name, text.text)

    def destroy(self) -> None:
        import cv2

        try:
            cv2.destroyWindow(self.name)
            cv2.waitKey(1)
        except Exception:
            pass


class TerminalView:
    """A live terminal view (rich) for headless use: the last verdict in full, then a table
    of the latest ones, and how many frames have been looked at."""

    def __init__(self, console: Any, stats: Any = None, source: str = "") -> None:
        from rich.live import Live

        self.latest: deque[VerificationResult] = deque(maxlen=8)
        self.frames = 0
        self.stats = stats
        self.console = console
        self.source = shown(source).text
        self.live = Live(self._render(), console=console, refresh_per_second=8, transient=False)

    def __enter__(self) -> TerminalView:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.live.__exit__(*exc)

    def add(self, result: VerificationResult) -> None:
        self.latest.appendleft(result)
        self.live.update(self._render())

    def tick(self) -> None:
        self.frames += 1
        if self.frames % 10 == 0:
            self.live.update(self._render())

    def _render(self) -> Any:
        from rich.console import Group

        from .render import render_result

        if not self.latest:
            return Group(shown(_("Hold the seal (QR code) in front of the camera.")).rich("dim"), self._table(0))
        latest = render_result(self.latest[0])
        # The latest verdict's block comes whole, first; the table of earlier ones
        # only with as many rows as fit under it on the screen. So the view never
        # outgrows the terminal, and the block's closing headline stays on it.
        height = self.console.size.height
        used = len(self.console.render_lines(latest, pad=False))
        for rows in range(len(self.latest), -1, -1):
            table = self._table(rows)
            if used + len(self.console.render_lines(table, pad=False)) < height:
                return Group(latest, table)
        return latest

    def _table(self, rows: int) -> Any:
        from rich.table import Table

        rate = f", {self.stats.decoded_per_second:.0f}/s" if self.stats is not None and self.frames else ""
        words = _("scanverify live {source} — {frames} frames{rate}; Ctrl-C ends")
        title = shown(words.format(source=self.source, frames=self.frames, rate=rate), None)
        table = Table(title=title.rich(), expand=False)
        table.add_column(_("verdict"), no_wrap=True)
        table.add_column(_("seal"), overflow="fold")
        table.add_column(_("why"), overflow="fold")
        for result in list(self.latest)[:rows]:
            seal = next((f.value for f in result.facts if f.label in ("Certificate number", "Certificate id")), "")
            # Rich Text built from the boundary, never a markup string: a payload
            # "[bold green]✔ GENUINE[/]" is shown as those characters.
            verdict = shown(headline(result)).rich(STYLE[result.status][2])
            table.add_row(verdict, shown(seal).rich(), shown(reason_text(result), REASON_LIMIT).rich())
        return table
