"""Images end to end: codes found, verdicts given, exit codes, many inputs."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import segno
from PIL import Image
from specseal import Issuer, make_seal
from support import Cli, json_lines, verifier_for, write_trust

from scanverify import ImageError, Status, Verifier

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_images"
NOW = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)
T = int(NOW.timestamp())


def qr_png(text: str, path: Path | None = None, *, with_url: bool = False) -> bytes:
    """A page-like image with the code (and maybe a URL code beside it)."""
    page = Image.new("L", (900, 500), 255)
    buffer = io.BytesIO()
    segno.make_qr(text, error="q").save(buffer, kind="png", scale=4, border=4)
    page.paste(Image.open(buffer), (480, 40))
    if with_url:
        buffer = io.BytesIO()
        segno.make_qr("https://example.org/about", error="m").save(buffer, kind="png", scale=5, border=4)
        page.paste(Image.open(buffer), (40, 40))
    out = io.BytesIO()
    page.save(out, format="PNG")
    if path is not None:
        path.write_bytes(out.getvalue())
    return out.getvalue()


def run_json(trust: Path, *inputs: str, stdin: bytes | None = None) -> tuple[int, list[dict[str, Any]], str]:
    """`python -m scanverify --json` at the tests' clock, as a user runs it: exit code, objects, stderr."""
    proc = subprocess.run(
        [sys.executable, "-m", "scanverify", "--json", "--at", "2026-11-26T12:00:00Z", "--trust", str(trust), *inputs],
        input=stdin,
        capture_output=True,
        timeout=300,
    )
    objects = json_lines(proc.stdout.decode("utf-8"))
    return proc.returncode, objects, proc.stderr.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def verifier(issuer: Issuer) -> Verifier:
    return verifier_for(issuer, NOW)


def test_every_input_type_gives_the_same_verdict(verifier: Verifier, issuer: Issuer, tmp_path: Path) -> None:
    import numpy as np

    seal = make_seal(issuer, iat=T).text()
    data = qr_png(seal, tmp_path / "seal.png")
    image = Image.open(io.BytesIO(data))
    for source in (tmp_path / "seal.png", str(tmp_path / "seal.png"), data, image, np.asarray(image)):
        [result] = verifier.verify_image(source)
        assert result.status is Status.GENUINE, type(source)
        assert result.payload == seal
        assert result.polygon is not None and len(result.polygon) == 4


def test_seal_beside_url(verifier: Verifier, issuer: Issuer) -> None:
    results = verifier.verify_image(qr_png(make_seal(issuer, iat=T).text(), with_url=True))
    assert sorted(r.status.value for r in results) == ["genuine", "not_a_seal"]
    url = next(r for r in results if r.status is Status.NOT_A_SEAL)
    assert url.payload == "https://example.org/about"
    xs = [x for x, _ in url.polygon or ()]
    assert max(xs) < 480  # the URL code is the one on the left


def test_no_code(verifier: Verifier) -> None:
    blank = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(blank, format="PNG")
    [result] = verifier.verify_image(blank.getvalue())
    assert result.status is Status.NO_CODE


def test_corrupt_image_raises_image_error(verifier: Verifier, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    before = bad.read_bytes()
    with pytest.raises(ImageError):
        verifier.verify_image(bad)
    assert bad.read_bytes() == before  # nothing the user gave is modified


def test_check_image_raises_unless_genuine(verifier: Verifier, issuer: Issuer) -> None:
    from scanverify import SealError

    assert verifier.check_image(qr_png(make_seal(issuer, iat=T).text()))[0].genuine
    with pytest.raises(SealError) as caught:
        verifier.check_image(qr_png(make_seal(issuer, iat=T, signature=bytes(64)).text()))
    assert caught.value.result.status is Status.FORGED  # type: ignore[attr-defined]


# ---------------------------------------------------------------- the command line on images
@pytest.fixture()
def images(issuer: Issuer, tmp_path: Path) -> dict[str, Path]:
    made = {
        "genuine": make_seal(issuer, iat=T).text(),
        "forged": make_seal(issuer, iat=T, signature=bytes(64)).text(),
        "url": "https://example.org",
    }
    paths = {}
    for name, text in made.items():
        paths[name] = tmp_path / f"{name}.png"
        qr_png(text, paths[name])
    paths["blank"] = tmp_path / "blank.png"
    Image.new("L", (300, 300), 255).save(paths["blank"])
    paths["corrupt"] = tmp_path / "corrupt.png"
    paths["corrupt"].write_bytes(b"\x89PNG\r\n\x1a\n broken")
    write_trust(issuer, tmp_path / "trust.json")
    return paths


@pytest.fixture()
def cli_json(run_cli: Cli) -> Cli:
    """``scanverify --json`` at the tests' clock, in this process."""
    return run_cli.with_args("--json", "--at", "2026-11-26T12:00:00Z")


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["genuine"], 0),
        (["genuine", "genuine"], 0),
        (["genuine", "forged"], 1),
        (["genuine", "url"], 3),
        (["blank"], 3),
        (["genuine", "corrupt"], 2),
        (["forged", "corrupt", "blank"], 1),
    ],
)
def test_exit_codes(cli_json: Cli, images: dict[str, Path], names: list[str], expected: int) -> None:
    trust = str(images["genuine"].parent / "trust.json")
    code, out, err = cli_json("--trust", trust, *(str(images[n]) for n in names))
    objs = json_lines(out)
    assert code == expected
    assert [o["source"] for o in objs] == [str(images[n]) for n in names]
    if "corrupt" in names:
        assert "corrupt.png" in err and "Traceback" not in err
        assert next(o for o in objs if o["source"].endswith("corrupt.png"))["status"] == "error"


def test_no_code_object_and_polygon(cli_json: Cli, images: dict[str, Path]) -> None:
    trust = str(images["genuine"].parent / "trust.json")
    objs = cli_json("--trust", trust, str(images["blank"]), str(images["genuine"])).records()
    assert objs[0]["status"] == "no_code" and objs[0]["source"].endswith("blank.png")
    polygon = objs[1]["polygon"]
    assert len(polygon) == 4 and all(len(p) == 2 for p in polygon)
    xs, ys = [p[0] for p in polygon], [p[1] for p in polygon]
    assert 470 <= min(xs) < max(xs) <= 900 and 30 <= min(ys) < max(ys) <= 500


def test_directory_many_images_in_order(issuer: Issuer, tmp_path: Path) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    expected = []
    for i in range(7):
        forged = i == 4
        qr_png(make_seal(issuer, iat=T, signature=bytes(64) if forged else None).text(), folder / f"{i:02d}.png")
        expected.append("forged" if forged else "genuine")
    (folder / "notes.txt").write_text("not an image, skipped in a directory")
    write_trust(issuer, tmp_path / "trust.json")
    code, objs, err = run_json(tmp_path / "trust.json", str(folder))
    assert [Path(o["source"]).name for o in objs] == [f"{i:02d}.png" for i in range(7)]
    assert [o["status"] for o in objs] == expected
    assert code == 1
    assert "7 inputs: 6 genuine, 1 rejected, 0 no code" in err


def test_missing_file_is_exit_2(cli_json: Cli) -> None:
    code, out, err = cli_json("/nonexistent/photo.jpg")
    objs = json_lines(out)
    assert code == 2 and objs[0]["status"] == "error" and "photo.jpg" in err


# ---------------------------------------------------------------- the bundled samples
EXPECTED = json.loads((SAMPLES / "expected.json").read_text()) if (SAMPLES / "expected.json").exists() else {}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_images_with_built_in_trust(name: str) -> None:
    results = Verifier(clock=lambda: NOW).verify_image(SAMPLES / name)
    assert sorted(r.status.value for r in results) == sorted(EXPECTED[name]["expected"])
    for result in results:
        if result.genuine:
            assert result.specimen and "SPECIMEN" in result.verdict_text


def test_samples_exist() -> None:
    assert set(EXPECTED) >= {
        "genuine.jpg",
        "altered.jpg",
        "untrusted.jpg",
        "expired-visa.jpg",
        "seal-and-url.jpg",
        "no-code.jpg",
    }


def test_image_from_stdin(issuer: Issuer, tmp_path: Path) -> None:
    write_trust(issuer, tmp_path / "trust.json")
    code, [obj], _ = run_json(tmp_path / "trust.json", "-", stdin=qr_png(make_seal(issuer, iat=T).text()))
    assert code == 0 and obj["source"] == "<stdin>" and obj["status"] == "genuine"
