#!/usr/bin/env python3
"""Live-mode benchmark: frames processed per second on one core, and verdict latency.

    PYTHONPATH=src python3 benchmarks/live.py [--frames 120]

For 640x480, 1280x720 and 1920x1080 it makes frames with a seal in view
(moving and tilting as a hand-held document does, with sensor noise), then,
pinned to one core (CPU affinity, OpenCV and BLAS threads 1), measures:
- the baseline: plain zxing-cpp (gray conversion + read_barcodes) on each frame;
- scanverify's live pipeline on the same frames: capture thread, mailbox,
  fast decode, dedupe, verification, exactly as `scanverify live` runs it
  (frames fed losslessly, so every frame is processed and timed);
- latency: in a clip where the seal slides into view, the processed frames
  between the first frame in which the code is readable (by a thorough
  decode at effort normal, as for a photo) and its verdict;
- a camera at 30 frames/s (frames paced in real time): frames decoded and
  dropped, and how old a frame is when its verdict is out (never stale).
Targets: >= 30 frames/s at 720p; the verdict within two processed frames.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # before numpy and OpenCV load (they are imported in main)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE.parent / "tests"))

SIZES = {"640x480": (640, 480), "1280x720": (1280, 720), "1920x1080": (1920, 1080)}


def code_tile(text: str) -> Any:
    import numpy as np
    import segno
    from PIL import Image

    buffer = io.BytesIO()
    segno.make_qr(text, error="q").save(buffer, kind="png", scale=1, border=4)
    return np.asarray(Image.open(buffer).convert("L"))


def frames_with_code(size: tuple[int, int], text: str, count: int, enter: int = 0) -> list[Any]:
    """`count` BGR frames with the code in view; with `enter` > 0 the first `enter` frames
    have it sliding in from the left edge."""
    import cv2
    import numpy as np

    width, height = size
    side = int(height * 0.45)  # a document held at a comfortable distance
    code = cv2.resize(code_tile(text), (side, side), interpolation=cv2.INTER_NEAREST)
    out = []
    for i in range(count):
        frame = np.full((height, width, 3), 215, np.uint8)
        matrix = cv2.getRotationMatrix2D((side / 2, side / 2), (i % 12) - 6, 1.0)
        tile = cv2.warpAffine(code, matrix, (side, side), borderValue=215)
        home = int((width - side) * (0.2 + 0.6 * ((i % 30) / 30)))
        x = home if i >= enter else int(-side + (home + side) * (i + 1) / (enter + 1))
        y = (height - side) // 2
        left, right = max(0, x), min(width, x + side)
        if right > left:
            frame[y : y + side, left:right] = tile[:, left - x : right - x, None]
        noise = np.random.default_rng(i).normal(0, 4, frame.shape)
        out.append(np.clip(frame + noise, 0, 255).astype(np.uint8))
    return out


class Replay:
    """A capture that gives the frames from memory (no file decoding in the timing)."""

    def __init__(self, frames: list[Any]) -> None:
        self.frames = frames
        self.index = 0

    def read(self) -> tuple[bool, Any]:
        if self.index >= len(self.frames):
            return False, None
        self.index += 1
        return True, self.frames[self.index - 1]

    def release(self) -> None:
        pass


class Paced(Replay):
    """Like a camera: a frame every 1/fps seconds, whether or not the decoder keeps up."""

    def __init__(self, frames: list[Any], fps: float) -> None:
        super().__init__(frames)
        self.interval = 1 / fps
        self.next = 0.0

    def read(self) -> tuple[bool, Any]:
        if self.index >= len(self.frames):
            raise RuntimeError("the end of the benchmark")  # ends the run (a camera never ends)
        now = time.monotonic()
        self.next = max(self.next, now) + self.interval
        time.sleep(max(0.0, self.next - self.interval - now))
        return super().read()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=120, help="frames per size (default 120)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core for both threads
    import cv2
    import zxingcpp
    from specseal import Issuer, make_seal

    from scanverify import TrustStore, Verifier
    from scanverify.decode import decode_image
    from scanverify.livescan import CameraError, LiveStats, scan

    cv2.setNumThreads(1)
    issuer = Issuer()
    text = make_seal(issuer, iat=int(time.time()) - 60).text()
    verifier = Verifier(trust=TrustStore.from_bundle(issuer.bundle(), "bench"))
    cpu = next((line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name")), "?")
    print(
        f"machine: {cpu} ({platform.machine()}), 1 core used of {os.cpu_count()}; Python {platform.python_version()}, "
        f"OpenCV {cv2.__version__}, zxing-cpp {version('zxing-cpp')}; "
        f"seal {len(text)} characters; {args.frames} frames per size"
    )
    print("frames processed per second (fps) and frames in which the code was read:")
    print(f"{'frame size':<11}{'zxing all':>16}{'zxing 2D':>16}{'live':>16}  live/2D  target")
    two_d = zxingcpp.barcode_formats_from_str("QRCode,MicroQRCode,DataMatrix,Aztec,PDF417")
    for label, size in SIZES.items():
        frames = frames_with_code(size, text, args.frames)
        baselines = []
        for formats in (None, two_d):
            options = {} if formats is None else {"formats": formats}
            started = time.perf_counter()
            baseline_read = 0
            for frame in frames:
                baseline_read += bool(zxingcpp.read_barcodes(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), **options))
            baselines.append((len(frames) / (time.perf_counter() - started), baseline_read))
        stats = LiveStats()
        read = [0]

        def count(frame: Any, read: list[int] = read) -> bool:
            read[0] += bool(frame.codes)
            return False

        started = time.perf_counter()
        verdicts = list(scan(Replay(frames), verifier=verifier, realtime=False, stats=stats, on_frame=count))
        ours = stats.frames_decoded / (time.perf_counter() - started)
        assert len(verdicts) == 1 and verdicts[0].genuine, verdicts
        target = ("met" if ours >= 30 else "NOT met") + " (>= 30)" if label == "1280x720" else ""
        cells = "".join(f"{fps:>8.1f} {n:>3}/{len(frames):<3}" for fps, n in [*baselines, (ours, read[0])])
        print(f"{label:<11}{cells}  {ours / baselines[1][0]:>6.2f}  {target}")

    print("a camera at 30 fps (real time: the decoder takes the newest frame, older ones are dropped):")
    for label in SIZES:
        frames = frames_with_code(SIZES[label], text, 90)
        stats = LiveStats()
        ages: list[float] = []

        def age(frame: Any, ages: list[float] = ages) -> bool:
            ages.append(time.monotonic() - frame.timestamp)
            return False

        with contextlib.suppress(CameraError):  # the end of the frames, which a camera never reaches
            list(scan(Paced(frames, 30.0), verifier=verifier, realtime=True, stats=stats, on_frame=age))
        ages.sort()
        print(
            f"  {label:<10} {stats.frames_decoded}/{stats.frames_read} frames decoded, {stats.frames_dropped} dropped; "
            f"frame age at verdict: median {1000 * ages[len(ages) // 2]:.0f} ms, worst {1000 * ages[-1]:.0f} ms"
        )

    for label in ("1280x720", "1920x1080"):
        clip = [frames_with_code(SIZES[label], text, 1)[0] * 0 + 215] * 5 + frames_with_code(
            SIZES[label], text, 25, enter=8
        )
        readable = next((i for i, f in enumerate(clip) if decode_image(f, effort="normal")), None)
        processed: list[int] = []
        verdict_at = None
        for _ in scan(
            Replay(clip),
            verifier=verifier,
            realtime=False,
            on_frame=lambda frame, processed=processed: processed.append(len(processed)) and False,
        ):
            verdict_at = len(processed) - 1
            break
        if readable is None or verdict_at is None:
            print(f"latency {label}: the code was never read")
            continue
        lag = verdict_at - readable
        print(
            f"latency {label}: code readable from frame {readable}, verdict at processed frame {verdict_at}: "
            f"{lag} frame{'s' if lag != 1 else ''} later (target <= 2: {'met' if lag <= 2 else 'NOT met'})"
        )
    return 0


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


if __name__ == "__main__":
    sys.exit(main())
