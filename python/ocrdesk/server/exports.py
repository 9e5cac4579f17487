"""Result downloads: format name -> (bytes, Content-Type, file extension), one record or a
whole batch streamed.

Every format is written by the core (``ocrdesk.export_result`` / ``ocrdesk.BatchWriter``).
The searchable PDF and hOCR/ALTO/TSV use the OCR document (word boxes) the worker keeps
beside the files, and the PDF draws the original file's pages under the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import anyio
import msgspec

from ocrdesk.files import FileStore
from ocrdesk.server.errors import ApiError
from ocrdesk.store.db import Database

__all__ = [
    "check_format",
    "check_batch_format",
    "CONTENT_TYPES",
    "EXTENSIONS",
    "available_formats",
    "export_record",
    "content_disposition",
    "stream_batch",
]

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
# Formats that read the OCR document (word boxes); pdf also reads the original file.
NEEDS_DOCUMENT = frozenset({"pdf", "hocr", "alto", "tsv"})
BATCH_PAGE = 200


def available_formats() -> list[str]:
    import ocrdesk

    return list(ocrdesk.EXPORT_FORMATS)


def batch_formats() -> list[str]:
    import ocrdesk

    return list(ocrdesk.BATCH_FORMATS)


def check_format(fmt: str) -> str:
    formats = available_formats()
    if fmt not in formats:
        raise ApiError(400, [f"format must be one of {', '.join(formats)}"])
    return fmt


def check_batch_format(fmt: str) -> str:
    formats = batch_formats()
    if fmt not in formats:
        raise ApiError(400, [f"format must be one of {', '.join(formats)}"])
    return fmt


def _sha_of(file_path: str | None) -> str | None:
    name = (file_path or "").rsplit("/", 1)[-1]
    return name if re.fullmatch(r"[0-9a-f]{64}", name) else None


def _original(files: FileStore, file_path: str | None) -> bytes | None:
    sha = _sha_of(file_path)
    if sha is None:
        return None
    try:
        return files.read_bytes(sha)
    except OSError:
        return None  # retention removed it: pages without their image


def export_record(
    result_json: bytes | None,
    stored_text: str | None,
    fmt: str,
    *,
    files: FileStore | None = None,
    record_id: str | None = None,
    file_path: str | None = None,
    title: str = "",
) -> tuple[bytes, str, str]:
    """The record's result in ``fmt`` (blocking: run it in a thread for pdf)."""
    import ocrdesk

    check_format(fmt)
    document = original = None
    if files is not None and record_id is not None and fmt in NEEDS_DOCUMENT:
        document = files.load_document(record_id)
        if fmt == "pdf" and document is not None:
            original = _original(files, file_path)
    body = ocrdesk.export_result(
        result_json or b"null", fmt, document=document, original=original, text=stored_text, title=title
    )
    return body, CONTENT_TYPES[fmt], EXTENSIONS[fmt]


BATCH_ROWS = """
SELECT rowid, id, upload_id, file_name, file_path, status, error, processing_result, result_text, created_at
FROM processing_history
WHERE batch_id = ? AND project_id = ? AND (created_at, rowid) > (?, ?)
ORDER BY created_at, rowid
LIMIT ?
"""
BATCH_RESULTS_ONLY = """
SELECT rowid, created_at, processing_result FROM processing_history
WHERE batch_id = ? AND project_id = ? AND (created_at, rowid) > (?, ?)
ORDER BY created_at, rowid
LIMIT ?
"""


async def _pages(db: Database, sql: str, project_id: str, batch_id: str) -> AsyncIterator[list[Any]]:
    """The batch's rows, ``BATCH_PAGE`` at a time (keyset paging: memory stays bounded)."""
    after: tuple[str, int] = ("", 0)
    while True:
        rows = await db.fetchall(sql, (batch_id, project_id, after[0], after[1], BATCH_PAGE))
        if not rows:
            return
        yield rows
        last = rows[-1]
        after = (last["created_at"], last["rowid"])
        if len(rows) < BATCH_PAGE:
            return


def _utf8(value: str | None) -> bytes | None:
    return None if value is None else value.encode("utf-8")


async def stream_batch(
    db: Database, files: FileStore, project_id: str, batch_id: str, batch: Any, fmt: str, title: str
) -> AsyncIterator[bytes]:
    """The whole batch in ``fmt``, record by record."""
    import ocrdesk

    writer = ocrdesk.BatchWriter(fmt, title, msgspec.json.encode(batch))
    if writer.needs_scan:
        async for rows in _pages(db, BATCH_RESULTS_ONLY, project_id, batch_id):
            writer.scan([_utf8(r["processing_result"]) for r in rows])
    yield writer.head()
    async for rows in _pages(db, BATCH_ROWS, project_id, batch_id):
        if writer.needs_files:
            # One record at a time: its document and original file are in memory only now.
            for r in rows:
                done = r["status"] in ("completed", "retention_expired")
                document = files.load_document(r["id"]) if done else None
                original = _original(files, r["file_path"]) if document is not None else None
                item = (r["id"], r["upload_id"], r["file_name"], r["status"], r["error"],
                        _utf8(r["processing_result"]), r["result_text"], document, original)
                yield await anyio.to_thread.run_sync(writer.records, [item])
            continue
        items = [
            (r["id"], r["upload_id"], r["file_name"], r["status"], r["error"],
             _utf8(r["processing_result"]), r["result_text"], None, None)
            for r in rows
        ]
        yield writer.records(items)
    yield writer.finish()


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

