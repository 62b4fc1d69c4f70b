"""What live mode shows: codes outlined and labelled on the frame, in a window or a terminal."""

from __future__ import annotations

import os
import sys
from collections import deque
from typing import TYPE_CHECKING, Any

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
    and the last verdict written large at the bottom with what the seal certifies."""
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
    if last is not None:
        out = _banner(out, last)
    return out


def _banner(image: numpy.ndarray, result: VerificationResult) -> numpy.ndarray:
    """The last verdict, large, with its facts, in a band below the picture (never over a code);
    drawn with a real font so that names in any script show."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    width = image.shape[1]
    lines = [f"{fact.label}: {fact.value}" for fact in result.facts[:6]]
    size = max(14, width // 50)
    font_path = next((f for f in FONTS if os.path.exists(f)), None)
    big = ImageFont.truetype(font_path, size * 2) if font_path else ImageFont.load_default()
    small = ImageFont.truetype(font_path, size) if font_path else ImageFont.load_default()
    band_height = int(size * 2.8 + len(lines) * size * 1.3 + 10)
    band = Image.new("RGB", (width, band_height), (25, 25, 25))
    draw = ImageDraw.Draw(band)
    blue, green, red = colour_of(result.status)
    draw.text((12, 4), headline(result), font=big, fill=(red, green, blue))
    for i, line in enumerate(lines):
        draw.text((14, size * 2.6 + i * size * 1.3), line, font=small, fill=(240, 240, 240))
    return np.vstack([image, np.asarray(band)[:, :, ::-1]])


def display_available() -> bool:
    """A window can be opened: tkinter is present and (on X11 systems) a display is set."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    try:
        import tkinter  # noqa: F401

        from PIL import ImageTk  # noqa: F401
    except ImportError:
        return False
    return True


class Window:
    """A preview window (Tk: part of Python, so no GUI build of OpenCV is needed)."""

    def __init__(self, title: str = "scanverify live") -> None:
        import tkinter

        self.root = tkinter.Tk()
        self.root.title(title)
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

    def set_title(self, text: str) -> None:
        self.root.title(text)

    def destroy(self) -> None:
        try:
            self.root.destroy()
        except Exception:
            pass


class TerminalView:
    """A live terminal table of the latest verdicts (rich), for headless use."""

    def __init__(self, console: Any) -> None:
        from rich.live import Live

        self.latest: deque[VerificationResult] = deque(maxlen=8)
        self.frames = 0
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
        from rich.table import Table
        from rich.text import Text

        from .render import render_result

        table = Table(title=f"scanverify live — {self.frames} frames", expand=False)
        table.add_column("verdict", no_wrap=True)
        table.add_column("seal")
        table.add_column("why")
        for result in self.latest:
            seal = next((f.value for f in result.facts if f.label in ("Certificate number", "Certificate id")), "")
            table.add_row(Text(headline(result), style=STYLE[result.status][2]), seal, result.reason)
        parts: list[Any] = [table]
        if self.latest:
            parts.insert(0, render_result(self.latest[0]))
        return Group(*parts)
