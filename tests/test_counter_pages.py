"""Issue 14 part 4: PDF pages, HEIC photos, multi-page TIFF, and what a directory run skips."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from specseal import Issuer, make_seal
from support import verifier_for

from scanverify import Status, Verifier
from scanverify.decode._documents import Page, expand_inputs, input_pages, page_scale
from scanverify.issuer import render_qr

T = int(datetime(2026, 11, 26, 12, tzinfo=UTC).timestamp())


@pytest.fixture()
def verifier(issuer: Issuer) -> Verifier:
    return verifier_for(issuer, datetime.fromtimestamp(T, UTC))


def qr_image(issuer: Issuer) -> Any:
    from PIL import Image

    buffer = io.BytesIO()
    render_qr(make_seal(issuer, iat=T).text()).save(buffer, kind="png", scale=4, border=4)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def blank(size: tuple[int, int] = (800, 1000)) -> Any:
    from PIL import Image, ImageDraw

    page = Image.new("RGB", size, "white")
    ImageDraw.Draw(page).text((40, 40), "Page without a seal", fill="black")
    return page


def page_with_seal(issuer: Issuer) -> Any:
    page = blank()
    page.paste(qr_image(issuer), (80, 200))
    return page


def test_two_page_pdf_seal_on_page_2(verifier: Verifier, issuer: Issuer, tmp_path: Path) -> None:
    pdf = tmp_path / "scan.pdf"
    blank().save(pdf, "PDF", resolution=72, save_all=True, append_images=[page_with_seal(issuer)])
    assert [name for name, _ in input_pages(str(pdf))] == [f"{pdf}#page=1", f"{pdf}#page=2"]
    results = verifier.verify_image(str(pdf))
    by_source = {r.source: r for r in results}
    assert by_source[f"{pdf}#page=1"].status is Status.NO_CODE
    assert by_source[f"{pdf}#page=2"].status is Status.GENUINE


def test_a_pdf_without_a_pdf_suffix_is_still_read(verifier: Verifier, issuer: Issuer, tmp_path: Path) -> None:
    pdf = tmp_path / "scan.bin"
    page_with_seal(issuer).save(pdf, "PDF", resolution=72)
    assert [r.status for r in verifier.verify_image(str(pdf))] == [Status.GENUINE]


def test_corrupt_and_encrypted_pdf_are_image_errors(verifier: Verifier, tmp_path: Path) -> None:
    from scanverify.errors import ImageError

    pdf = tmp_path / "broken.pdf"
    pdf.write_bytes(b"%PDF-1.4\n this is not a PDF at all")
    assert input_pages(str(pdf)) == [(str(pdf), Page(str(pdf), 1, "pdf"))]
    with pytest.raises(ImageError, match="PDF"):
        verifier.verify_image(str(pdf))


def test_page_scale_keeps_within_the_pixel_limit() -> None:
    a4 = (595.0, 842.0)
    assert page_scale(*a4, 120_000_000) == pytest.approx(300 / 72)
    poster = (5000.0, 5000.0)
    scale = page_scale(*poster, 120_000_000)
    assert poster[0] * poster[1] * scale * scale <= 40_000_000
    assert page_scale(*a4, 1_000_000) ** 2 * a4[0] * a4[1] <= 1_000_000


def test_heic_photo(verifier: Verifier, issuer: Issuer, tmp_path: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif", reason="pillow-heif (the heic extra) is not installed")
    path = tmp_path / "IMG_0001.HEIC"
    pillow_heif.from_pillow(page_with_seal(issuer)).save(str(path), quality=95)
    assert path.read_bytes()[4:8] == b"ftyp"
    assert [r.status for r in verifier.verify_image(str(path))] == [Status.GENUINE]


def test_heic_without_the_reader_says_which_extra(monkeypatch: Any, tmp_path: Path) -> None:
    from scanverify.decode import _documents
    from scanverify.decode._image import load_image
    from scanverify.errors import ImageError

    monkeypatch.setattr(_documents, "heif_opener", lambda: False)
    fake = tmp_path / "photo.heic"
    fake.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64)
    with pytest.raises(ImageError, match=r"scanverify\[heic\]"):
        load_image(fake)


def test_multi_page_tiff_reads_every_page(verifier: Verifier, issuer: Issuer, tmp_path: Path) -> None:
    tiff = tmp_path / "scan.tiff"
    blank().save(tiff, save_all=True, append_images=[blank((300, 300)), page_with_seal(issuer)])
    results = verifier.verify_image(str(tiff))
    assert [(r.source, r.status) for r in results] == [
        (f"{tiff}#page=1", Status.NO_CODE),
        (f"{tiff}#page=2", Status.NO_CODE),
        (f"{tiff}#page=3", Status.GENUINE),
    ]
    single = tmp_path / "one.tif"
    page_with_seal(issuer).save(single)
    assert input_pages(str(single)) == [(str(single), str(single))]


def test_directory_lists_what_it_skipped(tmp_path: Path, issuer: Issuer) -> None:
    import os

    folder = tmp_path / "inbox"
    folder.mkdir()
    page_with_seal(issuer).save(folder / "a.png")
    (folder / "notes.txt").write_text("hello", encoding="utf-8")
    os.mkfifo(folder / "pipe.jpg")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.md").write_text("x", encoding="utf-8")
    found = expand_inputs([str(folder), str(tmp_path / "empty")])
    assert found.files == [str(folder / "a.png")]
    skipped = dict(found.skipped)
    assert "not an image" in skipped[str(folder / "notes.txt")]
    assert "FIFO" in skipped[str(folder / "pipe.jpg")]
    assert found.empty == [str(tmp_path / "empty")]


def test_page_references_pickle(tmp_path: Path) -> None:
    import pickle

    page = Page(str(tmp_path / "x.pdf"), 2, "pdf")
    assert pickle.loads(pickle.dumps(page)) == page
    _ = json  # the CLI side is in test_counter_cli
