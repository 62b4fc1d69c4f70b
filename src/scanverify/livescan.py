"""Live scanning: frames from a camera or a video, every distinct seal verified once.

>>> import scanverify
>>> for result in scanverify.live(0):          # doctest: +SKIP
...     print(result.status.value, result.reason)
...     break

Frames are captured on one thread and decoded on another. Between them sits
a one-frame mailbox: a camera's newest frame replaces any frame not yet
decoded, so decoding never falls behind the picture and nothing queues up.
A video file is read losslessly instead (the reader waits for the decoder),
so every frame of a recording is looked at and runs are repeatable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ScanverifyError
from .model import VerificationResult

if TYPE_CHECKING:
    import numpy

    from .decode import DecodedCode
    from .verifier import Verifier

__all__ = ["CameraError", "LiveStats", "live", "scan"]

#: A payload seen again after this many seconds out of view is reported again.
REPEAT_AFTER = 5.0
#: A camera that gives no frame for this long is taken as gone.
CAMERA_SILENCE = 3.0


class CameraError(ScanverifyError):
    """A camera or stream that cannot be opened, or that stopped giving frames."""


@dataclass
class LiveStats:
    frames_read: int = 0
    frames_decoded: int = 0
    frames_dropped: int = 0
    seals: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def decoded_per_second(self) -> float:
        return self.frames_decoded / max(time.monotonic() - self.started, 1e-6)


class Mailbox:
    """Holds at most one frame: the newest. `put` never blocks unless lossless."""

    def __init__(self, lossless: bool) -> None:
        self.lossless = lossless
        self._frame: tuple[Any, float] | None = None
        self._closed = False
        self._cond = threading.Condition()
        self.dropped = 0

    def put(self, frame: Any, timestamp: float) -> None:
        with self._cond:
            while self.lossless and self._frame is not None and not self._closed:
                self._cond.wait()
            if self._frame is not None:
                self.dropped += 1  # an older frame never decoded: the newest wins
            self._frame = (frame, timestamp)
            self._cond.notify_all()

    def get(self, timeout: float) -> tuple[Any, float] | None:
        """The newest frame, or None when closed and empty or after `timeout` seconds."""
        with self._cond:
            deadline = time.monotonic() + timeout
            while self._frame is None and not self._closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)
            frame, self._frame = self._frame, None
            self._cond.notify_all()
            return frame

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed


def open_capture(source: int | str) -> tuple[Any, bool]:
    """An opened cv2.VideoCapture and whether it is a file (read losslessly)."""
    import os

    import cv2

    is_file = isinstance(source, str) and os.path.exists(source)
    if isinstance(source, str) and not is_file and "://" not in source and not source.isdigit():
        raise CameraError(f"{source}: no such video file")
    target: int | str = int(source) if isinstance(source, str) and source.isdigit() else source
    capture = cv2.VideoCapture(target)
    if not capture.isOpened():
        what = f"camera {target}" if isinstance(target, int) else str(target)
        raise CameraError(f"{what}: cannot be opened (no such camera, in use, or not a video OpenCV can read)")
    return capture, is_file


def _reader(
    capture: Any, is_file: bool, mailbox: Mailbox, stats: LiveStats, errors: list[str], stop: threading.Event
) -> None:
    import cv2

    silent_since: float | None = None
    try:
        while not stop.is_set():
            ok, frame = capture.read()
            if not ok or frame is None or getattr(frame, "size", 0) == 0:
                if is_file:
                    return  # end of the recording
                silent_since = silent_since or time.monotonic()
                if time.monotonic() - silent_since > CAMERA_SILENCE:
                    errors.append("the camera stopped giving frames (unplugged or in use by another program)")
                    return
                time.sleep(0.01)
                continue
            silent_since = None
            stats.frames_read += 1
            # A file's own clock (position in the video) keeps dedupe
            # repeatable; a camera's is the wall clock.
            stamp = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0 if is_file else time.monotonic()
            mailbox.put(frame, stamp)
    except Exception as exc:
        errors.append(f"reading frames failed: {exc}")
    finally:
        mailbox.close()


@dataclass
class Frame:
    """A decoded frame, for views: the image, its codes and their verdicts."""

    image: numpy.ndarray
    codes: list[DecodedCode]
    results: list[VerificationResult]
    timestamp: float


def scan(
    source: int | str = 0,
    *,
    verifier: Verifier | None = None,
    effort: str = "fast",
    repeat_after: float = REPEAT_AFTER,
    on_frame: Callable[[Frame], bool | None] | None = None,
    stats: LiveStats | None = None,
) -> Iterator[VerificationResult]:
    """Yield a verdict for each distinct code seen: once while it stays in view, and again
    only after it has been out of view for `repeat_after` seconds.

    `on_frame` is called with every decoded frame (for a preview); returning True stops.
    Raises CameraError when the source cannot be opened or a camera goes away.
    """
    import cv2

    from .decode._engine import decode_gray
    from .verifier import Verifier as _Verifier

    verifier = verifier or _Verifier()
    stats = stats or LiveStats()
    capture, is_file = open_capture(source)
    mailbox = Mailbox(lossless=is_file)
    errors: list[str] = []
    stop = threading.Event()
    reader = threading.Thread(target=_reader, args=(capture, is_file, mailbox, stats, errors, stop), daemon=True)
    reader.start()
    last_seen: dict[bytes, float] = {}
    verdicts: dict[bytes, VerificationResult] = {}
    try:
        while True:
            item = mailbox.get(timeout=0.5)
            if item is None:
                if mailbox.closed:
                    break
                continue
            frame, stamp = item
            gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
            codes = decode_gray(gray, effort=effort)  # type: ignore[arg-type]
            stats.frames_decoded += 1
            fresh = []
            for code in codes:
                previous = last_seen.get(code.payload)
                last_seen[code.payload] = stamp
                if previous is None or stamp - previous > repeat_after:
                    fresh.append(code)
            results = verifier.verify_codes(fresh, source=_name(source)) if fresh else []
            verdicts.update((code.payload, result) for code, result in zip(fresh, results, strict=True))
            if on_frame is not None:
                shown = [verdicts[code.payload] for code in codes]
                if on_frame(Frame(frame, codes, shown, stamp)):
                    return
            for result in results:
                stats.seals += result.is_seal
                yield result
        if errors:
            raise CameraError(errors[0])
    finally:
        stop.set()
        mailbox.close()
        stats.frames_dropped = mailbox.dropped
        reader.join(timeout=2)
        capture.release()


def live(source: int | str = 0, *, verifier: Verifier | None = None, **options: Any) -> Iterator[VerificationResult]:
    """The library's live iterator: ``for result in scanverify.live(0): ...``."""
    return scan(source, verifier=verifier, **options)


def _name(source: int | str) -> str:
    return f"camera {source}" if isinstance(source, int) or str(source).isdigit() else str(source)
