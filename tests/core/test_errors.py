"""Bad input gives an ocrdesk.errors exception, quickly, and never a crash or a hang."""

from __future__ import annotations

import random
from pathlib import Path

import docgen
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ocrdesk
from ocrdesk import errors


def test_empty_file() -> None:
    with pytest.raises(errors.InvalidDocumentError, match="empty"):
        ocrdesk.ocr(b"")


def test_unknown_bytes() -> None:
    with pytest.raises(errors.UnsupportedFormatError):
        ocrdesk.ocr(b"hello, this is plain text\n" * 10)
    assert ocrdesk.sniff(b"hello") is None


def test_errors_are_value_errors() -> None:
    for cls in (
        errors.UnsupportedFormatError,
        errors.InvalidDocumentError,
        errors.EncryptedDocumentError,
        errors.DocumentTooLargeError,
        errors.LanguageNotAvailableError,
        errors.ExportFormatError,
    ):
        assert issubclass(cls, errors.OcrdeskError) and issubclass(cls, ValueError)
    assert issubclass(errors.EncryptedDocumentError, errors.InvalidDocumentError)


def test_encrypted_pdf(encrypted_pdf_bytes: bytes) -> None:
    with pytest.raises(errors.EncryptedDocumentError, match="password"):
        ocrdesk.ocr(encrypted_pdf_bytes)


@pytest.mark.parametrize("frac", [0.1, 0.5, 0.9])
def test_truncated_pdf(scanned_pdf_bytes: bytes, frac: float) -> None:
    data = docgen.truncated(scanned_pdf_bytes, frac)
    try:
        doc = ocrdesk.ocr(data)
    except errors.InvalidDocumentError:
        return
    # pdfium repairs some truncations; then whatever it read is returned
    assert len(doc.pages) <= 2


@pytest.mark.parametrize("fmt", ["PNG", "TIFF", "WebP", "GIF", "BMP"])
def test_truncated_images(sample_pages, fmt: str) -> None:
    data = docgen.truncated(docgen.image_bytes(sample_pages[0], fmt), 0.4)
    with pytest.raises(errors.InvalidDocumentError):
        ocrdesk.ocr(data)


def test_truncated_jpeg_reads_what_is_there(sample_pages) -> None:
    # JPEG decoders (like libjpeg) fill a truncated scan with gray; the top of the page reads
    data = docgen.truncated(docgen.image_bytes(sample_pages[0], "JPEG"), 0.5)
    doc = ocrdesk.ocr(data)
    assert sample_pages[0][0].split()[0] in doc.text


def test_thousands_of_pages_fail_fast() -> None:
    with pytest.raises(errors.DocumentTooLargeError, match="5000 pages"):
        ocrdesk.ocr(docgen.many_pages_pdf(5000))


def test_page_limit_is_configurable(text_pdf_bytes: bytes) -> None:
    with pytest.raises(errors.DocumentTooLargeError, match="2 pages, the limit is 1"):
        ocrdesk.ocr(text_pdf_bytes, max_pages=1)


def test_decompression_bomb(bomb_png_bytes: bytes) -> None:
    assert len(bomb_png_bytes) < 1_000_000
    with pytest.raises(errors.DocumentTooLargeError, match="megapixels"):
        ocrdesk.ocr(bomb_png_bytes)


def test_megapixel_limit_on_pdf_pages(scanned_pdf_bytes: bytes) -> None:
    with pytest.raises(errors.DocumentTooLargeError, match="megapixels"):
        ocrdesk.ocr(scanned_pdf_bytes, max_megapixels=1.0)


def test_file_size_limit(tmp_path: Path, page_png_bytes: bytes) -> None:
    with pytest.raises(errors.DocumentTooLargeError):
        ocrdesk.ocr(page_png_bytes, max_file_size=1000)
    path = tmp_path / "big.png"
    path.write_bytes(page_png_bytes)
    with pytest.raises(errors.DocumentTooLargeError):
        ocrdesk.ocr(path, max_file_size=1000)


@pytest.mark.parametrize("lang", ["../../etc/passwd", "", "eng+", "zzz", "eng;rm"])
def test_bad_languages(page_png_bytes: bytes, lang: str) -> None:
    with pytest.raises(errors.LanguageNotAvailableError):
        ocrdesk.ocr(page_png_bytes, lang=lang)


def test_bad_mode_and_dpi(page_png_bytes: bytes) -> None:
    with pytest.raises(errors.InvalidDocumentError, match="mode"):
        ocrdesk.ocr(page_png_bytes, mode="fast")  # type: ignore[arg-type]
    with pytest.raises(errors.InvalidDocumentError, match="dpi"):
        ocrdesk.ocr(page_png_bytes, dpi=5)


def test_wrong_source_types() -> None:
    with pytest.raises(TypeError):
        ocrdesk.ocr(12345)  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError):
        ocrdesk.ocr("/nonexistent/file.pdf")


def test_unknown_export_format(page_png_bytes: bytes) -> None:
    doc = ocrdesk.ocr(page_png_bytes, mode="text")
    with pytest.raises(errors.ExportFormatError, match="accepted"):
        doc.export("exe")


def _mutate(data: bytes, seed: int, n: int) -> bytes:
    rng = random.Random(seed)
    b = bytearray(data)
    for _ in range(n):
        op = rng.randrange(3)
        i = rng.randrange(len(b))
        if op == 0:
            b[i] = rng.randrange(256)
        elif op == 1:
            del b[i : i + rng.randrange(1, 64)]
        else:
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 16)))
    return bytes(b)


@pytest.fixture(scope="module")
def seeds(sample_pages) -> dict[str, bytes]:
    small = [docgen.lorem_lines(2, seed=3)]
    return {
        "pdf": docgen.text_pdf(small),
        "scan": docgen.scanned_pdf(small, dpi=72),
        "png": docgen.image_bytes(small[0], "PNG", dpi=72, size=(600, 260)),
        "jpeg": docgen.image_bytes(small[0], "JPEG", dpi=72, size=(600, 260)),
        "tiff": docgen.multipage_tiff(small, dpi=72),
        "gif": docgen.image_bytes(small[0], "GIF", dpi=72, size=(600, 260)),
    }


def _only_our_errors(data: bytes) -> None:
    try:
        ocrdesk.ocr(data, max_megapixels=4.0, dpi=72)
    except errors.OcrdeskError:
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.binary(min_size=0, max_size=4096))
def test_random_bytes_raise_only_ocrdesk_errors(data: bytes) -> None:
    _only_our_errors(data)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(kind=st.sampled_from(["pdf", "scan", "png", "jpeg", "tiff", "gif"]), seed=st.integers(0, 2**32), n=st.integers(1, 20))
def test_mutated_documents_raise_only_ocrdesk_errors(seeds: dict[str, bytes], kind: str, seed: int, n: int) -> None:
    _only_our_errors(_mutate(seeds[kind], seed, n))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(magic=st.sampled_from([b"%PDF-1.7\n", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"\xff\xd8\xff\xe0", b"GIF89a", b"BM", b"RIFF\x00\x00\x00\x00WEBPVP8 "]), tail=st.binary(max_size=2048))
def test_valid_signatures_with_junk_raise_only_ocrdesk_errors(magic: bytes, tail: bytes) -> None:
    _only_our_errors(magic + tail)
