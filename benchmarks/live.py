#!/usr/bin/env python3
"""Live-mode benchmark: frames processed per second on one core, and verdict latency.

    python3 benchmarks/live.py [--seconds 4]

For 640x480, 1280x720 and 1920x1080 it makes frames with a seal in view
(moving and tilting, as a hand-held document does), then measures on one core
(OpenCV and BLAS threads pinned to 1):
- plain zxing-cpp on each frame (the baseline, same frames, same run);
- scanverify's live pipeline per frame (decode at effort fast + verify);
- latency: frames between the first frame in which the code is readable and
  its verdict, in a video where the code enters the view.
Targets: >= 30 frames/s at 720p; verdict within two processed frames.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE.parent / "tests"))

SIZES = {"640x480": (640, 480), "1280x720": (1280, 720), "1920x1080": (1920, 1080)}


def frames_with_code(size: tuple[int, int], text: str, count: int) -> list:  # type: ignore[type-arg]
    import cv2
    import numpy as np
    import segno
    from PIL import Image

    buffer = io.BytesIO()
    segno.make_qr(text, error="q").save(buffer, kind="png", scale=4, border=4)
    code = np.asarray(Image.open(buffer).convert("L"))
    width, height = size
    side = int(min(height * 0.6, code.shape[0] * height / 480))
    code = cv2.resize(code, (side, side), interpolation=cv2.INTER_AREA)
    out = []
    for i in range(count):
        frame = np.full((height, width, 3), 225, np.uint8)
        matrix = cv2.getRotationMatrix2D((side / 2, side / 2), (i % 12) - 6, 1.0)
        tile = cv2.warpAffine(code, matrix, (side, side), borderValue=225)
        x = int((width - side) * (0.2 + 0.6 * ((i % 30) / 30)))
        y = (height - side) // 2
        frame[y : y + side, x : x + side] = tile[..., None]
        noise = np.random.default_rng(i).normal(0, 4, frame.shape)
        out.append(np.clip(frame + noise, 0, 255).astype(np.uint8))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=90)
    args = parser.parse_args()
    import cv2
    import zxingcpp
    from specseal import Issuer, make_seal

    from scanverify import TrustStore, Verifier
    from scanverify.decode._engine import decode_gray
    from scanverify.livescan import LiveStats, scan

    cv2.setNumThreads(1)
    issuer = Issuer()
    text = make_seal(issuer, iat=int(time.time())).text()
    verifier = Verifier(trust=TrustStore.from_bundle(issuer.bundle(), "bench"))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores (1 used), Python {platform.python_version()}, "
        f"OpenCV {cv2.__version__}, seal {len(text)} characters"
    )
    print(f"{'frame size':<11}{'zxing fps':>11}{'scanverify fps':>16}{'ratio':>7}{'target':>9}")
    for label, size in SIZES.items():
        frames = frames_with_code(size, text, args.frames)
        grays = [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in frames]
        started = time.perf_counter()
        for gray in grays:
            zxingcpp.read_barcodes(gray)
        zxing_fps = len(grays) / (time.perf_counter() - started)
        started = time.perf_counter()
        readable = 0
        for frame in frames:
            gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            codes = decode_gray(gray, effort="fast")
            verifier.verify_codes(codes, source="bench")
            readable += bool(codes)
        ours = len(frames) / (time.perf_counter() - started)
        target = ("met" if ours >= 30 else "NOT met") if label == "1280x720" else ""
        print(
            f"{label:<11}{zxing_fps:>11.1f}{ours:>16.1f}{ours / zxing_fps:>7.2f}{target:>9}"
            f"   ({readable}/{len(frames)} frames had the code read)"
        )

    # Latency: a video where the code enters after 10 empty frames.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "enter.avi"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, SIZES["1280x720"])
        empty = frames_with_code(SIZES["1280x720"], text, 1)[0] * 0 + 225
        for _ in range(10):
            writer.write(empty)
        for frame in frames_with_code(SIZES["1280x720"], text, 20):
            writer.write(frame)
        writer.release()
        first_readable = None
        capture = cv2.VideoCapture(str(path))
        index = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            if first_readable is None and decode_gray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), effort="thorough"):
                first_readable = index
            index += 1
        seen: list[int] = []
        stats = LiveStats()
        results = scan(
            str(path), verifier=verifier, stats=stats, on_frame=lambda frame: seen.append(len(seen)) and False
        )
        verdict_at = None
        for _ in results:
            verdict_at = len(seen) - 1
            break
        if first_readable is None or verdict_at is None:
            print("latency: the code was never read")
        else:
            lag = verdict_at - first_readable
            print(
                f"latency: code readable from frame {first_readable}, verdict at processed frame {verdict_at}: "
                f"{lag} frames later (target <= 2: {'met' if lag <= 2 else 'NOT met'})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
