"""OCR of real and generated documents through the public API, against known text."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import docgen
import pytest

import ocrdesk


def _iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / area if area else 0.0


def test_phototest_reads_at_least_98_percent_of_words(corpus_dir: Path) -> None:
    doc = ocrdesk.ocr(corpus_dir / "phototest.tif")
    expected = (corpus_dir / "phototest.txt").read_text()
    assert docgen.word_accuracy(expected, doc.text) >= 0.98
    page = doc.pages[0]
    assert page.source == "ocr"
    assert (page.width, page.height, page.dpi) == (640, 480, 200)
    assert page.rotation == 0
    word = page.words[0]
    assert word.text == "This"
    x0, y0, x1, y1 = word.bbox
    assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height
    assert 0 <= word.confidence <= 100


@pytest.mark.parametrize(
    ("name", "rotation"),
    [("phototest-rotated-180.png", 180), ("phototest-rotated-L.png", 90), ("phototest-rotated-R.png", None)],
)
def test_rotated_pages_read_like_the_upright_one(corpus_dir: Path, name: str, rotation: int | None) -> None:
    doc = ocrdesk.ocr(corpus_dir / name)
    expected = (corpus_dir / "phototest.txt").read_text()
    assert docgen.word_accuracy(expected, doc.text) >= 0.98
    page = doc.pages[0]
    if rotation is not None:
        assert page.rotation == rotation
        # the page is reported upright: landscape like the original
        assert (page.width, page.height) == (640, 480)
    else:
        # Tesseract reads this one's vertical lines upright on its own; either answer is fine
        assert page.rotation in (0, 270)


def test_eurotext(corpus_dir: Path) -> None:
    doc = ocrdesk.ocr(corpus_dir / "eurotext.tif")
    expected = (corpus_dir / "eurotext.txt").read_text()
    assert docgen.word_accuracy(expected, doc.text) >= 0.88


def test_text_layer_and_forced_ocr_give_the_same_words(text_pdf_bytes: bytes, sample_text: str) -> None:
    layer = ocrdesk.ocr(text_pdf_bytes, mode="auto")
    forced = ocrdesk.ocr(text_pdf_bytes, mode="ocr")
    assert [p.source for p in layer.pages] == ["text-layer", "text-layer"]
    assert [p.source for p in forced.pages] == ["ocr", "ocr"]
    assert docgen.word_accuracy(sample_text, layer.text) == 1.0
    assert docgen.word_accuracy(sample_text, forced.text) >= 0.98
    for lp, fp in zip(layer.pages, forced.pages):
        assert (lp.width, lp.height, lp.dpi) == (fp.width, fp.height, fp.dpi)
        lw, fw = lp.words, fp.words
        assert [w.text for w in lw] == [w.text for w in fw]
        # same pixel coordinates: the two boxes of a word cover the same ink
        for a, b in zip(lw, fw):
            assert _iou(a.bbox, b.bbox) >= 0.5, (a, b)
        assert all(w.confidence == 100.0 for w in lw)


def test_text_layer_lines_and_blocks(text_pdf_bytes: bytes, sample_pages: list[list[str]]) -> None:
    doc = ocrdesk.ocr(text_pdf_bytes)
    page = doc.pages[0]
    assert [line.text for line in page.lines] == sample_pages[0]
    assert doc.text.split("\f")[0].replace("\n\n", "\n").splitlines() == sample_pages[0]


def test_scanned_pdf_is_ocred(scanned_pdf_bytes: bytes, sample_text: str) -> None:
    doc = ocrdesk.ocr(scanned_pdf_bytes)
    assert [p.source for p in doc.pages] == ["ocr", "ocr"]
    assert docgen.word_accuracy(sample_text, doc.text) >= 0.98
    assert doc.text.count("\f") == 1


def test_mixed_document_goes_page_by_page(mixed_pdf_bytes: bytes, sample_text: str) -> None:
    doc = ocrdesk.ocr(mixed_pdf_bytes)
    assert [p.source for p in doc.pages] == ["text-layer", "ocr"]
    assert docgen.word_accuracy(sample_text, doc.text) >= 0.98


def test_invisible_ocr_layer_is_not_trusted(invisible_text_pdf_bytes: bytes, sample_pages) -> None:
    doc = ocrdesk.ocr(invisible_text_pdf_bytes)
    assert doc.pages[0].source == "ocr"
    assert docgen.word_accuracy("\n".join(sample_pages[0]), doc.text) >= 0.98


def test_text_mode_never_ocrs(scanned_pdf_bytes: bytes, text_pdf_bytes: bytes) -> None:
    scan = ocrdesk.ocr(scanned_pdf_bytes, mode="text")
    assert [len(p.words) for p in scan.pages] == [0, 0]
    assert scan.pages[0].width == 2480
    layer = ocrdesk.ocr(text_pdf_bytes, mode="text")
    assert all(p.source == "text-layer" and p.words for p in layer.pages)


def test_garbage_encoded_text_layer_is_ocred() -> None:
    # a text layer whose characters map to the private-use area reads as nonsense
    pdf = docgen.text_pdf([["\ue000\ue001\ue002 " * 12] * 3])
    doc = ocrdesk.ocr(pdf)
    assert doc.pages[0].source == "ocr"
    assert "\ue000" not in doc.text


@pytest.mark.parametrize("bilevel", [False, True])
def test_multipage_tiff_reads_every_page(sample_pages, sample_text: str, bilevel: bool) -> None:
    doc = ocrdesk.ocr(docgen.multipage_tiff(sample_pages, bilevel=bilevel))
    assert len(doc.pages) == 2
    assert [p.number for p in doc.pages] == [1, 2]
    assert docgen.word_accuracy(sample_text, doc.text) >= 0.98


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WebP", "BMP", "GIF", "TIFF"])
def test_every_image_format(sample_pages, fmt: str) -> None:
    data = docgen.image_bytes(sample_pages[0], fmt)
    assert ocrdesk.sniff(data) is not None
    doc = ocrdesk.ocr(data)
    assert docgen.word_accuracy("\n".join(sample_pages[0]), doc.text) >= 0.98


def test_png_with_transparent_background_reads(sample_pages) -> None:
    """Black text on a transparent background (alpha = ink) is composited onto white."""
    from PIL import Image

    page = docgen.render_page_image(sample_pages[0])
    ink = page.point(lambda v: 255 - v)
    rgba = Image.merge("RGBA", [Image.new("L", page.size, 0)] * 3 + [ink])
    buf = io.BytesIO()
    rgba.save(buf, "PNG", dpi=(300, 300))
    doc = ocrdesk.ocr(buf.getvalue())
    assert docgen.word_accuracy("\n".join(sample_pages[0]), doc.text) >= 0.98


def test_thai_text_reads_without_spaces_inside_words(thai_png_bytes: bytes) -> None:
    doc = ocrdesk.ocr(thai_png_bytes, lang="tha")
    expected = "\n".join(docgen.THAI_LINES)
    assert docgen.word_accuracy(expected, doc.text) >= 0.8
    words = {w.text for w in doc.pages[0].words}
    # whole Thai words come back as words, not as spaced-out characters
    assert {"ภาษาไทย", "ประเทศไทย", "โรงพยาบาล"} <= words
    assert "ทำงาน" in doc.text  # SARA AM precomposed


def test_eng_plus_tha(thai_png_bytes: bytes) -> None:
    doc = ocrdesk.ocr(thai_png_bytes, lang="eng+tha")
    assert doc.lang == "eng+tha"
    assert "ภาษาไทย" in doc.text


def test_sources_path_bytes_and_file_objects(tmp_path: Path, page_png_bytes: bytes) -> None:
    path = tmp_path / "page.png"
    path.write_bytes(page_png_bytes)
    texts = {
        ocrdesk.ocr(path).text,
        ocrdesk.ocr(str(path)).text,
        ocrdesk.ocr(page_png_bytes).text,
        ocrdesk.ocr(bytearray(page_png_bytes)).text,
        ocrdesk.ocr(io.BytesIO(page_png_bytes)).text,
    }
    assert len(texts) == 1
    with open(path, "rb") as f:
        assert ocrdesk.ocr(f).text == texts.pop()


def test_ocr_many_keeps_order_and_reports_failures(sample_pages) -> None:
    a = docgen.image_bytes(sample_pages[0], "PNG")
    b = docgen.text_pdf([sample_pages[1]])
    results = ocrdesk.ocr_many([a, b"not a document", b], return_exceptions=True)
    assert docgen.word_accuracy("\n".join(sample_pages[0]), results[0].text) >= 0.98
    assert isinstance(results[1], ocrdesk.errors.UnsupportedFormatError)
    assert results[2].pages[0].source == "text-layer"
    with pytest.raises(ocrdesk.errors.UnsupportedFormatError):
        ocrdesk.ocr_many([a, b"junk"])


def test_documents_in_parallel_threads(scanned_pdf_bytes: bytes, sample_text: str) -> None:
    """Python threads OCR at once (the GIL is released) and each gets its own result."""
    results: list[str] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(ocrdesk.ocr(scanned_pdf_bytes).text)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors
    assert len(results) == 3
    assert all(docgen.word_accuracy(sample_text, r) >= 0.98 for r in results)


def test_set_threads_rebuilds_the_pool(page_png_bytes: bytes) -> None:
    before = ocrdesk.ocr(page_png_bytes).text
    ocrdesk.set_threads(1)
    try:
        assert ocrdesk.ocr(page_png_bytes).text == before
    finally:
        ocrdesk.set_threads(os.cpu_count() or 1)
    assert ocrdesk.ocr(page_png_bytes).text == before


def test_rasterize_matches_page_size(text_pdf_bytes: bytes) -> None:
    pages = ocrdesk.rasterize(text_pdf_bytes, dpi=150)
    assert len(pages) == 2
    w, h, px = pages[0]
    assert (w, h) == (1240, 1754)
    assert len(px) == w * h
    assert min(px) < 64 and max(px) == 255  # black text on white paper
