"""Live mode on generated videos: distinct seals once, exit codes, views, the frame mailbox."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import segno
from PIL import Image
from specseal import Issuer, make_seal

from scanverify import Status, TrustStore, Verifier
from scanverify.livescan import CameraError, LiveStats, Mailbox, scan

cv2 = pytest.importorskip("cv2")
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
T = int(NOW.timestamp())
ROOT = Path(__file__).resolve().parents[1]


def code_image(text: str, scale: int = 4) -> np.ndarray:
    buffer = io.BytesIO()
    segno.make_qr(text, error="q").save(buffer, kind="png", scale=scale, border=4)
    return np.asarray(Image.open(buffer).convert("L"))


def write_video(
    path: Path, scenes: list[tuple[str | None, int]], size: tuple[int, int] = (640, 480), fps: int = 10
) -> Path:
    """Scenes of (payload or None, frame count); the code moves and tilts while in view."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    width, height = size
    for payload, frames in scenes:
        code = code_image(payload) if payload else None
        for i in range(frames):
            frame = np.full((height, width, 3), 235, np.uint8)
            cv2.putText(frame, "desk", (20, 40), cv2.FONT_HERSHEY_SIMPLEX, 1, (90, 90, 90), 2)
            if code is not None:
                side = min(code.shape[0], height - 40)
                tile = cv2.resize(code, (side, side), interpolation=cv2.INTER_NEAREST)
                angle = (i % 10) - 5  # tilting a little as the hand moves
                matrix = cv2.getRotationMatrix2D((side / 2, side / 2), angle, 1.0)
                tile = cv2.warpAffine(tile, matrix, (side, side), borderValue=255)
                x = 20 + (i * 7) % max(1, width - side - 40)
                y = (height - side) // 2
                frame[y : y + side, x : x + side] = tile[..., None]
            writer.write(frame)
    writer.release()
    return path


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer("ES256")


@pytest.fixture(scope="module")
def trust_file(issuer: Issuer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("live") / "trust.json"
    path.write_text(json.dumps(issuer.bundle()))
    return path


@pytest.fixture(scope="module")
def video(issuer: Issuer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    genuine = make_seal(issuer, iat=T).text()
    forged = make_seal(issuer, iat=T, signature=bytes(64)).text()
    folder = tmp_path_factory.mktemp("video")
    return write_video(
        folder / "counter.avi",
        [(None, 5), (genuine, 15), (None, 5), (forged, 12), (None, 3), ("https://example.org", 6), (None, 2)],
    )


def verifier_for(issuer: Issuer) -> Verifier:
    return Verifier(trust=TrustStore.from_bundle(issuer.bundle(), "t"), clock=lambda: NOW)


def test_each_distinct_seal_once_in_order(video: Path, issuer: Issuer) -> None:
    stats = LiveStats()
    results = list(scan(str(video), verifier=verifier_for(issuer), stats=stats))
    assert [r.status for r in results] == [Status.GENUINE, Status.FORGED, Status.NOT_A_SEAL]
    assert stats.frames_decoded == stats.frames_read == 48 and stats.frames_dropped == 0


def test_same_seal_again_after_a_pause_is_reported_again(issuer: Issuer, tmp_path: Path) -> None:
    seal = make_seal(issuer, iat=T).text()
    path = write_video(tmp_path / "again.avi", [(seal, 4), (None, 70), (seal, 4), (None, 5), (seal, 3)], fps=10)
    results = list(scan(str(path), verifier=verifier_for(issuer), repeat_after=5.0))
    assert len(results) == 2  # 7 s away: again; 0.5 s away: not again


def test_library_iterator(video: Path, issuer: Issuer) -> None:
    import scanverify

    first = next(iter(scanverify.live(str(video), verifier=verifier_for(issuer))))
    assert first.genuine and first.polygon is not None


def test_unopenable_sources(tmp_path: Path) -> None:
    with pytest.raises(CameraError, match="no such video file"):
        next(scan(str(tmp_path / "missing.avi")))
    junk = tmp_path / "junk.avi"
    junk.write_bytes(b"not a video at all")
    with pytest.raises(CameraError, match="cannot be opened"):
        list(scan(str(junk)))


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scanverify", "live", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_cli_json_stream_and_exit_code(video: Path, trust_file: Path) -> None:
    proc = run_cli(
        "--source",
        str(video),
        "--json",
        "--no-default-trust",
        "--trust",
        str(trust_file),
        "--at",
        "2026-11-26T12:00:00Z",
    )
    objs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["status"] for o in objs] == ["genuine", "forged", "not_a_seal"]
    assert all(len(o["polygon"]) == 4 for o in objs) and objs[0]["source"] == str(video)
    assert proc.returncode == 1
    assert "3 inputs: 1 genuine, 1 rejected" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_once(video: Path, trust_file: Path) -> None:
    proc = run_cli(
        "--source", str(video), "--once", "--json", "--trust", str(trust_file), "--at", "2026-11-26T12:00:00Z"
    )
    assert proc.returncode == 0 and len(proc.stdout.splitlines()) == 1


def test_cli_no_seal_in_video_is_3(tmp_path: Path) -> None:
    path = write_video(tmp_path / "empty.avi", [(None, 6)])
    proc = run_cli("--source", str(path), "--headless")
    assert proc.returncode == 3 and "Traceback" not in proc.stderr


def test_cli_bad_source_is_one_line_exit_2(tmp_path: Path) -> None:
    proc = run_cli("--source", str(tmp_path / "nope.avi"))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "no such video file" in proc.stderr
    proc = run_cli("--camera", "7", "--headless")
    assert proc.returncode == 2 and "camera 7" in proc.stderr and "Traceback" not in proc.stderr


def test_mailbox_keeps_only_the_newest_frame() -> None:
    box = Mailbox(lossless=False)
    for i in range(10):
        box.put(i, float(i))
    assert box.get(timeout=0.1) == (9, 9.0) and box.dropped == 9
    assert box.get(timeout=0.05) is None


def test_mailbox_with_a_slow_decoder_never_queues() -> None:
    box = Mailbox(lossless=False)
    seen: list[int] = []

    def slow_decoder() -> None:
        while (item := box.get(timeout=1.0)) is not None:
            seen.append(item[0])
            time.sleep(0.02)

    consumer = threading.Thread(target=slow_decoder)
    consumer.start()
    for i in range(200):
        box.put(i, float(i))
        time.sleep(0.001)
    box.close()
    consumer.join(timeout=5)
    assert seen[-1] == 199 or box.dropped > 0
    assert len(seen) < 100 and box.dropped + len(seen) >= 199  # old frames dropped, not queued
    assert seen == sorted(seen)


def test_mailbox_lossless_for_files() -> None:
    box = Mailbox(lossless=True)
    seen: list[int] = []
    consumer = threading.Thread(target=lambda: [seen.append(x[0]) for x in iter(lambda: box.get(1.0), None)])
    consumer.start()
    for i in range(50):
        box.put(i, float(i))
    box.close()
    consumer.join(timeout=5)
    assert seen == list(range(50)) and box.dropped == 0


def test_overlay_outlines_and_labels(issuer: Issuer) -> None:
    from scanverify.decode import decode_image
    from scanverify.live_view import REJECTED, draw_overlay

    frame = np.full((480, 640, 3), 235, np.uint8)
    tile = code_image(make_seal(issuer, iat=T, signature=bytes(64)).text(), scale=2)
    frame[80 : 80 + tile.shape[0], 300 : 300 + tile.shape[1]] = tile[..., None]
    codes = decode_image(frame)
    assert codes
    results = verifier_for(issuer).verify_codes(codes, source="frame")
    out = draw_overlay(frame, codes, results, results[0])
    x0, y0 = (int(v) for v in codes[0].polygon[0])
    edge = out[y0 - 3 : y0 + 4, x0 - 3 : x0 + 40]
    assert (np.abs(edge.astype(int) - np.array(REJECTED)).sum(axis=2) < 60).any()  # outline in the verdict colour
    assert not np.array_equal(
        out[int(y0) - 40 : int(y0) - 5, x0 : x0 + 100], frame[int(y0) - 40 : int(y0) - 5, x0 : x0 + 100]
    )
    assert out.shape[0] > frame.shape[0] and out.shape[1] == frame.shape[1]  # a band below for the last verdict
    assert (out[frame.shape[0] :] != 25).any()  # with text in it


@pytest.mark.skipif(
    shutil.which("Xvfb") is None, reason="Xvfb is not installed (the window test needs a virtual display)"
)
def test_window_under_xvfb(video: Path, trust_file: Path) -> None:
    pytest.importorskip("tkinter", reason="this Python has no tkinter, so live mode uses the terminal view")
    display = ":97"
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(1.0)
        probe = (
            "import sys, scanverify.live_view as v\n"
            "shown = []\n"
            "original = v.Window.show\n"
            "def show(self, image, max_side=1280):\n"
            "    shown.append(image.shape)\n"
            "    return original(self, image, max_side)\n"
            "v.Window.show = show\n"
            "from scanverify.cli import run\n"
            "code = run(sys.argv[1:])\n"
            "print('WINDOW-FRAMES', len(shown))\n"
            "sys.exit(code)\n"
        )
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                probe,
                "live",
                "--source",
                str(video),
                "--trust",
                str(trust_file),
                "--at",
                "2026-11-26T12:00:00Z",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "DISPLAY": display},
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        assert "WINDOW-FRAMES 48" in proc.stdout
        assert proc.returncode == 1
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=5)


class _FakeCamera:
    """A camera that gives a few frames, then nothing: unplugged mid-run."""

    def __init__(self, frames: int) -> None:
        self.frames = frames
        self.released = False

    def read(self) -> tuple[bool, Any]:
        if self.frames <= 0:
            return False, None
        self.frames -= 1
        return True, np.full((120, 160, 3), 200, np.uint8)

    def get(self, _prop: int) -> float:
        return 0.0

    def release(self) -> None:
        self.released = True


def test_camera_that_disappears_is_a_clean_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import scanverify.livescan as livescan

    camera = _FakeCamera(frames=3)
    monkeypatch.setattr(livescan, "open_capture", lambda source: (camera, False))
    monkeypatch.setattr(livescan, "CAMERA_SILENCE", 0.3)
    stats = LiveStats()
    with pytest.raises(CameraError, match="stopped giving frames"):
        list(scan(0, verifier=Verifier(trust=TrustStore()), stats=stats))
    assert camera.released and stats.frames_read == 3


def test_ctrl_c_ends_with_a_summary(tmp_path: Path, issuer: Issuer, trust_file: Path) -> None:
    import signal

    seal = make_seal(issuer, iat=T).text()
    path = write_video(tmp_path / "long.avi", [(seal, 20), (None, 1500)], fps=10)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scanverify",
            "live",
            "--source",
            str(path),
            "--json",
            "--trust",
            str(trust_file),
            "--at",
            "2026-11-26T12:00:00Z",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(3.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert "Traceback" not in err
    assert "1 input: 1 genuine" in err
    assert proc.returncode == 0 and json.loads(out.splitlines()[0])["status"] == "genuine"
