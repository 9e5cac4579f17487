"""ocrdesk: fast OCR of PDFs and images (Rust core: pdfium, Tesseract), and a self-hosted
OCR service speaking the Ocriva Open API (``ocrdesk serve``).

    >>> import ocrdesk
    >>> doc = ocrdesk.ocr("scan.pdf", lang="eng")
    >>> doc.text, doc.pages[0].words[0].bbox
"""

from __future__ import annotations

import os

# Tesseract's OpenMP threads fight our one-engine-per-core pool; the limit only works if it
# is set before libtesseract is loaded, which happens when _core is imported below.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import atexit  # noqa: E402
import importlib.util  # noqa: E402
from collections.abc import Iterable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import IO, Literal, Union  # noqa: E402

from ocrdesk import _core, errors  # noqa: E402
from ocrdesk._core import BATCH_FORMATS, EXPORT_FORMATS, BatchWriter, Block, Document, Line, Page, Word  # noqa: E402

__all__ = [
    "ocr",
    "ocr_many",
    "sniff",
    "rasterize",
    "set_threads",
    "Document",
    "Page",
    "Block",
    "Line",
    "Word",
    "EXPORT_FORMATS",
    "BATCH_FORMATS",
    "export_result",
    "BatchWriter",
    "errors",
    "DEFAULT_MAX_FILE_SIZE",
    "DEFAULT_MAX_PAGES",
    "DEFAULT_MAX_MEGAPIXELS",
]

__version__ = "0.1.0"

DEFAULT_MAX_FILE_SIZE = 50 * 1024 * 1024
DEFAULT_MAX_PAGES = 2000
DEFAULT_MAX_MEGAPIXELS = 100.0

Source = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]", IO[bytes]]
Mode = Literal["auto", "ocr", "text"]


def _pdfium_library() -> Path | None:
    """libpdfium shipped inside the pypdfium2 wheel, found without loading it."""
    override = os.environ.get("OCRDESK_PDFIUM")
    if override:
        return Path(override)
    spec = importlib.util.find_spec("pypdfium2_raw")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        for name in ("libpdfium.so", "libpdfium.dylib", "pdfium.dll"):
            candidate = Path(folder) / name
            if candidate.is_file():
                return candidate
    return None


_lib = _pdfium_library()
if _lib is not None:
    _core.set_pdfium_path(str(_lib))
atexit.register(_core.shutdown)


def _read(source: Source, max_file_size: int) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, (bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        size = path.stat().st_size
        if size > max_file_size:
            raise errors.DocumentTooLargeError(
                f"document too large: file is {size} bytes, the limit is {max_file_size} bytes"
            )
        return path.read_bytes()
    read = getattr(source, "read", None)
    if callable(read):
        data = read(max_file_size + 1)
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("file object must be opened in binary mode")
        if len(data) > max_file_size:
            raise errors.DocumentTooLargeError(
                f"document too large: file is over the limit of {max_file_size} bytes"
            )
        return bytes(data)
    raise TypeError(f"expected a path, bytes or a binary file object, not {type(source).__name__}")


def ocr(
    source: Source,
    *,
    lang: str = "eng",
    mode: Mode = "auto",
    dpi: int = 300,
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    max_pages: int = DEFAULT_MAX_PAGES,
    max_megapixels: float = DEFAULT_MAX_MEGAPIXELS,
) -> Document:
    """Read a PDF or image (path, bytes or binary file object) into a Document.

    ``mode="auto"`` reads a PDF page's own usable text layer and OCRs the rest; ``"ocr"``
    OCRs every page; ``"text"`` never OCRs. Pages run in parallel on all cores with the
    GIL released. Errors are ``ocrdesk.errors`` exceptions.
    """
    data = _read(source, max_file_size)
    return _core.ocr(
        data,
        lang=lang,
        mode=mode,
        dpi=dpi,
        max_file_size=max_file_size,
        max_pages=max_pages,
        max_megapixels=max_megapixels,
    )


def ocr_many(
    sources: Iterable[Source],
    *,
    lang: str = "eng",
    mode: Mode = "auto",
    dpi: int = 300,
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    max_pages: int = DEFAULT_MAX_PAGES,
    max_megapixels: float = DEFAULT_MAX_MEGAPIXELS,
    return_exceptions: bool = False,
) -> list[Document | errors.OcrdeskError]:
    """Read several documents at once (documents and their pages in parallel).

    Results are in input order. With ``return_exceptions=True`` a document that fails is
    returned as its exception instead of raising it.
    """
    datas = [_read(s, max_file_size) for s in sources]
    results = _core.ocr_many(
        datas,
        lang=lang,
        mode=mode,
        dpi=dpi,
        max_file_size=max_file_size,
        max_pages=max_pages,
        max_megapixels=max_megapixels,
    )
    if not return_exceptions:
        for r in results:
            if isinstance(r, BaseException):
                raise r
    return results


def sniff(data: bytes) -> str | None:
    """The MIME type of a supported file from its first bytes, or None."""
    return _core.sniff(bytes(data[:1024]))


def rasterize(
    source: Source, *, dpi: int = 300, first: int | None = None, last: int | None = None
) -> list[tuple[int, int, bytes]]:
    """Render PDF pages to 8-bit grayscale: a list of (width, height, pixels)."""
    return _core.rasterize(_read(source, DEFAULT_MAX_FILE_SIZE), dpi=dpi, first=first, last=last)


def set_threads(threads: int) -> None:
    """Number of OCR threads (one Tesseract engine each); default: the CPU count."""
    _core.configure(threads)


def export_result(
    result: object,
    format: str,
    *,
    document: Document | bytes | None = None,
    original: bytes | None = None,
    text: str | None = None,
    title: str = "",
) -> bytes:
    """A processing result (``processingResult``: free text or structured) in an export format.

    ``result`` is the result as JSON bytes/str or as Python data. ``document`` (a Document or
    its ``export("json")``) gives word boxes, ``original`` (the file's bytes) page images for
    the searchable PDF, ``text`` the recognised text, ``title`` the file name shown in
    HTML/DOCX/PDF. Unknown formats raise ``errors.ExportFormatError``.
    """
    if isinstance(result, str):
        raw = result.encode("utf-8")
    elif isinstance(result, (bytes, bytearray, memoryview)):
        raw = bytes(result)
    else:
        import json

        raw = json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return _core.export_result(raw, format, document=document, original=original, text=text, title=title)
