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

(The module is ``livescan``, not ``live``: a submodule named ``live`` would,
once imported, replace the function ``scanverify.live`` on the package.)
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .errors import ScanverifyError, UsageError
from .i18n import gettext as _
from .model import VerificationResult

if TYPE_CHECKING:
    import numpy

    from .decode import DecodedCode, Effort
    from .verifier import Verifier

__all__ = ["CameraError", "Capture", "Frame", "LiveStats", "Mailbox", "live", "open_capture", "scan"]

#: A payload seen again after this many seconds out of view is reported again.
REPEAT_AFTER = 5.0
#: A camera that gives no frame for this long is taken as gone.
CAMERA_SILENCE = 3.0
#: Escalation (a harder decode of a frame whose fast pass read nothing) runs
#: at most this often, in seconds of stream time: shortly after a code was
#: read (it is probably still there, blurred or tilted) ...
ESCALATE_AFTER_LOSS = 0.25
#: ... and otherwise now and then, for codes the fast pass never reads.
ESCALATE_IDLE = 1.0
#: A code read this recently (stream seconds) makes an empty frame "likely to hold one".
RECENT = 0.5
#: Frames per second assumed for a recording that does not say.
DEFAULT_FPS = 30.0

Decode = Callable[["numpy.ndarray", "Effort"], "list[DecodedCode]"]


class CameraError(ScanverifyError):
    """A camera or stream that cannot be opened, or that stopped giving frames."""


class Capture(Protocol):
    """What frames are read from: a cv2.VideoCapture, or anything with these two methods."""

    def read(self) -> tuple[bool, Any]: ...

    def release(self) -> None: ...


@dataclass
class LiveStats:
    """Counters of a run, for the closing line and the benchmark."""

    frames_read: int = 0
    frames_decoded: int = 0
    frames_dropped: int = 0
    """Frames replaced in the mailbox by a newer one before they were decoded."""
    frames_escalated: int = 0
    """Frames decoded a second time, harder, because the fast pass read nothing."""
    seals: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def decoded_per_second(self) -> float:
        return self.frames_decoded / max(time.monotonic() - self.started, 1e-6)


class Mailbox:
    """Holds at most one frame: the newest.

    Not lossless (a camera): `put` never blocks, and replaces a frame not yet
    taken (counted in `dropped`). Lossless (a file): `put` waits until the
    frame before was taken, so every frame is decoded, at decoding speed.
    """

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


def source_name(source: int | str | Capture) -> str:
    """How a source is named in verdicts and messages: 'camera 0', the path or URL."""
    if isinstance(source, int) or (isinstance(source, str) and source.isdigit()):
        return f"camera {source}"
    return source if isinstance(source, str) else f"<{type(source).__name__}>"


def open_capture(source: int | str) -> tuple[Capture, bool]:
    """An opened cv2.VideoCapture, and whether it runs in real time (camera, stream, device)
    rather than being a recording read at decoding speed.

    Raises CameraError when it cannot be opened.
    """
    import cv2

    _quiet_opencv(cv2)
    name = source_name(source)
    target: int | str = int(source) if isinstance(source, str) and source.isdigit() else source
    realtime = True
    if isinstance(target, str) and "://" not in target:
        try:
            mode = os.stat(target).st_mode
        except OSError:
            raise CameraError(_("{name}: no such video file").format(name=name)) from None
        # /dev/video0 is a camera, not a recording, though it is a path.
        realtime = stat.S_ISCHR(mode)
    capture = cv2.VideoCapture(target)
    if not capture.isOpened():
        capture.release()
        if isinstance(target, int):
            raise CameraError(_("{name}: cannot be opened (no such camera, or in use by another program)").format(name=name))
        raise CameraError(_("{name}: cannot be opened (not a video or stream OpenCV can read)").format(name=name))
    return capture, realtime


def _quiet_opencv(cv2: Any) -> None:
    # OpenCV's own warnings ("can't open camera by index") would break the
    # one-line error, and scanverify says what went wrong itself. Errors
    # still show. (OpenCV's log level is process-wide.)
    logging = getattr(getattr(cv2, "utils", None), "logging", None)
    if logging is not None:
        logging.setLogLevel(logging.LOG_LEVEL_ERROR)


def _reader(
    capture: Capture, realtime: bool, mailbox: Mailbox, stats: LiveStats, errors: list[str], stop: threading.Event
) -> None:
    """The capture thread: read frames until the end, a stop, or a silent camera."""
    fps = _fps(capture)
    silent_since: float | None = None
    try:
        while not stop.is_set():
            ok, frame = capture.read()
            if not ok or frame is None or getattr(frame, "size", 0) == 0:
                if not realtime:
                    return  # the end of the recording
                silent_since = silent_since or time.monotonic()
                if time.monotonic() - silent_since > CAMERA_SILENCE:
                    errors.append(
                        f"no picture for {CAMERA_SILENCE:g} seconds (unplugged, or in use by another program)"
                    )
                    return
                time.sleep(0.01)
                continue
            silent_since = None
            # A recording's own clock (frame number / fps) keeps dedupe and
            # escalation repeatable whatever the machine's speed; a camera's
            # is the wall clock.
            stamp = time.monotonic() if realtime else stats.frames_read / fps
            stats.frames_read += 1
            mailbox.put(frame, stamp)
    except Exception as exc:
        errors.append(f"reading frames failed: {exc}")
    finally:
        mailbox.close()


def _fps(capture: Capture) -> float:
    get = getattr(capture, "get", None)
    if get is None:
        return DEFAULT_FPS
    try:
        import cv2

        fps = float(get(cv2.CAP_PROP_FPS))
    except Exception:
        return DEFAULT_FPS
    return fps if 1.0 <= fps <= 1000.0 else DEFAULT_FPS


@dataclass
class Frame:
    """A decoded frame, for views: the image, its codes and their verdicts."""

    image: numpy.ndarray
    codes: list[DecodedCode]
    results: list[VerificationResult]
    """The verdict for each code (given when the seal was first seen), in the order of `codes`."""
    timestamp: float
    """Seconds: the recording's time for a file, the monotonic clock for a camera."""


def _default_decode(gray: numpy.ndarray, effort: Effort) -> list[DecodedCode]:
    from .decode import decode_image

    return decode_image(gray, effort=effort)


class _Escalation:
    """When to decode a frame harder than the fast pass.

    The fast pass (one zxing-cpp pass) reads most frames of a steady code.
    A frame it reads nothing in gets the caller's effort when a code was read
    a moment ago (it is likely still there, moving or tilting), or else now
    and then: at most once per ESCALATE_AFTER_LOSS / ESCALATE_IDLE seconds of
    stream time, so a camera keeps its frame rate and a recording's run time
    stays bounded.
    """

    def __init__(self, effort: Effort) -> None:
        self.effort = effort
        self.last_read = -1e9
        self.last_escalated = -1e9

    def wanted(self, stamp: float) -> bool:
        if self.effort == "fast":
            return False
        since = stamp - self.last_escalated
        if stamp - self.last_read <= RECENT:
            return since >= ESCALATE_AFTER_LOSS
        return since >= ESCALATE_IDLE

    def escalated(self, stamp: float) -> None:
        self.last_escalated = stamp


def scan(
    source: int | str | Capture = 0,
    *,
    verifier: Verifier | None = None,
    effort: Effort | None = None,
    repeat_after: float = REPEAT_AFTER,
    realtime: bool | None = None,
    on_frame: Callable[[Frame], bool | None] | None = None,
    stats: LiveStats | None = None,
    decode: Decode | None = None,
) -> Generator[VerificationResult, None, None]:
    """Yield a verdict for each distinct code seen: once while it stays in view, and again
    only after it has been out of view for `repeat_after` seconds.

    `source`: a camera number, a video file, a stream URL, or an opened capture
    (anything with ``read()`` and ``release()``). `effort`: the most effort a
    frame gets (default: the verifier's); every frame first gets a fast pass.
    `realtime`: drop frames the decoder has no time for (default: yes for a
    camera, stream or opened capture, no for a file). `on_frame` is called
    with every decoded frame (for a preview); returning True stops.

    Raises CameraError when the source cannot be opened or a camera goes
    away. The camera is released when the iteration ends, however it ends.
    """
    import cv2

    from .verifier import ChunkAssembly
    from .verifier import Verifier as _Verifier

    verifier = verifier if verifier is not None else _Verifier()
    most: str = effort if effort is not None else verifier.effort
    if most not in ("fast", "normal", "thorough"):
        raise UsageError(f"effort must be fast, normal or thorough, not {most!r}")
    escalation = _Escalation(most)  # type: ignore[arg-type]
    decode = decode if decode is not None else _default_decode
    stats = stats if stats is not None else LiveStats()
    name = source_name(source)
    if isinstance(source, (int, str)):
        capture, natural = open_capture(source)
    else:
        capture, natural = source, True
    realtime = natural if realtime is None else realtime
    mailbox = Mailbox(lossless=not realtime)
    errors: list[str] = []
    stop = threading.Event()
    reader = threading.Thread(
        target=_reader, args=(capture, realtime, mailbox, stats, errors, stop), name="scanverify-capture", daemon=True
    )
    last_seen: dict[bytes, float] = {}
    verdicts: dict[bytes, VerificationResult] = {}
    chunks = ChunkAssembly()
    try:
        reader.start()
        while True:
            item = mailbox.get(timeout=0.5)
            if item is None:
                if mailbox.closed:
                    break
                continue
            image, stamp = item
            gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
            codes = decode(gray, "fast")
            if not codes and escalation.wanted(stamp):
                escalation.escalated(stamp)
                stats.frames_escalated += 1
                codes = decode(gray, escalation.effort)
            stats.frames_decoded += 1
            if codes:
                escalation.last_read = stamp
            fresh = []
            results = []
            for code in codes:
                previous = last_seen.get(code.payload)
                last_seen[code.payload] = stamp
                if previous is None or stamp - previous > repeat_after:
                    # The chunks of a multi-code seal seen over several frames are
                    # held until the seal is whole, then verified once.
                    group = chunks.add(code.payload, code)
                    if group is None:
                        fresh.append(code)
                    elif chunks.complete(group):
                        assembled = chunks.take(group)
                        result = verifier.verify_assembled(assembled, source=name)
                        verdicts.update((part, result) for part in assembled.parts)
                        results.append(result)
            whole = verifier.verify_codes(fresh, source=name) if fresh else []
            verdicts.update((code.payload, result) for code, result in zip(fresh, whole, strict=True))
            results = whole + results
            if on_frame is not None:
                # A chunk still waiting for the rest of its seal has no verdict yet.
                shown = [code for code in codes if code.payload in verdicts]
                if on_frame(Frame(image, shown, [verdicts[code.payload] for code in shown], stamp)):
                    return
            for result in results:
                stats.seals += result.is_seal
                yield result
        if errors:
            raise CameraError(f"{name}: {errors[0]}")
    finally:
        stop.set()
        mailbox.close()
        stats.frames_dropped = mailbox.dropped
        if reader.is_alive():
            reader.join(timeout=2)
        capture.release()  # a camera's read() returns within a frame, so the reader is done


def live(
    source: int | str | Capture = 0, *, verifier: Verifier | None = None, **options: Any
) -> Generator[VerificationResult, None, None]:
    """The library's live iterator: ``for result in scanverify.live(0): ...``.

    Yields a VerificationResult for each distinct code seen; stop whenever
    you like (break, or close the iterator) and the camera is released. The
    options are :func:`scan`'s.
    """
    return scan(source, verifier=verifier, **options)
