"""Result downloads: format name -> (bytes, Content-Type, file extension).

``json`` and ``text`` are built here from the stored record. Every other format of SPEC §6
comes from the core's writers once ``ocrdesk.export_result(result, format)`` exists; until
then those formats answer 400 like any format that does not exist.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Callable
from urllib.parse import quote

import msgspec

from ocrdesk.server.errors import ApiError

__all__ = ["check_format", "CONTENT_TYPES", "EXTENSIONS", "available_formats", "export_record", "content_disposition"]

CONTENT_TYPES = {
    "json": "application/json",
    "text": "text/plain; charset=utf-8",
    "xml": "application/xml",
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "hocr": "text/html; charset=utf-8",
    "alto": "application/xml",
    "tsv": "text/tab-separated-values; charset=utf-8",
}
EXTENSIONS = {"json": "json", "text": "txt", "xml": "xml", "html": "html", "csv": "csv", "pdf": "pdf",
              "docx": "docx", "hocr": "hocr", "alto": "xml", "tsv": "tsv"}


def _core_exporter() -> Callable[[Any, str], bytes] | None:
    try:
        import ocrdesk
    except ImportError:
        return None
    return getattr(ocrdesk, "export_result", None)


def available_formats() -> list[str]:
    if _core_exporter() is not None:
        return list(CONTENT_TYPES)
    return ["json", "text"]


def _text_of(result: Any, stored_text: str | None) -> str:
    if stored_text is not None:
        return stored_text
    if isinstance(result, dict):
        if isinstance(result.get("text"), str):
            return result["text"]
        pages = result.get("pages")
        if isinstance(pages, list):
            return "\f".join(str(p.get("text", "")) for p in pages if isinstance(p, dict))
    return ""


def check_format(fmt: str) -> str:
    formats = available_formats()
    if fmt not in formats:
        raise ApiError(400, [f"format must be one of {', '.join(formats)}"])
    return fmt


def export_record(result_json: bytes | None, stored_text: str | None, fmt: str) -> tuple[bytes, str, str]:
    check_format(fmt)
    if fmt == "json":
        return (result_json or b"null"), CONTENT_TYPES[fmt], EXTENSIONS[fmt]
    result = msgspec.json.decode(result_json) if result_json else None
    if fmt == "text":
        return _text_of(result, stored_text).encode("utf-8"), CONTENT_TYPES[fmt], EXTENSIONS[fmt]
    exporter = _core_exporter()
    assert exporter is not None
    return exporter(result, fmt), CONTENT_TYPES[fmt], EXTENSIONS[fmt]


def plain_media_type(content_type: str) -> str:
    """Litestar adds ``; charset=utf-8`` to text/* itself; give it the bare type then."""
    return content_type.split(";", 1)[0] if content_type.startswith("text/") else content_type


_UNSAFE_ASCII = re.compile(r'[^A-Za-z0-9._ ()+-]')


def content_disposition(file_name: str, ext: str, disposition: str = "attachment") -> str:
    """``attachment; filename="<stem>.<ext>"`` with an RFC 5987 UTF-8 name when needed."""
    stem = file_name.rsplit(".", 1)[0] if "." in file_name.strip(".") else file_name
    name = f"{stem or 'result'}.{ext}" if ext else (file_name or "file")
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = _UNSAFE_ASCII.sub("_", ascii_name).strip() or f"result.{ext}"
    header = f'{disposition}; filename="{ascii_name}"'
    if ascii_name != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header
