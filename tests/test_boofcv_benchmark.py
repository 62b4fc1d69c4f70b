"""benchmarks/boofcv.py: the real-photo benchmark reads BoofCV's layout and counts what it should.

The set itself is not on the build machine; these tests build a small folder in
its layout, so that the day the set is given, its figures can be trusted.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import pytest
import segno
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import boofcv


def _page(codes: dict[bytes, tuple[int, int]], size: tuple[int, int] = (900, 600)) -> tuple[Image.Image, list[str]]:
    """A page with a QR code of each payload at each top-left corner; and the label lines of their outlines."""
    page = Image.new("L", size, 255)
    lines = []
    for payload, (x, y) in codes.items():
        buffer = io.BytesIO()
        segno.make_qr(payload, error="m").save(buffer, kind="png", scale=6, border=0)
        symbol = Image.open(buffer).convert("L")
        page.paste(symbol, (x, y))
        w, h = symbol.size
        lines.append(f"{x} {y} {x + w} {y} {x + w} {y + h} {x} {y + h}")
    return page, lines


def _write(folder: Path, stem: str, page: Image.Image, lines: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    page.save(folder / f"{stem}.png")
    # BoofCV's files start with comments and a SETS line: they must be skipped.
    (folder / f"{stem}.txt").write_text("# list of hand selected 2D points\nSETS\n" + "\n".join(lines) + "\n")


@pytest.fixture()
def dataset(tmp_path: Path) -> Path:
    page, lines = _page({b"first code": (60, 80), b"second code": (500, 300)})
    # A third marked code where the page shows none: it counts against every method.
    lines.append("300 60 420 60 420 180 300 180")
    _write(tmp_path / "nominal", "image001", page, lines)
    blank = Image.new("L", (600, 400), 255)
    _write(tmp_path / "glare", "image001", blank, ["100 100 200 100 200 200 100 200"])
    (tmp_path / "glare" / "notes.txt").write_text("not a label of any image")
    return tmp_path


def test_label_lines_give_outlines_of_four_corners(tmp_path: Path) -> None:
    label = tmp_path / "a.txt"
    label.write_text("# comment\nSETS\n1 2 3 4 5 6 7 8\n10 20 30 40 50 60 70 80 9\n")
    assert boofcv.marked_codes(label) == [[(1, 2), (3, 4), (5, 6), (7, 8)], [(10, 20), (30, 40), (50, 60), (70, 80)]]


def test_a_point_is_inside_a_turned_outline_and_not_outside_it() -> None:
    diamond = [(50.0, 0.0), (100.0, 50.0), (50.0, 100.0), (0.0, 50.0)]
    assert boofcv.inside((50, 50), diamond)
    assert not boofcv.inside((5, 5), diamond) and not boofcv.inside((120, 50), diamond)


def test_codes_are_counted_against_the_marked_outlines(dataset: Path) -> None:
    corpus = list(boofcv.images(dataset))
    assert [(category, path.name, len(outlines)) for category, path, outlines in corpus] == [
        ("glare", "image001.png", 1),
        ("nominal", "image001.png", 3),
    ]

    def misreads(gray: Any) -> boofcv.Found:
        # A decoder that reads the first code wrongly and sees a code where none is marked.
        return [(b"first c0de", (100.0, 120.0)), (b"stray", (850.0, 550.0))]

    tallies, marked, pictures = boofcv.evaluate(corpus, {"zxing-cpp": boofcv.zxing_alone, "misreads": misreads})
    assert marked == {"nominal": 3, "glare": 1} and pictures == {"nominal": 1, "glare": 1}
    zxing, bad = tallies["nominal"]["zxing-cpp"], tallies["nominal"]["misreads"]
    assert (zxing.decoded, zxing.unmarked, zxing.blank_images) == (2, 0, 0)
    assert (bad.decoded, bad.unmarked) == (1, 1)
    # The two disagree on the first code: each is counted once against the other.
    assert zxing.disagreements == 1 and bad.disagreements == 1
    assert tallies["nominal"]["union-of-3"].decoded == 2
    assert tallies["glare"]["zxing-cpp"].blank_images == 1 and tallies["glare"]["zxing-cpp"].decoded == 0


def test_a_text_re_encoded_by_a_decoder_is_not_a_disagreement() -> None:
    # pyzbar and OpenCV give a Latin-1 or Shift-JIS symbol's text as UTF-8; zxing-cpp its own bytes.
    for text, charset in (("Café à Genève", "latin-1"), ("領事認証", "shift_jis")):
        assert boofcv._same_text(text.encode(charset), text.encode("utf-8"))
    assert not boofcv._same_text(b"first code", b"first c0de")


def test_the_engine_is_measured_like_the_plain_decoders(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = list(boofcv.images(dataset, "nominal"))
    tallies, marked, pictures = boofcv.evaluate(corpus, {"zxing-cpp": boofcv.zxing_alone, "scanverify-fast": boofcv.engine("fast")})
    assert tallies["nominal"]["scanverify-fast"].decoded == 2
    boofcv.report(tallies, marked, pictures)
    out = capsys.readouterr().out
    assert "1 images, 3 marked codes" in out
    assert "scanverify-fast" in out and "66.7%" in out
