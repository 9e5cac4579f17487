"""The test-document generator makes what it says: the tests built on it depend on that."""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import time
import zlib

import docgen
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

pdfium = pytest.importorskip("pypdfium2")
pdfium_c = pytest.importorskip("pypdfium2.raw")

A4_PX_300 = (2480, 3508)


# --------------------------------------------------------------------------- helpers


def open_pdf(data: bytes, password: str | None = None):
    return pdfium.PdfDocument(data, password=password)


def page_text(doc, index: int) -> str:
    return doc[index].get_textpage().get_text_bounded()


def object_types(page) -> list[int]:
    return [obj.type for obj in page.get_objects()]


def text_render_modes(page) -> set[int]:
    objs = page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT])
    return {pdfium_c.FPDFTextObj_GetTextRenderMode(obj.raw) for obj in objs}


def ink_bbox(img: Image.Image):
    """Bounding box of the non-white pixels."""
    return Image.eval(img.convert("L"), lambda v: 255 - v).getbbox()


def dark_fraction(img: Image.Image) -> float:
    hist = img.convert("L").histogram()
    return sum(hist[:128]) / (img.width * img.height)


def tesseract(path, lang: str) -> str:
    exe = shutil.which("tesseract")
    if exe is None:
        pytest.skip("tesseract command not installed")
    langs = subprocess.run([exe, "--list-langs"], capture_output=True, text=True).stdout.split()
    if lang not in langs:
        pytest.skip(f"tesseract language {lang} not installed")
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    args = [exe, str(path), "-", "-l", lang, "-c", "preserve_interword_spaces=1"]
    return subprocess.run(args, capture_output=True, text=True, env=env, check=True).stdout


# --------------------------------------------------------------------------- fonts, text


def test_fonts_are_found_with_fontconfig_and_cover_their_script():
    from fontTools.ttLib import TTFont

    latin = docgen.latin_font_path()
    thai = docgen.thai_font_path()
    assert os.path.basename(latin) == "DejaVuSans.ttf"
    assert thai.lower().endswith(".ttf")
    assert ord("g") in TTFont(latin).getBestCmap()
    thai_cmap = TTFont(thai).getBestCmap()
    assert all(ord(c) in thai_cmap for c in "ภาษาไทยน้ำที่")


def test_a_missing_font_skips_the_test(monkeypatch):
    monkeypatch.setattr(docgen, "_run_fc", lambda *args: [])
    monkeypatch.setattr(docgen.os.path, "isfile", lambda path: False)
    docgen.thai_font_path.cache_clear()
    try:
        with pytest.raises(pytest.skip.Exception, match="no Thai font"):
            docgen.thai_font_path()
    finally:
        monkeypatch.undo()
        docgen.thai_font_path.cache_clear()
    assert docgen.thai_font_path().endswith(".ttf")


def test_lorem_lines_are_deterministic_dictionary_words():
    lines = docgen.lorem_lines(50, seed=4)
    assert lines == docgen.lorem_lines(50, seed=4)
    assert lines != docgen.lorem_lines(50, seed=5)
    assert len(lines) == 50
    assert docgen.lorem_lines(0) == []
    vocabulary = set(docgen.WORDS)
    for line in lines:
        words = line.rstrip(".").split()
        assert 5 <= len(words) <= 9
        assert len(line) <= 60
        assert words[0][0].isupper()
        assert all(w.lower() in vocabulary for w in words)


def test_word_list_is_about_three_hundred_distinct_words():
    assert 280 <= len(set(docgen.WORDS)) == len(docgen.WORDS) <= 400
    assert all(w.isalpha() and w.islower() and len(w) >= 2 for w in docgen.WORDS)


def test_expected_text_joins_lines_and_pages():
    assert docgen.expected_text([["a b", "c"], ["d"]]) == "a b\nc\fd"


# --------------------------------------------------------------------------- word_accuracy


def test_word_accuracy_sanity():
    acc = docgen.word_accuracy
    assert acc("the quick brown fox", "the quick brown fox") == 1.0
    assert acc("the quick brown fox", "") == 0.0
    assert acc("the quick brown fox", "the quick fox") == 0.75
    # punctuation at word ends does not count, inside words it does
    assert acc("Hello, world.", "“Hello” world!") == 1.0
    assert acc("can't stop", "cant stop") == 0.5
    # case-sensitive
    assert acc("Hello world", "hello world") == 0.5
    # extra words and line breaks in the OCR output cost nothing
    assert acc("one two three", "zero one\ntwo\n\nthree four") == 1.0
    # order matters: a reversed text matches one word only
    assert acc("one two three four", "four three two one") == 0.25
    # nothing expected: trivially all found
    assert acc("", "anything") == 1.0
    assert acc(" ... ", "") == 1.0


def test_word_accuracy_does_not_junk_frequent_words():
    # difflib's autojunk would ignore words that make up >1% of a long text
    text = " ".join(["the"] * 150 + ["word"] * 150)
    assert docgen.word_accuracy(text, text) == 1.0


@given(st.text(), st.text())
def test_word_accuracy_is_a_fraction(expected, got):
    value = docgen.word_accuracy(expected, got)
    assert 0.0 <= value <= 1.0
    assert docgen.word_accuracy(expected, expected) == 1.0


# --------------------------------------------------------------------------- page images


def test_render_page_image_is_an_a4_grayscale_page_with_margins():
    lines = docgen.lorem_lines(10, seed=3)
    img = docgen.render_page_image(lines, dpi=300)
    assert img.mode == "L"
    assert img.size == A4_PX_300
    assert img.info["dpi"] == (300, 300)
    assert set(img.getextrema()) == {0, 255}  # black text on white
    x0, y0, x1, y1 = ink_bbox(img)
    inch = 300
    assert inch - 5 <= x0 <= inch + 10  # one-inch left margin
    assert inch <= y0 <= inch + 60  # first line under the top margin
    assert x1 < img.width - inch and y1 < img.height - inch
    # 10 lines at 1.5 x 12 pt: about 9.5 line pitches from top to bottom of the ink
    assert 9 * 75 <= y1 - y0 <= 11 * 75
    assert docgen.render_page_image(lines, dpi=300).tobytes() == img.tobytes()


def test_render_page_image_scales_with_dpi_and_size():
    img = docgen.render_page_image(["Small page"], dpi=150, size=docgen.LETTER)
    assert img.size == (1275, 1650)


def test_render_page_image_wraps_long_lines_and_rejects_overfull_pages():
    long_line = " ".join(docgen.WORDS[:40])
    img = docgen.render_page_image([long_line], dpi=100)
    x0, _, x1, _ = ink_bbox(img)
    assert x1 <= img.width - 100  # stayed inside the right margin
    with pytest.raises(ValueError, match="do not fit"):
        docgen.render_page_image(docgen.lorem_lines(80), dpi=72)


def test_degrade_is_deterministic_and_does_what_it_says():
    img = docgen.render_page_image(docgen.lorem_lines(5), dpi=100)
    a = docgen.degrade(img, seed=1, noise=0.02, blur=0.5, angle=1.5)
    assert a.tobytes() == docgen.degrade(img, seed=1, noise=0.02, blur=0.5, angle=1.5).tobytes()
    assert a.tobytes() != docgen.degrade(img, seed=2, noise=0.02, blur=0.5, angle=1.5).tobytes()
    assert a.mode == "L" and a.info["dpi"] == (100, 100)
    assert a.width > img.width and a.height > img.height  # skew grows the canvas
    assert img.tobytes() == docgen.render_page_image(docgen.lorem_lines(5), dpi=100).tobytes()

    same = docgen.degrade(img, seed=1, noise=0.0, blur=0.0, angle=0.0)
    assert same.tobytes() == img.tobytes()

    turned = docgen.degrade(img, seed=1, noise=0.0, blur=0.0, angle=90)
    assert turned.size == (img.height, img.width)

    blank = Image.new("L", (400, 400), 255)
    specks = docgen.degrade(blank, seed=3, noise=0.1, blur=0.0)
    assert 0.03 <= dark_fraction(specks) <= 0.07  # half the noise is black

    rgb = docgen.degrade(img.convert("RGB"), seed=1, noise=0.02, angle=3)
    assert rgb.mode == "RGB"


MAGIC = {
    "PNG": b"\x89PNG\r\n\x1a\n",
    "JPEG": b"\xff\xd8\xff",
    "BMP": b"BM",
    "GIF": b"GIF8",
    "TIFF": (b"II*\x00", b"MM\x00*"),
}


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WebP", "BMP", "GIF", "TIFF"])
def test_image_bytes_encodes_each_input_format(fmt):
    lines = docgen.lorem_lines(4)
    data = docgen.image_bytes(lines, fmt, dpi=100)
    assert data == docgen.image_bytes(lines, fmt, dpi=100)
    if fmt == "WebP":
        assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    else:
        assert data.startswith(MAGIC[fmt])
    img = Image.open(io.BytesIO(data))
    assert img.format == fmt.upper()
    assert img.size == (827, 1169)  # A4 at 100 dpi
    assert 0.001 < dark_fraction(img) < 0.1  # has text, is mostly paper
    if fmt in ("PNG", "JPEG", "TIFF"):
        assert tuple(round(v) for v in img.info["dpi"]) == (100, 100)


def test_image_bytes_rgb_and_unknown_format():
    data = docgen.image_bytes(["Color page"], "JPG", dpi=72, mode="RGB")
    assert Image.open(io.BytesIO(data)).mode == "RGB"
    with pytest.raises(ValueError, match="unknown image format"):
        docgen.image_bytes(["x"], "PCX")


def test_multipage_tiff_has_one_frame_per_page(multipage_tiff_bytes, sample_pages):
    img = Image.open(io.BytesIO(multipage_tiff_bytes))
    assert img.format == "TIFF"
    assert img.n_frames == len(sample_pages)
    for i in range(img.n_frames):
        img.seek(i)
        assert img.mode == "L"
        assert img.size == (1654, 2339)  # A4 at 200 dpi
        assert tuple(round(v) for v in img.info["dpi"]) == (200, 200)
        assert img.info["compression"] == "tiff_lzw"
        assert dark_fraction(img) > 0.001


def test_multipage_tiff_bilevel_is_fax_g4():
    data = docgen.multipage_tiff([["One"], ["Two"], ["Three"]], dpi=200, bilevel=True)
    img = Image.open(io.BytesIO(data))
    assert img.n_frames == 3
    assert img.mode == "1"
    assert img.info["compression"] == "group4"
    with pytest.raises(ValueError):
        docgen.multipage_tiff([])


def test_thai_image_glyph_size_suits_tesseract(thai_png_bytes):
    img = Image.open(io.BytesIO(thai_png_bytes))
    assert img.format == "PNG" and img.mode == "L"
    assert img.width == A4_PX_300[0] and img.height < 1500
    # a plain consonant (no marks) is 28-34 px tall at the default size
    probe = docgen.render_page_image(
        ["นนน"], dpi=300, font=docgen.thai_font_path(),
        font_size_pt=docgen.THAI_FONT_SIZE_PT, size=(300, 200),
    )
    _, y0, _, y1 = ink_bbox(probe)
    assert 28 <= y1 - y0 <= 34
    assert docgen.thai_image() == thai_png_bytes


# --------------------------------------------------------------------------- PDFs


def test_text_pdf_text_is_extractable(text_pdf_bytes, sample_pages):
    doc = open_pdf(text_pdf_bytes)
    assert len(doc) == len(sample_pages)
    for i, lines in enumerate(sample_pages):
        page = doc[i]
        assert page.get_size() == pytest.approx(docgen.A4, abs=0.01)
        assert docgen.word_accuracy("\n".join(lines), page_text(doc, i)) == 1.0
        assert text_render_modes(page) == {pdfium_c.FPDF_TEXTRENDERMODE_FILL}
        assert pdfium_c.FPDF_PAGEOBJ_IMAGE not in object_types(page)
    assert docgen.text_pdf(sample_pages) == text_pdf_bytes  # reproducible bytes
    assert b"/FontFile2" in text_pdf_bytes  # the font is embedded


def test_text_pdf_keeps_word_order_of_wrapped_lines():
    long_line = " ".join(docgen.WORDS[:60])
    doc = open_pdf(docgen.text_pdf([[long_line]]))
    assert docgen.word_accuracy(long_line, page_text(doc, 0)) == 1.0
    with pytest.raises(ValueError, match="do not fit"):
        docgen.text_pdf([docgen.lorem_lines(60)])


def test_scanned_pdf_has_images_and_no_text(scanned_pdf_bytes, sample_pages):
    doc = open_pdf(scanned_pdf_bytes)
    assert len(doc) == len(sample_pages)
    for i in range(len(doc)):
        page = doc[i]
        assert page.get_textpage().count_chars() == 0
        assert object_types(page) == [pdfium_c.FPDF_PAGEOBJ_IMAGE]
        (image,) = page.get_objects()
        assert tuple(image.get_px_size()) == A4_PX_300
        assert page.get_size() == pytest.approx(docgen.A4, abs=0.1)
        rendered = page.render(scale=50 / 72, grayscale=True).to_pil()
        assert dark_fraction(rendered) > 0.001  # the text is in the picture
    assert docgen.scanned_pdf(sample_pages, dpi=300) == scanned_pdf_bytes


def test_scanned_pdf_noise_jpeg_and_dpi():
    lines = docgen.lorem_lines(3)
    clean = docgen.scanned_pdf([lines], dpi=100)
    noisy = docgen.scanned_pdf([lines], dpi=100, noise=0.02, seed=1)
    assert noisy != clean
    assert noisy == docgen.scanned_pdf([lines], dpi=100, noise=0.02, seed=1)
    assert b"/DCTDecode" in docgen.scanned_pdf([lines], dpi=100, jpeg=True)
    assert b"/FlateDecode" in clean and b"/DCTDecode" not in clean
    (image,) = open_pdf(clean)[0].get_objects()
    assert tuple(image.get_px_size()) == (827, 1169)


def test_mixed_pdf_has_a_text_page_then_a_scan(mixed_pdf_bytes, sample_pages):
    doc = open_pdf(mixed_pdf_bytes)
    assert len(doc) == 2
    assert docgen.word_accuracy("\n".join(sample_pages[0]), page_text(doc, 0)) == 1.0
    assert pdfium_c.FPDF_PAGEOBJ_IMAGE not in object_types(doc[0])
    assert doc[1].get_textpage().count_chars() == 0
    assert object_types(doc[1]) == [pdfium_c.FPDF_PAGEOBJ_IMAGE]


def test_invisible_text_pdf_has_a_scan_under_mode_3_text(invisible_text_pdf_bytes, sample_pages):
    lines = sample_pages[0]
    doc = open_pdf(invisible_text_pdf_bytes)
    assert len(doc) == 1
    page = doc[0]
    types = object_types(page)
    assert types[0] == pdfium_c.FPDF_PAGEOBJ_IMAGE and types.count(pdfium_c.FPDF_PAGEOBJ_IMAGE) == 1
    assert pdfium_c.FPDF_PAGEOBJ_TEXT in types
    assert text_render_modes(page) == {pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE}
    assert docgen.word_accuracy("\n".join(lines), page_text(doc, 0)) == 1.0

    # the hidden text sits on the visible text: compare the first glyph with the ink
    left, bottom, right, top = page.get_textpage().get_charbox(0)
    img = docgen.render_page_image(lines, dpi=300)
    x0, y0, _, _ = ink_bbox(img)
    page_h = page.get_size()[1]
    assert left * 300 / 72 == pytest.approx(x0, abs=12)
    assert (page_h - top) * 300 / 72 == pytest.approx(y0, abs=12)


def test_invisible_text_pdf_can_carry_a_different_layer():
    doc = open_pdf(docgen.invisible_text_pdf(["Visible words"], dpi=100, hidden_lines=["Hidden"]))
    assert page_text(doc, 0).strip() == "Hidden"


def test_encrypted_pdf_needs_the_password(encrypted_pdf_bytes):
    with pytest.raises(pdfium.PdfiumError):
        open_pdf(encrypted_pdf_bytes)
    with pytest.raises(pdfium.PdfiumError):
        open_pdf(encrypted_pdf_bytes, password="wrong")
    doc = open_pdf(encrypted_pdf_bytes, password="secret")
    expected = "\n".join(docgen.lorem_lines(5, seed=7))
    assert docgen.word_accuracy(expected, page_text(doc, 0)) == 1.0
    assert b"/Encrypt" in encrypted_pdf_bytes


def test_many_pages_pdf_is_fast_and_valid():
    start = time.perf_counter()
    data = docgen.many_pages_pdf(5000)
    assert time.perf_counter() - start < 2.0
    assert len(data) < 2_000_000
    doc = open_pdf(data)
    assert len(doc) == 5000
    assert doc[4999].get_size() == pytest.approx(docgen.A4, abs=0.01)
    assert doc[4999].get_textpage().count_chars() == 0
    with pytest.raises(ValueError):
        docgen.many_pages_pdf(0)


def test_many_pages_pdf_with_a_text_line():
    doc = open_pdf(docgen.many_pages_pdf(3, text="Page (of) many"))
    assert len(doc) == 3
    assert all(page_text(doc, i) == "Page (of) many" for i in range(3))


# --------------------------------------------------------------------------- broken input


def test_truncated_cuts_at_the_fraction():
    data = bytes(range(200))
    assert docgen.truncated(data, 0.5) == data[:100]
    assert docgen.truncated(data, 0.0) == b""
    assert docgen.truncated(data, 1.0) == data
    with pytest.raises(ValueError):
        docgen.truncated(data, 1.5)


def test_huge_dimension_png_declares_a_huge_size_in_few_bytes(bomb_png_bytes):
    data = bomb_png_bytes
    assert len(data) < 1_000_000
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (40000, 40000)
    # every chunk is well formed with a correct CRC, ending in IEND
    pos, kinds, idat = 8, [], b""
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n : pos + 12 + n])
        assert crc == zlib.crc32(kind + body)
        kinds.append(kind)
        if kind == b"IDAT":
            idat += body
        pos += 12 + n
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds
    # the compressed rows really expand to the declared size (sampled, not all in memory)
    row_len = 1 + (width + 7) // 8
    first = zlib.decompressobj().decompress(idat, row_len * 10)
    assert first == b"\x00" * (row_len * 10)
    # Pillow's own guard refuses it
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(data))


def test_huge_dimension_png_other_sizes():
    small = docgen.huge_dimension_png(1000, 300)
    img = Image.open(io.BytesIO(small))
    assert img.size == (1000, 300)
    img.load()  # a complete, valid image
    big = docgen.huge_dimension_png(60000, 60000)
    assert struct.unpack(">II", big[16:24]) == (60000, 60000)
    assert len(big) < 1_000_000


# --------------------------------------------------------------------------- OCR can read it


def test_tesseract_reads_a_generated_page(tmp_path):
    lines = docgen.lorem_lines(15, seed=11)
    path = tmp_path / "page.png"
    path.write_bytes(docgen.image_bytes(lines, "PNG", dpi=300))
    assert docgen.word_accuracy("\n".join(lines), tesseract(path, "eng")) >= 0.98


def test_tesseract_reads_a_degraded_page(tmp_path):
    lines = docgen.lorem_lines(15, seed=12)
    img = docgen.degrade(docgen.render_page_image(lines), seed=1, noise=0.02, blur=0.5, angle=1.0)
    path = tmp_path / "scan.png"
    img.save(path, dpi=(300, 300))
    assert docgen.word_accuracy("\n".join(lines), tesseract(path, "eng")) >= 0.9


def test_tesseract_reads_the_thai_image(tmp_path, thai_png_bytes):
    path = tmp_path / "thai.png"
    path.write_bytes(thai_png_bytes)
    got = tesseract(path, "tha")
    # Tesseract spells SARA AM as NIKHAHIT + SARA AA; the core must compose it (SPEC pitfall)
    got = got.replace("\u0e4d\u0e32", "\u0e33")
    assert docgen.word_accuracy("\n".join(docgen.THAI_LINES), got) >= 0.85


def test_corpus_dir_fixture(corpus_dir):
    assert (corpus_dir / "phototest.tif").is_file()
    assert (corpus_dir / "phototest.txt").is_file()


def test_docs_dir_fixture_writes_every_document(docs_dir):
    names = sorted(p.name for p in docs_dir.iterdir())
    assert names == sorted(
        ["text.pdf", "scanned.pdf", "mixed.pdf", "invisible.pdf", "pages.tiff",
         "page.png", "thai.png", "encrypted.pdf"]
    )
    assert all(p.stat().st_size > 0 for p in docs_dir.iterdir())
