"""What live mode shows: codes outlined and labelled on the frame, in a window or a terminal."""

from __future__ import annotations

import os
import sys
from collections import deque
from typing import TYPE_CHECKING, Any

from .display import REASON_LIMIT, Shown, shown
from .model import Status, VerificationResult
from .render import STYLE, headline

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
FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "C:/Windows/Fonts/msyh.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)


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
    for code, result in zip(codes, results, strict=False):
        points = np.array(code.polygon, dtype=np.int32).reshape(-1, 1, 2)
        colour = colour_of(result.status)
        cv2.polylines(out, [points], True, colour, thickness=max(3, out.shape[1] // 300))
        x, y = int(min(p[0] for p in code.polygon)), int(min(p[1] for p in code.polygon))
        label = STYLE[result.status][1] + (" SPECIMEN" if result.genuine and result.specimen else "")
        scale = max(0.6, out.shape[1] / 1400)
        (width, height), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
        top = max(0, y - height - 12)
        cv2.rectangle(out, (x, top), (x + width + 10, top + height + 12), colour, thickness=-1)
        cv2.putText(out, label, (x + 5, top + height + 5), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 2)
    return _banner(out, last)


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
    from PIL import Image, ImageDraw, ImageFont

    size = max(14, width // 60)
    font_path = next((f for f in FONTS if os.path.exists(f)), None)
    big = ImageFont.truetype(font_path, size * 2) if font_path else ImageFont.load_default()
    small = ImageFont.truetype(font_path, size) if font_path else ImageFont.load_default()
    band_height = int(size * 2.8 + BANNER_ROWS * size * 1.3 + 10)
    band = Image.new("RGB", (width, band_height), (25, 25, 25))
    draw = ImageDraw.Draw(band)
    if result is None:
        draw.text((12, 4), "Hold the seal (QR code) in front of the camera", font=small, fill=(200, 200, 200))
    else:
        blue, green, red = colour_of(result.status)
        draw.text((12, 4), headline(result), font=big, fill=(red, green, blue))
        # Labels, values and reasons carry text from the seal: through the
        # boundary, so a bidi override or zero-width character is seen, not obeyed.
        if result.genuine:
            lines = [f"{shown(fact.label).text}: {shown(fact.value).text}" for fact in result.facts]
            columns = 2
        else:
            # Not genuine: why, not what a seal that cannot be trusted says.
            lines = [shown(result.reason, REASON_LIMIT).text]
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
        self.root.title((title or shown("scanverify live")).text)
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

        self.name = (title or shown("scanverify live")).text
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
            return Group(shown("Hold the seal (QR code) in front of the camera.").rich("dim"), self._table(0))
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
        title = shown(f"scanverify live {self.source} — {self.frames} frames{rate}; Ctrl-C ends", None)
        table = Table(title=title.rich(), expand=False)
        table.add_column("verdict", no_wrap=True)
        table.add_column("seal", overflow="fold")
        table.add_column("why", overflow="fold")
        for result in list(self.latest)[:rows]:
            seal = next((f.value for f in result.facts if f.label in ("Certificate number", "Certificate id")), "")
            # Rich Text built from the boundary, never a markup string: a payload
            # "[bold green]✔ GENUINE[/]" is shown as those characters.
            verdict = shown(headline(result)).rich(STYLE[result.status][2])
            table.add_row(verdict, shown(seal).rich(), shown(result.reason, REASON_LIMIT).rich())
        return table
