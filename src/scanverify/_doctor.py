"""What `scanverify doctor` reports: one dict, printed as lines or as JSON (--json)."""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

from .i18n import N_

__all__ = ["DOCTOR_SCHEMA", "cameras", "cjk_font", "report"]

DOCTOR_SCHEMA = "scanverify.doctor.v1"
LIBRARIES = ("cryptography", "cbor2", "segno", "pillow", "numpy", "rich", "click", "zxing-cpp", "opencv-python-headless")
#: Camera indexes probed (a desk has one or two; more is rare and each probe costs time).
CAMERA_INDEXES = range(4)
#: What doctor says when no font draws Chinese (English in --json; translated where shown).
NO_CJK_FONT = N_(
    "no font with Chinese characters is installed: Chinese names would show as boxes in the live window "
    "(install e.g. fonts-noto-cjk)"
)


def report(*, probe_cameras: bool = True) -> dict[str, Any]:
    """Everything doctor says, as JSON-ready data (text from outside kept as data)."""
    from importlib.metadata import PackageNotFoundError, version

    from . import __version__
    from .decode import decoder_info
    from .formats import formats, plugin_problems
    from .trustlist import active_store

    def installed(package: str) -> str | None:
        try:
            return version(package)
        except PackageNotFoundError:
            return None

    store, trust_warnings = active_store()
    return {
        "schema": DOCTOR_SCHEMA,
        "scanverify": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "decoders": [
            {"name": i.name, "available": i.available, "version": i.version, "detail": i.detail} for i in decoder_info()
        ],
        "libraries": {package: installed(package) for package in LIBRARIES},
        "inputs": {
            "pdf": installed("pypdfium2"),
            "heic": installed("pillow-heif") or installed("pi-heif"),
        },
        "formats": [fmt.name for fmt in formats()],
        "format_problems": list(plugin_problems()),
        "trust": {
            "keys": len(store),
            "specimen": sum(1 for k in store if k.specimen),
            "sources": list(store.sources),
            "expires": store.expires.isoformat() if store.expires else None,
            "warnings": [*trust_warnings, *store.warnings],
        },
        "display": _display(),
        "tk": _tk(),
        "fonts": cjk_font(),
        "cameras": cameras() if probe_cameras else None,
    }


def _display() -> dict[str, Any]:
    from .display import fancy

    return {
        "stdout_terminal": sys.stdout.isatty(),
        "styled": fancy(sys.stdout),
        "term": os.environ.get("TERM"),
        "no_color": "NO_COLOR" in os.environ,
        "encoding": getattr(sys.stdout, "encoding", None),
        "graphical": bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or sys.platform in ("win32", "darwin"),
    }


def _tk() -> dict[str, Any]:
    try:
        import tkinter
    except ImportError as exc:
        return {"available": False, "version": None, "detail": f"tkinter cannot be imported ({exc}): the live window needs it"}
    return {"available": True, "version": str(tkinter.TkVersion), "detail": ""}


def cjk_font() -> dict[str, Any]:
    """The font the live window draws Chinese with (found through fontconfig, else in the usual
    places, and checked to have Chinese glyphs: scanverify.live_view.cjk_font), or why there is none.

    A font that lacks them draws a Chinese holder name as empty boxes, and the name is what the
    clerk compares with the paper."""
    from .live_view import cjk_font as find

    choice = find()
    if choice is None:
        return {"cjk": None, "detail": NO_CJK_FONT}
    return {"cjk": choice.path, "detail": ""}


def cameras() -> list[int]:
    """The camera indexes (0-3) OpenCV can open; quick: on Linux only those with a /dev/videoN."""
    try:
        import cv2
    except ImportError:
        return []
    found = []
    for index in CAMERA_INDEXES:
        if sys.platform.startswith("linux") and not os.path.exists(f"/dev/video{index}"):
            continue
        capture = cv2.VideoCapture(index)
        try:
            if capture.isOpened():
                found.append(index)
        finally:
            capture.release()
    return found
