"""Issue 9, parts 3 and 7: bounded resources, no input stops a batch, only ScanverifyError escapes.

Each case runs through the library and the command line (``cli.run`` in
process; FIFOs and stdin also as real subprocesses, with a timeout, so that a
regression fails instead of hanging the suite). Memory figures are measured by
benchmarks/memory.py, never asserted here.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image, ImageOps
from specseal import Issuer, make_seal
from support import Cli, json_lines, verifier_for, write_trust

import scanverify._batch as _batch
import scanverify.cli as cli
from scanverify import Verifier
from scanverify.decode import _image, decode_image, load_image
from scanverify.decode._engine import decode_gray
from scanverify.errors import ImageError, ScanverifyError, UsageError
from scanverify.trust import TrustStore

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_images"
AT = "2026-11-26T12:00:00Z"
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
T = int(NOW.timestamp())
TEXT = "ROBUST-TEST-PAYLOAD-1234"


# ---------------------------------------------------------------- helpers
def qr_gray(text: str = TEXT, scale: int = 6) -> np.ndarray:
    """A QR code as an 8-bit gray array, black on white, with its quiet zone."""
    import segno

    matrix = np.array(segno.make(text, error="m").matrix, dtype=bool)
    gray = np.where(matrix, 0, 255).astype(np.uint8).repeat(scale, 0).repeat(scale, 1)
    return np.pad(gray, 4 * scale, constant_values=255)


def png(image: Image.Image, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", **options)
    return out.getvalue()


def payloads(source: Any) -> list[bytes]:
    return [code.payload for code in decode_image(source, effort="fast")]


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def subprocess_run(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "scanverify", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.fixture()
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("this system has no named pipes (os.mkfifo)")
    path = tmp_path / "pipe.png"
    os.mkfifo(path)
    return path


# ---------------------------------------------------------------- 1. memory-bounded conversion, same pixels
@pytest.fixture()
def small_strips(monkeypatch: pytest.MonkeyPatch) -> None:
    """Strips of a few rows, so every test image is converted in many strips."""
    monkeypatch.setattr(_image, "STRIP_PIXELS", 4096)


def test_sixteen_bit_is_stretched_strip_by_strip_as_the_whole_frame_would_be(small_strips: None) -> None:
    gray = qr_gray()
    # A narrow 16-bit range (a dim scan): clipping to 8 bits would lose it.
    wide = (1000 + gray.astype(np.uint16) * 2).astype(np.uint16)
    expected = np.rint((wide.astype(np.float64) - wide.min()) * 255.0 / (wide.max() - wide.min())).astype(np.uint8)
    got = load_image(png(Image.fromarray(wide)))
    assert np.array_equal(got, expected)
    assert payloads(png(Image.fromarray(wide))) == [TEXT.encode()]


@pytest.mark.parametrize("mode", ["I", "F"])
def test_wide_modes_are_stretched(small_strips: None, mode: str, tmp_path: Path) -> None:
    gray = qr_gray()
    values = gray.astype(np.float32) * 3.5 + 100 if mode == "F" else gray.astype(np.int32) * 1000 - 50_000
    path = tmp_path / "wide.tif"
    Image.fromarray(values.astype(np.float32 if mode == "F" else np.int32), mode).save(path)
    got = load_image(path)
    assert got.min() == 0 and got.max() == 255
    assert np.array_equal(got == 0, gray == 0)
    assert payloads(path) == [TEXT.encode()]


def test_transparent_background_is_white(small_strips: None) -> None:
    gray = qr_gray()
    rgba = np.zeros((*gray.shape, 4), dtype=np.uint8)  # black everywhere ...
    rgba[..., 3] = np.where(gray == 0, 255, 0)  # ... but only the modules are opaque
    assert np.asarray(Image.fromarray(rgba, "RGBA").convert("L")).max() == 0  # what ignoring alpha would see
    got = load_image(png(Image.fromarray(rgba, "RGBA")))
    assert np.array_equal(got, gray)
    assert payloads(png(Image.fromarray(rgba, "RGBA"))) == [TEXT.encode()]


@pytest.mark.parametrize("mode", ["LA", "PA", "RGBa", "P-transparent", "1", "CMYK", "RGB", "YCbCr", "LAB", "HSV"])
def test_every_mode_decodes(small_strips: None, mode: str, tmp_path: Path) -> None:
    base = Image.fromarray(qr_gray())
    data: Any
    if mode in ("PA", "RGBa", "HSV"):
        data = base.convert("RGBA").convert(mode)  # no file format stores these: given as a PIL image
    elif mode == "P-transparent":
        image = base.convert("P")
        background = int(np.asarray(image)[0, 0])
        data = png(image, transparency=background)
    else:
        image = base.convert(mode)
        if mode in ("CMYK", "YCbCr"):
            path = tmp_path / "image.jpg"
            image.save(path, quality=95)
        else:
            path = tmp_path / "image.tif" if mode in ("LAB", "HSV") else tmp_path / "image.png"
            image.save(path)
        data = path.read_bytes()
    assert payloads(data) == [TEXT.encode()]


def test_exif_orientation_matches_pillow() -> None:
    rng = np.random.default_rng(7)
    stored = rng.integers(0, 256, (13, 21), dtype=np.uint8)
    for orientation in range(1, 9):
        image = Image.fromarray(stored)
        exif = image.getexif()
        exif[0x0112] = orientation
        data = png(image, exif=exif.tobytes())
        expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("L"))
        assert np.array_equal(load_image(data), expected), orientation


def test_a_jpeg_is_read_as_its_luma_like_convert_l() -> None:
    data = (SAMPLES / "genuine.jpg").read_bytes()
    reference = np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=np.int16)
    difference = np.abs(load_image(data).astype(np.int16) - reference)
    assert difference.max() <= 2  # the decoder's own rounding, no more


def test_a_callers_pil_image_is_not_changed() -> None:
    image = Image.open(SAMPLES / "genuine.jpg")
    load_image(image)
    assert image.mode == "RGB"


# ---------------------------------------------------------------- 2. tiny, broken and odd images: ImageError
@pytest.mark.parametrize("size", [(1, 1), (2, 2), (3, 3), (1, 40), (40, 1), (7, 200), (200, 7)])
def test_tiny_images_are_image_errors(size: tuple[int, int]) -> None:
    image = Image.new("L", size, 255)
    for source in (png(image), image, np.full((size[1], size[0]), 255, np.uint8)):
        with pytest.raises(ImageError, match="too small"):
            Verifier().verify_image(source)


def test_the_smallest_allowed_image_is_decoded() -> None:
    assert Verifier(clock=lambda: NOW).verify_image(np.full((8, 8), 255, np.uint8))[0].status.value == "no_code"


def huge_png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


BROKEN: dict[str, Callable[[], bytes]] = {
    "empty": lambda: b"",
    "not an image": lambda: b"hello, world\n" * 10,
    "truncated jpeg": lambda: (SAMPLES / "genuine.jpg").read_bytes()[:3000],
    "truncated png": lambda: png(Image.fromarray(qr_gray()))[:200],
    "corrupt png body": lambda: png(Image.fromarray(qr_gray()))[:60] + bytes(range(256)) * 4,
    "huge declared": lambda: huge_png_header(100_000, 100_000),
    "zero height": lambda: huge_png_header(100, 0),
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_broken_images_are_image_errors(kind: str, tmp_path: Path) -> None:
    data = BROKEN[kind]()
    path = tmp_path / "broken.png"
    path.write_bytes(data)
    for source in (data, path):
        with pytest.raises(ImageError):
            Verifier().verify_image(source)


def test_an_animated_image_gives_its_first_frame() -> None:
    first = Image.fromarray(qr_gray()).convert("P")
    second = Image.new("P", first.size, 0)
    out = io.BytesIO()
    first.save(out, format="GIF", save_all=True, append_images=[second], duration=100, loop=0)
    assert payloads(out.getvalue()) == [TEXT.encode()]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_any_bytes_decode_or_raise_image_error(data: bytes) -> None:
    for blob in (data, b"\x89PNG\r\n\x1a\n" + data, b"GIF89a" + data, b"\xff\xd8\xff" + data):
        try:
            decode_image(blob, effort="fast")
        except ImageError:
            pass


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hnp.arrays(
        dtype=st.sampled_from([np.uint8, np.uint16, np.int32, np.float32, np.float64, np.bool_, np.int8]),
        shape=hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=24),
    )
)
def test_any_numeric_array_gives_gray_or_image_error(array: np.ndarray) -> None:
    try:
        gray = load_image(array)
    except ImageError:
        return
    assert gray.dtype == np.uint8 and gray.shape == array.shape[:2]
    decode_gray(gray, effort="normal")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hnp.arrays(np.uint8, hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=40)))
def test_the_engine_takes_any_gray_frame(gray: np.ndarray) -> None:
    # Live frames reach the engine without load_image: no size may make OpenCV raise.
    assert isinstance(decode_gray(gray, effort="thorough"), list)


# ---------------------------------------------------------------- 4. the library raises only ScanverifyError
@pytest.mark.parametrize("payload", [None, 5, 1.5, ["CS1:"], {"a": 1}, object()])
def test_payload_of_a_wrong_type_is_a_usage_error(payload: Any) -> None:
    with pytest.raises(UsageError, match="payload"):
        Verifier().verify_payload(payload)


@pytest.mark.parametrize("payload", ["hello", b"hello", bytearray(b"hello"), memoryview(b"hello")])
def test_text_and_bytes_payloads_are_taken(payload: Any) -> None:
    assert Verifier(clock=lambda: NOW).verify_payload(payload).status.value == "not_a_seal"


@pytest.mark.parametrize(
    "reading",
    [1.5, 1_700_000_000, "2026-11-26T12:00:00Z", None, datetime(2026, 1, 1), datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))],
)
def test_a_bad_clock_is_a_usage_error(reading: Any) -> None:
    with pytest.raises(UsageError, match="clock"):
        Verifier(clock=lambda: reading).verify_payload("hello")


@pytest.mark.parametrize(
    "dtype_array",
    [
        np.full((20, 20), "a"),
        np.full((20, 20), b"a"),
        np.empty((20, 20), dtype=object),
        np.zeros((20, 20), dtype=complex),
        np.zeros((20, 20), dtype="datetime64[s]"),
        np.zeros((20, 20), dtype=[("a", "u1"), ("b", "u1")]),
        np.zeros(20),
        np.zeros((20, 20, 3, 1)),
        np.zeros((20, 20, 2)),
        np.zeros((20, 20, 5)),
        np.zeros((0, 20)),
    ],
    ids=["str", "bytes", "object", "complex", "datetime", "structured", "1-d", "4-d", "2-ch", "5-ch", "empty"],
)
def test_arrays_that_are_no_image_are_image_errors(dtype_array: np.ndarray) -> None:
    with pytest.raises(ImageError):
        Verifier().verify_image(dtype_array)


@pytest.mark.parametrize("effort", ["slow", "", None, 3, ["fast"]])
def test_a_wrong_effort_is_a_usage_error(effort: Any) -> None:
    with pytest.raises(UsageError, match="effort"):
        Verifier(effort=effort).verify_image(qr_gray())
    with pytest.raises(UsageError, match="effort"):
        decode_image(qr_gray(), effort=effort)


@pytest.mark.parametrize("source", [None, 5, 1.5, ["a.png"], object()])
def test_an_image_source_of_a_wrong_type_is_an_image_error(source: Any) -> None:
    with pytest.raises(ScanverifyError):
        Verifier().verify_image(source)


# ---------------------------------------------------------------- times at the ends of datetime's range
EXTREMES = ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-05:00"]


@pytest.mark.parametrize("bound", ["not_before", "not_after"])
@pytest.mark.parametrize("moment", EXTREMES)
@pytest.mark.parametrize("at", [None, "9999-12-31T23:59:59Z", "9999-12-31T18:59:59-05:00", "0001-01-01T00:00:00Z"])
def test_extreme_times_give_verdicts(run_cli: Cli, tmp_path: Path, bound: str, moment: str, at: str | None) -> None:
    issuer = Issuer()
    trust = str(write_trust(issuer, tmp_path / "trust.json", **{bound: moment}))
    seal = make_seal(issuer, iat=T).text()
    code, out, err = run_cli(
        "--json", "--no-default-trust", "--trust", trust, *(["--at", at] if at else []), "--text", seal
    )
    assert code in (0, 1), err
    [row] = json_lines(out)
    assert row["status"] in ("genuine", "expired", "not_yet_valid")
    if at == "9999-12-31T23:59:59Z" and bound == "not_before":
        assert row["status"] == ("not_yet_valid" if moment.startswith("9999") else "genuine")


def test_the_latest_clock_reading_verifies() -> None:
    issuer = Issuer()
    verifier = verifier_for(issuer, datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC))
    assert verifier.verify_payload(make_seal(issuer, iat=T).text()).status.value == "genuine"
    # A seal signed at the very end of time, checked at the very start: not yet valid, no overflow.
    early = Verifier(trust=verifier.trust, clock=lambda: datetime(1, 1, 1, tzinfo=UTC))
    assert early.verify_payload(make_seal(issuer, iat=T).text()).status.value == "not_yet_valid"


@pytest.mark.parametrize(
    "at", ["0001-01-01T00:00:00+05:00", "0001-01-01T04:59:59+05:00", "9999-12-31T23:00:00-05:00", "9999-12-31T23:59:59-05:00"]
)
def test_at_outside_utc_years_is_one_line_exit_2(run_cli: Cli, at: str) -> None:
    code, _, err = run_cli("--at", at, "--text", "hello")
    assert code == 2
    assert "years 1 to 9999" in one_line(err)


@pytest.mark.parametrize(
    "args",
    # Bare `scanverify` prints its help (exit 2): tests/test_counter_packaging.py.
    [["--at", "yesterday", "--text", "x"], ["--bogus", "x.png"], ["--effort", "slow", "x.png"], ["trust", "update"]],
)
def test_option_errors_are_one_line_exit_2(run_cli: Cli, args: list[str]) -> None:
    code, out, err = run_cli(*args)
    assert code == 2
    assert one_line(err).startswith("scanverify: error:")
    assert out == ""


# ---------------------------------------------------------------- SCANVERIFY_HOME
@pytest.mark.parametrize("args", [["--text", "hello"], ["doctor"], ["trust", "show"], ["trust", "update", "x.json"]])
def test_home_naming_a_file_is_one_line_exit_2(
    run_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    home = tmp_path / "a-file"
    home.write_text("not a folder")
    monkeypatch.setenv("SCANVERIFY_HOME", str(home))
    code, _, err = run_cli(*args)
    assert code == 2
    assert "SCANVERIFY_HOME" in one_line(err)


def test_install_that_cannot_write_is_one_line_exit_2(
    run_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import scanverify.trustlist

    def refuse(*_args: Any, **_kwargs: Any) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(scanverify.trustlist, "install", refuse)
    update = tmp_path / "update.json"
    update.write_text("{}")
    code, _, err = run_cli("trust", "update", str(update))
    assert code == 2
    assert "cannot install" in one_line(err)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into any folder, whatever its mode")
def test_home_that_is_not_writable_is_one_line_exit_2(
    run_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(stat.S_IRUSR | stat.S_IXUSR)
    monkeypatch.setenv("SCANVERIFY_HOME", str(home))
    update = tmp_path / "update.json"
    update.write_text("{}")
    try:
        code, _, err = run_cli("trust", "update", str(update))
    finally:
        home.chmod(stat.S_IRWXU)
    assert code == 2
    assert "not writable" in one_line(err)


# ---------------------------------------------------------------- 3. FIFOs and devices refused at once
def test_library_refuses_a_fifo_at_once(fifo: Path) -> None:
    # In a subprocess: were the FIFO opened for reading, it would wait for a writer forever.
    script = (
        "import sys; from scanverify.decode import load_image; from scanverify.errors import ImageError\n"
        "try: load_image(sys.argv[1])\nexcept ImageError as e: print(e)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(fifo)], capture_output=True, text=True, timeout=60)
    assert "FIFO" in done.stdout and "not a regular file" in done.stdout


def test_library_refuses_a_device() -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero on this system")
    with pytest.raises(ImageError, match="character device"):
        load_image("/dev/zero")


@pytest.mark.parametrize(
    "args",
    [
        ["sample_images/genuine.jpg", "{fifo}"],
        ["--trust", "{fifo}", "--text", "hello"],
        ["--root", "{fifo}", "--text", "hello"],
        ["live", "--trust", "{fifo}", "--source", "{record}"],
        ["sign", "{fifo}", "--key", "{key}", "--iss", "CN"],
        ["sign", "{record}", "--key", "{fifo}", "--iss", "CN"],
        ["trust", "update", "{fifo}"],
        ["trust", "verify", "{fifo}"],
        ["trust", "show", "--root", "{fifo}"],
    ],
)
def test_cli_refuses_a_fifo_at_once(fifo: Path, tmp_path: Path, args: list[str]) -> None:
    key, record = tmp_path / "key.pem", tmp_path / "record.json"
    key.write_text("not a key")
    record.write_text("{}")
    argv = [a.format(fifo=fifo, key=key, record=record) for a in args]
    done = subprocess_run(*argv)
    assert done.returncode == 2, done.stderr
    assert done.stdout == b""
    line = one_line(done.stderr.decode())
    assert str(fifo) in line and "FIFO" in line


def test_cli_refuses_a_device_in_process(run_cli: Cli) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero on this system")
    code, out, err = run_cli("--json", str(SAMPLES / "genuine.jpg"), "/dev/zero")
    assert code == 2 and out == ""  # refused before any input is read
    assert "character device" in one_line(err)


def test_a_fifo_inside_a_directory_is_skipped(fifo: Path, run_cli: Cli) -> None:
    (fifo.parent / "seal.png").write_bytes(png(Image.fromarray(qr_gray())))
    code, out, _ = run_cli("--json", "--at", AT, str(fifo.parent))
    assert [row["source"] for row in json_lines(out)] == [str(fifo.parent / "seal.png")]
    assert code == 3  # a code that is not a seal


# ---------------------------------------------------------------- 2. a batch goes on past every broken input
def batch(tmp_path: Path) -> tuple[list[str], list[str]]:
    """Inputs with broken and tiny images between the samples, and the status each must get."""
    bad = {
        "tiny1.png": png(Image.new("L", (1, 1))),
        "tiny3.png": png(Image.new("RGB", (3, 3))),
        "row.png": png(Image.new("L", (1, 500))),
        "truncated.jpg": (SAMPLES / "genuine.jpg").read_bytes()[:4000],
        "empty.png": b"",
        "huge.png": huge_png_header(50_000, 50_000),
    }
    for name, data in bad.items():
        (tmp_path / name).write_bytes(data)
    inputs = [
        str(SAMPLES / "genuine.jpg"),
        str(tmp_path / "tiny1.png"),
        str(tmp_path / "tiny3.png"),
        str(tmp_path / "truncated.jpg"),
        str(SAMPLES / "altered.jpg"),
        str(tmp_path / "row.png"),
        str(tmp_path / "empty.png"),
        str(tmp_path / "missing.png"),
        str(tmp_path / "huge.png"),
        str(SAMPLES / "untrusted.jpg"),
    ]
    expected = ["genuine", "error", "error", "error", "forged", "error", "error", "error", "error", "untrusted"]
    return inputs, expected


def test_a_small_batch_reports_every_input(run_cli: Cli, tmp_path: Path) -> None:
    inputs, expected = batch(tmp_path)
    # Four inputs: decoded in this process, one after another.
    picked = [1, 4, 2, 0]
    code, out, err = run_cli("--json", "--at", AT, *[inputs[i] for i in picked])
    assert [(r["source"], r["status"]) for r in json_lines(out)] == [(inputs[i], expected[i]) for i in picked]
    assert code == 1, err  # the forged seal is not missed


def test_a_large_batch_in_the_process_pool_reports_every_input(run_cli: Cli, tmp_path: Path) -> None:
    inputs, expected = batch(tmp_path)
    assert len(inputs) > _batch.MANY
    code, out, err = run_cli("--json", "--at", AT, *inputs)
    assert [(r["source"], r["status"]) for r in json_lines(out)] == list(zip(inputs, expected, strict=True))
    assert all(r["reason"] for r in json_lines(out))
    assert code == 1, err
    assert "internal error" not in err


def test_a_batch_subprocess_never_exits_70(tmp_path: Path) -> None:
    inputs, expected = batch(tmp_path)
    done = subprocess_run("--json", "--at", AT, *inputs)
    assert done.returncode == 1, done.stderr
    assert [r["status"] for r in json_lines(done.stdout.decode())] == expected


def test_a_bug_on_one_input_is_its_row_and_the_batch_goes_on(
    run_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import scanverify.decode

    real = scanverify.decode.decode_image
    poisoned = tmp_path / "poisoned.png"
    poisoned.write_bytes(png(Image.fromarray(qr_gray())))

    def buggy(source: Any, **kwargs: Any) -> Any:
        if str(source) == str(poisoned):
            raise RuntimeError("a bug in scanverify")
        return real(source, **kwargs)

    monkeypatch.setattr(scanverify.decode, "decode_image", buggy)
    genuine = str(SAMPLES / "genuine.jpg")
    code, out, _ = run_cli("--json", "--at", AT, genuine, str(poisoned), genuine)
    assert [r["status"] for r in json_lines(out)] == ["genuine", "error", "genuine"]
    assert "internal error" in json_lines(out)[1]["reason"]
    assert code == 70  # a bug is still a bug ...
    code, out, _ = run_cli("--json", "--at", AT, str(poisoned), str(SAMPLES / "altered.jpg"))
    assert [r["status"] for r in json_lines(out)] == ["error", "forged"]
    assert code == 1  # ... but a rejected seal is what the clerk must not miss


def die_on_poison(image: str) -> tuple[str, Any]:
    """A decode stand-in for the pool test: its process dies on 'poison' (as the OOM killer would do)."""
    if image == "poison":
        os._exit(9)
    return image, []


def test_a_worker_that_dies_costs_only_its_image() -> None:
    images = ["a", "b", "poison", "c", "d", "e"]
    results = list(_batch.pooled(die_on_poison, images, 2))
    assert len(results) == len(images)
    failed = results[images.index("poison")]
    assert isinstance(failed, _batch.Failed) and "died" in failed.reason and not failed.internal
    assert [r for r in results if r is not failed] == [(image, []) for image in images if image != "poison"]


def test_workers_are_bounded_by_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    per_worker = _batch.WORKER_BASE_BYTES + _batch.WORKER_BYTES_PER_PIXEL * 120_000_000
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    monkeypatch.setattr(_batch, "available_memory", lambda: per_worker * 3 + 1)
    assert _batch.worker_count(100) == 3
    monkeypatch.setattr(_batch, "available_memory", lambda: per_worker // 2)
    assert _batch.worker_count(100) == 1
    monkeypatch.setattr(_batch, "available_memory", lambda: None)
    assert _batch.worker_count(100) == 1
    monkeypatch.setattr(_batch, "available_memory", lambda: per_worker * 1000)
    assert _batch.worker_count(100) == 16 and _batch.worker_count(5) == 5
    # Smaller images allowed, more workers fit.
    monkeypatch.setattr(_batch, "available_memory", lambda: per_worker * 3 + 1)
    assert _batch.worker_count(100, max_pixels=12_000_000) > 3


def test_available_memory_is_read() -> None:
    available = _batch.available_memory()
    assert available is None or available > 0


# ---------------------------------------------------------------- 3. stdin caps
def with_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_an_overlong_stdin_line_is_its_own_error_row(run_cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    issuer = Issuer()
    seal = make_seal(issuer, iat=T).text()
    long = b"CS1:" + b"A" * (cli.LINE_LIMIT + 10)
    exact = b"x" * cli.LINE_LIMIT
    with_stdin(monkeypatch, b"hello\n" + long + b"\n" + exact + b"\n\n" + seal.encode() + b"\r\n")
    trust = TrustStore.from_bundle(issuer.bundle(), "test")
    monkeypatch.setattr(cli.VerifyOptions, "verifier", lambda _self: Verifier(trust=trust, clock=lambda: NOW))
    code, out, err = run_cli("--json", "--text", "-")
    got = [(r["source"], r["status"]) for r in json_lines(out)]
    assert got == [
        ("<stdin>:1", "not_a_seal"),
        ("<stdin>:2", "error"),
        ("<stdin>:3", "not_a_seal"),  # exactly at the limit: taken
        ("<stdin>:5", "genuine"),
    ]
    assert "64 KiB" in json_lines(out)[1]["reason"]
    assert code == 2, err  # an unreadable input, no seal rejected


def test_binary_stdin_is_never_a_crash(run_cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    with_stdin(monkeypatch, bytes(range(256)) * 3 + b"\xff\xfe\x00\n\x80CS1:\x00\n")
    code, out, err = run_cli("--json", "--at", AT, "--text", "-")
    assert code == 3, err
    assert {r["status"] for r in json_lines(out)} == {"not_a_seal"}


def test_an_image_on_stdin_above_the_cap_is_refused(run_cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    data = (SAMPLES / "genuine.jpg").read_bytes()
    monkeypatch.setattr(cli, "STDIN_IMAGE_LIMIT", len(data) - 1)
    with_stdin(monkeypatch, data)
    code, out, _ = run_cli("--json", "--at", AT, "-")
    [row] = json_lines(out)
    assert row["status"] == "error" and "larger than" in row["reason"]
    assert code == 2
    monkeypatch.setattr(cli, "STDIN_IMAGE_LIMIT", len(data))
    with_stdin(monkeypatch, data)
    code, out, _ = run_cli("--json", "--at", AT, "-")
    assert [r["status"] for r in json_lines(out)] == ["genuine"] and code == 0


def test_stdin_in_a_subprocess() -> None:
    image = (SAMPLES / "genuine.jpg").read_bytes()
    done = subprocess_run("--json", "--at", AT, "-", stdin=image)
    assert done.returncode == 0 and json_lines(done.stdout.decode())[0]["status"] == "genuine"
    done = subprocess_run("--json", "--at", AT, "-", stdin=os.urandom(5000))
    assert done.returncode == 2 and json_lines(done.stdout.decode())[0]["status"] == "error"
    lines = b"hello\n" + b"B" * (cli.LINE_LIMIT * 3) + b"\n\xff\xfe\n"
    done = subprocess_run("--json", "--at", AT, "--text", "-", stdin=lines)
    assert [r["status"] for r in json_lines(done.stdout.decode())] == ["not_a_seal", "error", "not_a_seal"]
    assert done.returncode == 2
