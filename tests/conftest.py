"""Shared test set-up: ``tests/`` on ``sys.path`` (for ``import docgen``), the corpus, and
generated documents with known text (session-scoped: built once, on first use).

The bytes fixtures are shared across tests: treat them as read-only.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
REPO_DIR = TESTS_DIR.parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

import docgen  # noqa: E402  (needs the sys.path line above)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The Tesseract test images with their true text (``../shared/corpus/tesseract-test``).

    ``OCRDESK_CORPUS`` overrides the location.
    """
    override = os.environ.get("OCRDESK_CORPUS")
    path = Path(override) if override else REPO_DIR.parent / "shared" / "corpus" / "tesseract-test"
    if not (path / "phototest.tif").is_file():
        pytest.skip(f"test corpus not found at {path} (set OCRDESK_CORPUS)")
    return path


@pytest.fixture(scope="session")
def sample_pages() -> list[list[str]]:
    """Two pages of known English text (12 and 8 lines)."""
    return [docgen.lorem_lines(12, seed=1), docgen.lorem_lines(8, seed=2)]


@pytest.fixture(scope="session")
def sample_text(sample_pages) -> str:
    """What OCR of ``sample_pages`` should give: lines by newline, pages by form feed."""
    return docgen.expected_text(sample_pages)


@pytest.fixture(scope="session")
def text_pdf_bytes(sample_pages) -> bytes:
    """Born-digital PDF of ``sample_pages`` (text layer on every page)."""
    return docgen.text_pdf(sample_pages)


@pytest.fixture(scope="session")
def scanned_pdf_bytes(sample_pages) -> bytes:
    """``sample_pages`` as 300 dpi page images, no text layer."""
    return docgen.scanned_pdf(sample_pages, dpi=300)


@pytest.fixture(scope="session")
def mixed_pdf_bytes(sample_pages) -> bytes:
    """Page 1 of ``sample_pages`` as text, page 2 as a 300 dpi scan."""
    return docgen.mixed_pdf(sample_pages, scanned_pages=(1,), dpi=300)


@pytest.fixture(scope="session")
def invisible_text_pdf_bytes(sample_pages) -> bytes:
    """Page 1 of ``sample_pages``: scanned image plus an invisible (mode 3) text layer."""
    return docgen.invisible_text_pdf(sample_pages[0], dpi=300)


@pytest.fixture(scope="session")
def multipage_tiff_bytes(sample_pages) -> bytes:
    """``sample_pages`` as a two-frame grayscale TIFF at 200 dpi."""
    return docgen.multipage_tiff(sample_pages, dpi=200)


@pytest.fixture(scope="session")
def page_png_bytes(sample_pages) -> bytes:
    """Page 1 of ``sample_pages`` as a 300 dpi grayscale PNG."""
    return docgen.image_bytes(sample_pages[0], "PNG", dpi=300)


@pytest.fixture(scope="session")
def thai_png_bytes() -> bytes:
    """:data:`docgen.THAI_LINES` as a PNG (expected text: ``"\\n".join(THAI_LINES)``)."""
    return docgen.thai_image()


@pytest.fixture(scope="session")
def encrypted_pdf_bytes() -> bytes:
    """A text PDF that opens only with the user password ``"secret"``."""
    return docgen.encrypted_pdf(user_password="secret")


@pytest.fixture(scope="session")
def bomb_png_bytes() -> bytes:
    """A ~200 kB PNG declaring 40000 x 40000 pixels."""
    return docgen.huge_dimension_png(40000, 40000)


@pytest.fixture(scope="session")
def docs_dir(
    tmp_path_factory,
    text_pdf_bytes,
    scanned_pdf_bytes,
    mixed_pdf_bytes,
    invisible_text_pdf_bytes,
    multipage_tiff_bytes,
    page_png_bytes,
    thai_png_bytes,
    encrypted_pdf_bytes,
) -> Path:
    """The generated documents as files (for the CLI and upload tests).

    Names: text.pdf, scanned.pdf, mixed.pdf, invisible.pdf, pages.tiff, page.png,
    thai.png, encrypted.pdf. The expected text of the first five is ``sample_text``
    (invisible.pdf and page.png: its first page only).
    """
    path = tmp_path_factory.mktemp("docs")
    files = {
        "text.pdf": text_pdf_bytes,
        "scanned.pdf": scanned_pdf_bytes,
        "mixed.pdf": mixed_pdf_bytes,
        "invisible.pdf": invisible_text_pdf_bytes,
        "pages.tiff": multipage_tiff_bytes,
        "page.png": page_png_bytes,
        "thai.png": thai_png_bytes,
        "encrypted.pdf": encrypted_pdf_bytes,
    }
    for name, data in files.items():
        (path / name).write_bytes(data)
    return path
