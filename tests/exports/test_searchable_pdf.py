"""The searchable PDF of real OCR: page images under an invisible text layer that
pdftotext reads back in reading order, Thai included."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import docgen
import ocrdesk

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def run(tool: str, path: Path, *args: str) -> str:
    return subprocess.run([tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
                          capture_output=True, text=True, check=True).stdout


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def test_scanned_pdf_reads_back_in_order(tmp_path: Path, sample_pages: list[list[str]], scanned_pdf_bytes: bytes) -> None:
    doc = ocrdesk.ocr(scanned_pdf_bytes, mode="ocr")
    out = tmp_path / "s.pdf"
    out.write_bytes(doc.export("pdf", original=scanned_pdf_bytes))
    info = run("pdfinfo", out)
    assert re.search(r"Pages:\s+%d\b" % len(doc.pages), info)
    extracted = run("pdftotext", out)
    assert words(extracted) == words(doc.text)
    # An image per page: the scan is under the text.
    images = subprocess.run(["pdfimages", "-list", str(out)], capture_output=True, text=True).stdout
    assert len([line for line in images.splitlines()[2:] if line.strip()]) == len(doc.pages)


def test_thai_is_searchable(tmp_path: Path, thai_png_bytes: bytes) -> None:
    doc = ocrdesk.ocr(thai_png_bytes, lang="tha", mode="ocr")
    out = tmp_path / "t.pdf"
    out.write_bytes(ocrdesk.export_result(
        {"text": doc.text, "pages": []}, "pdf", document=doc.export("json"), original=thai_png_bytes))
    extracted = run("pdftotext", out)
    assert [line for line in extracted.split("\n") if line.strip()] == [line for line in doc.text.split("\n") if line.strip()]
    assert "ภาษาไทย" in extracted


def test_jpeg_original_is_embedded_as_is(tmp_path: Path, sample_pages: list[list[str]]) -> None:
    jpeg = docgen.image_bytes(sample_pages[0], fmt="JPEG", dpi=200)
    doc = ocrdesk.ocr(jpeg, mode="ocr")
    pdf = doc.export("pdf", original=jpeg)
    assert jpeg in pdf  # DCT data copied, not re-encoded
    out = tmp_path / "j.pdf"
    out.write_bytes(pdf)
    assert words(run("pdftotext", out)) == words(doc.text)


def test_tiff_pages(tmp_path: Path, multipage_tiff_bytes: bytes) -> None:
    doc = ocrdesk.ocr(multipage_tiff_bytes, mode="ocr")
    out = tmp_path / "m.pdf"
    out.write_bytes(doc.export("pdf", original=multipage_tiff_bytes))
    assert re.search(r"Pages:\s+%d\b" % len(doc.pages), run("pdfinfo", out))
    assert words(run("pdftotext", out)) == words(doc.text)
