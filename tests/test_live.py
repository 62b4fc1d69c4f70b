"""Live mode on generated videos: distinct seals once, exit codes, views, the frame mailbox."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
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
from click.testing import CliRunner
from PIL import Image
from specseal import Issuer, make_seal, record
from support import verifier_for, write_trust

from scanverify import Status, TrustStore, Verifier
from scanverify.livescan import CameraError, LiveStats, Mailbox, open_capture, scan

cv2 = pytest.importorskip("cv2")
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
T = int(NOW.timestamp())
AT = "2026-11-26T12:00:00Z"


def code_image(text: str, scale: int = 4) -> np.ndarray:
    buffer = io.BytesIO()
    segno.make_qr(text, error="q").save(buffer, kind="png", scale=scale, border=4)
    return np.asarray(Image.open(buffer).convert("L"))


def write_video(
    path: Path, scenes: list[tuple[str | None, int]], size: tuple[int, int] = (640, 480), fps: int = 10
) -> Path:
    """Scenes of (payload or None, frame count); a code enters, moves and tilts while in view."""
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
def trust_file(issuer: Issuer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_trust(issuer, tmp_path_factory.mktemp("live") / "trust.json")


@pytest.fixture(scope="module")
def seals(issuer: Issuer) -> dict[str, str]:
    return {
        "genuine": make_seal(issuer, iat=T).text(),
        "other": make_seal(issuer, iat=T, rec=record(no="2021-BJ-0099999")).text(),
        "forged": make_seal(issuer, iat=T, signature=bytes(64)).text(),
    }


@pytest.fixture(scope="module")
def video(seals: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Empty desk; a genuine seal in and out; a forged one; a URL; empty again. 48 frames."""
    folder = tmp_path_factory.mktemp("video")
    return write_video(
        folder / "counter.avi",
        [
            (None, 5),
            (seals["genuine"], 15),
            (None, 5),
            (seals["forged"], 12),
            (None, 3),
            ("https://example.org", 6),
            (None, 2),
        ],
    )


# ---------------------------------------------------------------- the library
def test_each_distinct_seal_once_in_order(video: Path, issuer: Issuer) -> None:
    stats = LiveStats()
    results = list(scan(str(video), verifier=verifier_for(issuer, NOW), stats=stats))
    assert [r.status for r in results] == [Status.GENUINE, Status.FORGED, Status.NOT_A_SEAL]
    assert results[0].source == str(video) and results[0].polygon is not None
    # A file is read losslessly: every frame decoded, none dropped.
    assert stats.frames_decoded == stats.frames_read == 48 and stats.frames_dropped == 0


def test_two_seals_in_view_together_each_once(seals: dict[str, str], issuer: Issuer, tmp_path: Path) -> None:
    path = tmp_path / "two.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (800, 480))
    left, right = code_image(seals["genuine"], 3), code_image(seals["other"], 3)
    for i in range(12):
        frame = np.full((480, 800, 3), 235, np.uint8)
        frame[40 + i : 40 + i + left.shape[0], 20 : 20 + left.shape[1]] = left[..., None]
        frame[60 : 60 + right.shape[0], 420 - i : 420 - i + right.shape[1]] = right[..., None]
        writer.write(frame)
    writer.release()
    results = list(scan(str(path), verifier=verifier_for(issuer, NOW)))
    numbers = sorted(f.value for r in results for f in r.facts if f.label == "Certificate number")
    assert numbers == ["2021-BJ-0012345", "2021-BJ-0099999"]
    assert all(r.genuine for r in results) and len(results) == 2


def test_same_seal_again_after_a_pause_is_reported_again(seals: dict[str, str], issuer: Issuer, tmp_path: Path) -> None:
    seal = seals["genuine"]
    path = write_video(
        tmp_path / "again.avi", [(seal, 4), (None, 70), (seal, 4), (None, 5), (seal, 3)], size=(320, 240), fps=10
    )
    results = list(scan(str(path), verifier=verifier_for(issuer, NOW), repeat_after=5.0))
    assert len(results) == 2  # back after 7 s away: again; after 0.5 s away: not again


def test_seal_that_stays_in_view_longer_than_repeat_after_is_reported_once(
    seals: dict[str, str], issuer: Issuer, tmp_path: Path
) -> None:
    path = write_video(tmp_path / "long.avi", [(seals["genuine"], 90)], size=(320, 240), fps=10)  # 9 s
    results = list(scan(str(path), verifier=verifier_for(issuer, NOW), repeat_after=2.0, effort="fast"))
    assert len(results) == 1


def test_library_iterator_stops_when_asked_and_releases(video: Path, issuer: Issuer) -> None:
    import scanverify

    released: list[bool] = []
    capture, realtime = open_capture(str(video))
    assert realtime is False
    release = capture.release

    class Spy:
        def read(self) -> tuple[bool, Any]:
            return capture.read()  # type: ignore[no-any-return]

        def release(self) -> None:
            released.append(True)
            release()

    results = scanverify.live(Spy(), verifier=verifier_for(issuer, NOW), realtime=False)
    first = next(iter(results))
    assert first.genuine and first.polygon is not None
    results.close()  # type: ignore[attr-defined]
    assert released == [True]


def test_unopenable_sources(tmp_path: Path) -> None:
    with pytest.raises(CameraError, match="no such video file"):
        next(scan(str(tmp_path / "missing.avi")))
    junk = tmp_path / "junk.avi"
    junk.write_bytes(b"not a video at all")
    with pytest.raises(CameraError, match="cannot be opened"):
        list(scan(str(junk)))


class FakeCamera:
    """A real-time source: `frames` numbered frames as fast as asked, then nothing (unplugged)."""

    def __init__(self, frames: int, size: tuple[int, int] = (120, 160), interval: float = 0.0) -> None:
        self.frames = frames
        self.size = size
        self.interval = interval
        self.given = 0
        self.released = False

    def read(self) -> tuple[bool, Any]:
        if self.given >= self.frames:
            time.sleep(0.005)
            return False, None
        if self.interval:
            time.sleep(self.interval)
        frame = np.full(self.size, 200, np.uint8)  # gray, so the frame number below survives
        frame[0, 0] = self.given % 256
        frame[0, 1] = self.given // 256
        self.given += 1
        return True, frame

    def release(self) -> None:
        self.released = True


class BlankCamera(FakeCamera):
    """Opens, then gives empty frames only (a driver that has no picture)."""

    def read(self) -> tuple[bool, Any]:
        return True, np.empty((0, 0, 3), np.uint8)


def test_camera_that_gives_only_empty_frames_is_a_clean_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import scanverify.livescan as livescan

    monkeypatch.setattr(livescan, "CAMERA_SILENCE", 0.2)
    camera = BlankCamera(frames=0)
    with pytest.raises(CameraError, match=r"no picture for 0\.2 seconds"):
        list(scan(camera, verifier=Verifier(trust=TrustStore())))
    assert camera.released


def test_camera_that_disappears_is_a_clean_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import scanverify.livescan as livescan

    camera = FakeCamera(frames=3)
    monkeypatch.setattr(livescan, "CAMERA_SILENCE", 0.3)
    stats = LiveStats()
    with pytest.raises(CameraError, match="no picture for"):
        list(scan(camera, verifier=Verifier(trust=TrustStore()), stats=stats))
    assert camera.released and stats.frames_read == 3


def test_newest_frame_is_decoded_and_old_ones_dropped_with_a_slow_decoder(monkeypatch: pytest.MonkeyPatch) -> None:
    """A camera faster than the decoder: old frames are dropped, never queued, and each decode
    gets the newest frame there is."""
    import scanverify.livescan as livescan

    monkeypatch.setattr(livescan, "CAMERA_SILENCE", 0.2)
    camera = FakeCamera(frames=400, interval=0.001)
    decoded: list[tuple[int, int]] = []  # (frame number, frames read by then)
    stats = LiveStats()

    def slow_decoder(gray: np.ndarray, effort: str) -> list[Any]:
        decoded.append((int(gray[0, 0]) + 256 * int(gray[0, 1]), stats.frames_read))
        time.sleep(0.02)
        return []

    with pytest.raises(CameraError):
        list(scan(camera, verifier=Verifier(trust=TrustStore()), effort="fast", stats=stats, decode=slow_decoder))
    numbers = [n for n, _ in decoded]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    assert len(decoded) < 200 < stats.frames_read  # the decoder saw a fraction of the frames ...
    assert stats.frames_dropped >= stats.frames_read - len(decoded) - 1  # ... the rest were dropped
    # ... and each frame it got was the newest when it was taken (a few frames of slack for
    # thread scheduling; a queue would lag by hundreds).
    assert all(read - 1 - number <= 5 for number, read in decoded[1:])


def test_mailbox_keeps_only_the_newest_frame() -> None:
    box = Mailbox(lossless=False)
    for i in range(10):
        box.put(i, float(i))
    assert box.get(timeout=0.1) == (9, 9.0) and box.dropped == 9
    assert box.get(timeout=0.05) is None


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


def test_escalation_only_where_a_code_was_just_lost_and_now_and_then(issuer: Issuer) -> None:
    """Every frame gets the fast pass; a harder pass only shortly after a code was read, or once a second."""
    calls: list[tuple[int, str]] = []
    frames = [np.full((60, 80), i, np.uint8) for i in range(60)]  # 2 s at 30 fps

    class Recording:
        def __init__(self) -> None:
            self.index = 0

        def read(self) -> tuple[bool, Any]:
            if self.index >= len(frames):
                return False, None
            self.index += 1
            return True, frames[self.index - 1]

        def release(self) -> None:
            pass

    def decoder(gray: np.ndarray, effort: str) -> list[Any]:
        calls.append((int(gray[0, 0]), effort))
        return []

    stats = LiveStats()
    list(scan(Recording(), verifier=verifier_for(issuer, NOW), realtime=False, decode=decoder, stats=stats))
    assert [n for n, e in calls if e == "fast"] == list(range(60))
    assert [n for n, e in calls if e == "normal"] == [0, 30]  # idle: once a second of video
    assert stats.frames_escalated == 2
    calls.clear()
    list(scan(Recording(), verifier=verifier_for(issuer, NOW), realtime=False, decode=decoder, effort="fast"))
    assert all(e == "fast" for _, e in calls)


def test_device_path_is_a_camera_not_a_file() -> None:
    # /dev/null is a character device, as /dev/video0 is: real time, and here unopenable.
    with pytest.raises(CameraError, match="cannot be opened"):
        open_capture("/dev/null")


# ---------------------------------------------------------------- the views
def overlay_case(issuer: Issuer) -> tuple[np.ndarray, list[Any], list[Any]]:
    from scanverify.decode import decode_image

    frame = np.full((480, 640, 3), 235, np.uint8)
    tile = code_image(make_seal(issuer, iat=T, signature=bytes(64)).text(), scale=2)
    frame[80 : 80 + tile.shape[0], 300 : 300 + tile.shape[1]] = tile[..., None]
    codes = decode_image(frame)
    assert codes
    return frame, codes, verifier_for(issuer, NOW).verify_codes(codes, source="frame")


def test_overlay_outlines_in_colour_and_labels_with_the_word(issuer: Issuer) -> None:
    from scanverify.live_view import REJECTED, draw_overlay

    frame, codes, results = overlay_case(issuer)
    out = draw_overlay(frame, codes, results, results[0])
    assert out.shape[1] == frame.shape[1] and out.shape[0] > frame.shape[0]  # a band below, never over the code
    picture = out[: frame.shape[0]].astype(int)
    near_red = np.abs(picture - np.array(REJECTED)).sum(axis=2) < 60
    was_red = np.abs(frame.astype(int) - np.array(REJECTED)).sum(axis=2) < 60
    assert not was_red.any()
    # The outline: verdict-coloured pixels along each edge of the code's polygon.
    polygon = np.array(codes[0].polygon)
    for (x0, y0), (x1, y1) in zip(polygon, np.roll(polygon, -1, axis=0), strict=True):
        mx, my = int((x0 + x1) / 2), int((y0 + y1) / 2)
        assert near_red[my - 4 : my + 5, mx - 4 : mx + 5].any(), (mx, my)
    # The label: a verdict-coloured box above the code with white text (the word) in it.
    left, top = int(polygon[:, 0].min()), int(polygon[:, 1].min())
    label = out[max(0, top - 40) : top - 2, left : left + 120].astype(int)
    assert (np.abs(label - np.array(REJECTED)).sum(axis=2) < 60).sum() > 200
    assert (label.min(axis=2) > 230).sum() > 30  # white letters of "FORGED"


@pytest.mark.parametrize(("lang", "word"), [("en", "FORGED"), ("zh", "伪造")])
def test_overlay_label_reads_the_verdict_word(issuer: Issuer, drawn_text: list[str], lang: str, word: str) -> None:
    from scanverify import live_view
    from scanverify.i18n import using

    frame, codes, results = overlay_case(issuer)
    # Drawn with a real font (PIL), not OpenCV's, which has no Chinese.
    with using(lang):
        live_view.draw_overlay(frame, codes, results, None)
    assert drawn_text[0] == word


def test_banner_shows_the_last_verdict_and_what_it_certifies(issuer: Issuer, drawn_text: list[str]) -> None:
    from scanverify import live_view

    genuine = verifier_for(issuer, NOW).verify_payload(make_seal(issuer, iat=T).text())
    frame = np.full((480, 640, 3), 235, np.uint8)
    empty = live_view.draw_overlay(frame, [], [], None)
    shown = live_view.draw_overlay(frame, [], [], genuine)
    assert empty.shape == shown.shape  # the band keeps its height: the window does not jump
    assert any(line.startswith("✔ GENUINE") for line in drawn_text)
    assert "Certificate number: 2021-BJ-0012345" in drawn_text
    assert any("王小明" in line for line in drawn_text)  # names in any script
    drawn_text.clear()
    live_view.draw_overlay(frame, [], [], genuine.redacted())
    assert not any("王小明" in line for line in drawn_text)


def test_no_display_means_no_window(monkeypatch: pytest.MonkeyPatch) -> None:
    from scanverify import live_view

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert live_view.open_window() is None


def test_opencv_window_needs_a_gui_build() -> None:
    from scanverify.live_view import opencv_has_gui

    if not opencv_has_gui():
        pytest.skip(
            "this OpenCV is a build without HighGUI (opencv-python-headless, GUI: NONE), so cv2.imshow "
            "cannot open a window; live mode uses its Tk window instead (tested under Xvfb below)"
        )
    from scanverify.live_view import CvWindow

    window = CvWindow("test")  # pragma: no cover - only with opencv-python and a display
    try:
        assert window.show(np.zeros((40, 40, 3), np.uint8))
    finally:
        window.destroy()


@pytest.fixture(scope="module")
def xvfb() -> Any:
    """A virtual X display, for the preview window; skipped cleanly without Xvfb or tkinter."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (the window tests need a virtual display)")
    pytest.importorskip("tkinter", reason="this Python has no tkinter, so live mode uses the terminal view")
    display = f":{90 + os.getpid() % 9}"
    server = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 5
        while not Path(f"/tmp/.X11-unix/X{display[1:]}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if server.poll() is not None:
            pytest.skip(f"Xvfb could not start on {display}")
        yield display
    finally:
        server.terminate()
        server.wait(timeout=5)


def test_window_q_and_esc_end_the_scan(xvfb: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from scanverify.live_view import TkWindow, open_window

    monkeypatch.setenv("DISPLAY", xvfb)
    window = open_window()
    assert isinstance(window, TkWindow)
    try:
        frame = np.zeros((60, 80, 3), np.uint8)
        for key in ("<Key-q>", "<Escape>"):
            window.closed = False
            assert window.show(frame)
            window.root.focus_force()
            window.root.update()
            window.root.event_generate(key)
            assert not window.show(frame), key
    finally:
        window.destroy()


def test_window_shows_every_frame_of_a_video(xvfb: str, video: Path, trust_file: Path) -> None:
    probe = (
        "import sys, scanverify.live_view as v\n"
        "shown = []\n"
        "original = v.TkWindow.show\n"
        "def show(self, image, max_side=1280):\n"
        "    shown.append(image.shape)\n"
        "    return original(self, image, max_side)\n"
        "v.TkWindow.show = show\n"
        "from scanverify.cli import run\n"
        "code = run(sys.argv[1:])\n"
        "print('WINDOW-FRAMES', len(shown), shown[0][1] if shown else 0)\n"
        "sys.exit(code)\n"
    )
    args = ["live", "--source", str(video), "--no-default-trust", "--trust", str(trust_file), "--at", AT]
    proc = subprocess.run(
        [sys.executable, "-c", probe, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DISPLAY": xvfb, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")},
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "WINDOW-FRAMES 48 640" in proc.stdout  # every frame of the file, at its width
    assert proc.stdout.count("✔ GENUINE") == 2  # the verdicts are printed as well (a block opens and closes with it)
    assert proc.returncode == 1


# ---------------------------------------------------------------- the command
def invoke(*args: str) -> Any:
    from scanverify.cli import main

    return CliRunner().invoke(main, ["live", *args], catch_exceptions=False)


def trusted(trust_file: Path) -> list[str]:
    return ["--no-default-trust", "--trust", str(trust_file), "--at", AT]


def test_cli_json_lines_have_the_image_verification_shape(
    video: Path, trust_file: Path, issuer: Issuer, seals: dict[str, str], tmp_path: Path
) -> None:
    result = invoke("--source", str(video), "--json", *trusted(trust_file))
    objs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["status"] for o in objs] == ["genuine", "forged", "not_a_seal"]
    assert all(len(o["polygon"]) == 4 for o in objs) and objs[0]["source"] == str(video)
    png = tmp_path / "seal.png"
    segno.make_qr(seals["genuine"], error="q").save(str(png), scale=4)
    image = verifier_for(issuer, NOW).verify_image(png)[0].to_json()
    assert objs[0].keys() == image.keys() and objs[0]["payload"] == image["payload"]
    assert result.exit_code == 1
    assert "live: 3 distinct codes seen: 1 genuine, 1 rejected, 1 not a seal (48 frames decoded)" in result.stderr


def test_cli_redact_hides_personal_data(video: Path, trust_file: Path) -> None:
    result = invoke("--source", str(video), "--json", "--redact", "--quiet", *trusted(trust_file))
    first = json.loads(result.stdout.splitlines()[0])
    assert first["payload"] is None and "王小明" not in result.stdout and result.stderr == ""


def test_cli_human_output_without_a_terminal(video: Path, trust_file: Path) -> None:
    result = invoke("--source", str(video), "--headless", *trusted(trust_file))
    # Each seal's block opens and closes with its verdict: two of each, one block each.
    assert result.stdout.count("✔ GENUINE") == 2 and result.stdout.count("✘ FORGED") == 2
    assert result.exit_code == 1


def test_cli_once_exits_with_the_first_seals_code(
    video: Path, trust_file: Path, seals: dict[str, str], tmp_path: Path
) -> None:
    result = invoke("--source", str(video), "--once", "--json", *trusted(trust_file))
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 1
    forged_first = write_video(
        tmp_path / "forged.avi",
        [("https://example.org", 3), (seals["forged"], 4), (seals["genuine"], 4)],
        size=(320, 240),
    )
    result = invoke("--source", str(forged_first), "--once", "--json", *trusted(trust_file))
    assert result.exit_code == 1
    assert [json.loads(line)["status"] for line in result.stdout.splitlines()] == ["not_a_seal", "forged"]


def test_cli_end_of_video_exit_codes(trust_file: Path, seals: dict[str, str], tmp_path: Path) -> None:
    # All seals genuine (a URL beside them changes nothing): 0.
    path = write_video(tmp_path / "ok.avi", [("https://example.org", 3), (seals["genuine"], 4)], size=(320, 240))
    assert invoke("--source", str(path), "--json", *trusted(trust_file)).exit_code == 0
    # No seal at all, only a URL or nothing: 3.
    path = write_video(tmp_path / "url.avi", [("https://example.org", 3), (None, 3)], size=(320, 240))
    assert invoke("--source", str(path), "--json", *trusted(trust_file)).exit_code == 3
    path = write_video(tmp_path / "empty.avi", [(None, 6)], size=(320, 240))
    result = invoke("--source", str(path), "--headless", *trusted(trust_file))
    assert result.exit_code == 3 and "live: 0 distinct codes seen" in result.stderr


def test_cli_camera_that_disappears_is_one_line_exit_2(monkeypatch: pytest.MonkeyPatch, trust_file: Path) -> None:
    import scanverify.livescan as livescan

    monkeypatch.setattr(livescan, "CAMERA_SILENCE", 0.2)
    monkeypatch.setattr(livescan, "open_capture", lambda source: (FakeCamera(frames=5), True))
    result = invoke("--camera", "0", "--headless", *trusted(trust_file))
    assert result.exit_code == 2
    assert (
        result.stderr
        == "scanverify: error: camera 0: no picture for 0.2 seconds (unplugged, or in use by another program)\n"
    )


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scanverify", "live", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")},
    )


def test_cli_bad_source_is_one_line_exit_2(tmp_path: Path) -> None:
    proc = run_cli("--source", "nope.avi")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == "scanverify: error: nope.avi: no such video file\n"
    junk = tmp_path / "junk.avi"
    junk.write_bytes(b"not a video at all")
    proc = run_cli("--source", str(junk), "--headless")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "cannot be opened" in proc.stderr
    proc = run_cli("--camera", "7", "--headless")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "camera 7: cannot be opened" in proc.stderr


def test_ctrl_c_ends_with_a_summary(tmp_path: Path, seals: dict[str, str], trust_file: Path) -> None:
    path = write_video(tmp_path / "long.avi", [(seals["genuine"], 5), (None, 1200)], size=(320, 240), fps=10)
    proc = subprocess.Popen(
        [sys.executable, "-m", "scanverify", "live", "--source", str(path), "--json", *trusted(trust_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")},
        # A shell's background job starts with Ctrl-C ignored, and Python keeps that: give
        # the child the default, so the test means the same however pytest was started.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the seal's verdict: the run is under way
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert json.loads(first)["status"] == "genuine" and out == ""
    assert "Traceback" not in err
    assert "live: 1 distinct code seen: 1 genuine, 0 rejected" in err
    decoded = int(err.rsplit("(", 1)[1].split()[0])
    assert decoded < 1205  # it stopped before the end of the video
    assert proc.returncode == 0
