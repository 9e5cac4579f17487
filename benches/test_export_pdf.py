"""Searchable PDF of a 20-page scan: ocrdesk (OCR + export) vs `ocrmypdf --output-type pdf`
on the same pages; time and size printed, both outputs checked with pdftotext."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import docgen  # noqa: E402

import ocrdesk  # noqa: E402

PAGES = 20


@pytest.fixture(scope="module")
def scan() -> bytes:
    lines = docgen.lorem_lines(30, seed=4)
    return docgen.scanned_pdf([lines[i % 7: i % 7 + 22] for i in range(PAGES)], dpi=300, noise=0.0, seed=1)


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


@pytest.mark.skipif(shutil.which("ocrmypdf") is None, reason="ocrmypdf not installed")
def test_searchable_pdf_vs_ocrmypdf(scan: bytes, tmp_path: Path) -> None:
    src = tmp_path / "scan.pdf"
    src.write_bytes(scan)
    t = time.perf_counter()
    doc = ocrdesk.ocr(scan, mode="ocr")
    t_ocr = time.perf_counter() - t
    t = time.perf_counter()
    ours = doc.export("pdf", original=scan)
    t_export = time.perf_counter() - t
    mine = tmp_path / "ocrdesk.pdf"
    mine.write_bytes(ours)
    theirs = tmp_path / "ocrmypdf.pdf"
    t = time.perf_counter()
    subprocess.run(["ocrmypdf", "--output-type", "pdf", "-l", "eng", "--quiet", str(src), str(theirs)], check=True)
    t_theirs = time.perf_counter() - t
    text_mine = subprocess.run(["pdftotext", str(mine), "-"], capture_output=True, text=True, check=True).stdout
    text_theirs = subprocess.run(["pdftotext", str(theirs), "-"], capture_output=True, text=True, check=True).stdout
    assert words(text_mine) == words(doc.text)
    assert len(words(text_theirs)) > 0.9 * len(words(text_mine))
    print(f"\n[export bench] searchable PDF, {PAGES} pages at 300 dpi: ocrdesk OCR {t_ocr:.1f} s + export {t_export:.2f} s"
          f" = {t_ocr + t_export:.1f} s, {len(ours)/1e6:.2f} MB; ocrmypdf {t_theirs:.1f} s, {theirs.stat().st_size/1e6:.2f} MB;"
          f" input {len(scan)/1e6:.2f} MB")
