"""Exceptions raised by ocrdesk. Python owns these classes; the Rust core imports them."""

from __future__ import annotations

__all__ = [
    "OcrdeskError",
    "UnsupportedFormatError",
    "InvalidDocumentError",
    "EncryptedDocumentError",
    "DocumentTooLargeError",
    "LanguageNotAvailableError",
    "ExportFormatError",
    "OcrEngineError",
]


class OcrdeskError(Exception):
    """Base class of every error ocrdesk raises on purpose."""


class UnsupportedFormatError(OcrdeskError, ValueError):
    """The bytes are not a PDF or an image type ocrdesk reads."""


class InvalidDocumentError(OcrdeskError, ValueError):
    """The file claims a supported type but is corrupt, truncated or empty."""


class EncryptedDocumentError(InvalidDocumentError):
    """A PDF that needs a password to open."""


class DocumentTooLargeError(OcrdeskError, ValueError):
    """A configured limit (file size, pages, megapixels per page) was exceeded."""


class LanguageNotAvailableError(OcrdeskError, ValueError):
    """A requested Tesseract language has no traineddata installed."""


class ExportFormatError(OcrdeskError, ValueError):
    """An export format that does not exist."""


class OcrEngineError(OcrdeskError, RuntimeError):
    """Tesseract or pdfium failed in a way the input does not explain."""
