"""Processing-history records: create, read, list with filters, stats from counters."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any, Sequence

import aiosqlite
import msgspec

from ocrdesk.store.db import Database
from ocrdesk.store.ids import new_id, now_iso
from ocrdesk.store.models import PRIORITY_RANK, HistoryRecord, Stats

__all__ = ["History", "HistoryFilter", "NewDocument", "search_text", "file_url_path"]

COLUMNS = """
id, upload_id, project_id, user_id, file_name, file_path, file_size, mime_type, status, template_id,
template_name, batch_id, result_format, priority, processing_result, error, page_count, started_at,
completed_at, created_at, updated_at
"""
# Same as COLUMNS without the (possibly large) result, for places that never show it.
INSERT_UPLOAD = """
INSERT INTO uploads (id, project_id, organization_id, key_id, file_name, sha256, file_size, mime_type, file_type, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
INSERT_RECORD = """
INSERT INTO processing_history (
    id, upload_id, project_id, organization_id, user_id, file_name, file_path, file_size, mime_type,
    status, template_id, template_name, batch_id, result_format, priority, priority_rank, metadata,
    search_text, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
INSERT_SEED = """
INSERT INTO processing_history (
    id, upload_id, project_id, organization_id, user_id, file_name, file_path, file_size, mime_type,
    status, template_id, template_name, batch_id, result_format, priority, priority_rank, metadata,
    search_text, processing_result, result_text, page_count, attempts, started_at, completed_at, created_at,
    updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'completed', ?, ?, NULL, 'json', ?, ?, NULL, ?, ?, ?, 1, 1, ?, ?, ?, ?)
"""
BY_ID = f"SELECT {COLUMNS} FROM processing_history WHERE id = ? AND project_id = ?"
BY_ID_ANY = f"SELECT {COLUMNS} FROM processing_history WHERE id = ?"
RESULT_TEXT = "SELECT result_text FROM processing_history WHERE id = ? AND project_id = ?"
BATCH_RESULTS = f"""
SELECT {COLUMNS}, result_text FROM processing_history WHERE batch_id = ? AND project_id = ?
ORDER BY created_at, rowid
"""
COUNTS = "SELECT status, n FROM history_counts WHERE scope = ?"
COUNT_ONE = "SELECT n FROM history_counts WHERE scope = ? AND status = ?"
TEMPLATE_IN_PROJECT = "SELECT 1 FROM templates WHERE id = ? AND project_id = ?"
BATCH_IN_PROJECT = "SELECT 1 FROM batches WHERE id = ? AND project_id = ?"
SEARCH_MATCH = "rowid IN (SELECT rowid FROM history_search WHERE history_search MATCH ?)"
# The separator keeps a search from matching across the file name and the template name.
SEARCH_SEPARATOR = "\x1f"


def search_text(file_name: str, template_name: str | None) -> str:
    return file_name.casefold() + SEARCH_SEPARATOR + (template_name or "").casefold()


def file_url_path(upload_id: str) -> str:
    return f"/v1/openapi/files/{upload_id}"


class NewDocument(msgspec.Struct, kw_only=True):
    """One stored file about to become an upload and a history record."""

    file_name: str
    sha256: str
    file_path: str
    file_size: int
    mime_type: str
    file_type: str


class HistoryFilter(msgspec.Struct, kw_only=True):
    project_id: str
    status: str | None = None
    template_id: str | None = None
    batch_id: str | None = None
    from_date: dt.date | None = None
    to_date: dt.date | None = None
    search: str | None = None


def record_from_row(row: sqlite3.Row) -> HistoryRecord:
    result = row["processing_result"]
    return HistoryRecord(
        id=row["id"],
        upload_id=row["upload_id"],
        project_id=row["project_id"],
        user_id=row["user_id"],
        file_name=row["file_name"],
        file_url=file_url_path(row["upload_id"]),
        file_path=row["file_path"],
        file_size=str(row["file_size"]),
        mime_type=row["mime_type"],
        status=row["status"],
        template_id=row["template_id"],
        template_name=row["template_name"],
        batch_id=row["batch_id"],
        result_format=row["result_format"],
        priority=row["priority"],
        processing_result=None if result is None else msgspec.Raw(result.encode()),
        error=row["error"],
        page_count=row["page_count"],
        started_at=row["started_at"],
        completed_at=row["completed_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _day_start(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00.000Z"


class History:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- writes inside the caller's transaction ------------------------------------------
    @staticmethod
    async def add_document(
        conn: aiosqlite.Connection,
        doc: NewDocument,
        *,
        project_id: str,
        organization_id: str,
        key_id: str,
        template_id: str | None,
        template_name: str | None,
        result_format: str,
        batch_id: str | None,
        priority: str,
        metadata: Any,
        status: str = "queued",
        now: str | None = None,
    ) -> tuple[str, str, str]:
        """Insert an upload and its history record; returns (upload id, record id, createdAt)."""
        now = now or now_iso()
        upload_id, record_id = new_id(), new_id()
        await conn.execute(
            INSERT_UPLOAD,
            (upload_id, project_id, organization_id, key_id, doc.file_name, doc.sha256, doc.file_size,
             doc.mime_type, doc.file_type, now),
        )
        await conn.execute(
            INSERT_RECORD,
            (
                record_id, upload_id, project_id, organization_id, key_id, doc.file_name, doc.file_path,
                doc.file_size, doc.mime_type, status, template_id, template_name, batch_id, result_format,
                priority, PRIORITY_RANK[priority],
                None if metadata is None else msgspec.json.encode(metadata).decode(),
                search_text(doc.file_name, template_name), now, now,
            ),
        )
        return upload_id, record_id, now

    # --- reads ---------------------------------------------------------------------------
    async def get(self, project_id: str, record_id: str) -> HistoryRecord | None:
        row = await self.db.fetchone(BY_ID, (record_id, project_id))
        return record_from_row(row) if row else None

    async def get_any(self, record_id: str) -> HistoryRecord | None:
        row = await self.db.fetchone(BY_ID_ANY, (record_id,))
        return record_from_row(row) if row else None

    async def result_text(self, project_id: str, record_id: str) -> str | None:
        return await self.db.fetchval(RESULT_TEXT, (record_id, project_id))

    async def in_batch(self, project_id: str, batch_id: str) -> list[tuple[HistoryRecord, str | None]]:
        rows = await self.db.fetchall(BATCH_RESULTS, (batch_id, project_id))
        return [(record_from_row(r), r["result_text"]) for r in rows]

    async def stats(self, project_id: str) -> Stats:
        counts = {row["status"]: row["n"] for row in await self.db.fetchall(COUNTS, ("p:" + project_id,))}
        return Stats(
            total=sum(counts.values()),
            pending=counts.get("pending", 0),
            processing=counts.get("queued", 0) + counts.get("in_progress", 0),
            completed=counts.get("completed", 0),
            failed=counts.get("failed", 0),
        )

    async def list(self, flt: HistoryFilter, *, page: int = 1, limit: int = 10) -> tuple[list[HistoryRecord], int]:
        """One page of records, newest first, and the total matching."""
        where, params = self._where(flt)
        sql = (
            f"SELECT {COLUMNS} FROM processing_history WHERE {where} "
            "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
        )
        rows = await self.db.fetchall(sql, [*params, limit, (page - 1) * limit])
        total = await self._count(flt, where, params)
        return [record_from_row(r) for r in rows], total

    @staticmethod
    def _where(flt: HistoryFilter) -> tuple[str, list[Any]]:
        clauses = ["project_id = ?"]
        params: list[Any] = [flt.project_id]
        if flt.status is not None:
            clauses.append("status = ?")
            params.append(flt.status)
        if flt.template_id is not None:
            clauses.append("template_id = ?")
            params.append(flt.template_id)
        if flt.batch_id is not None:
            clauses.append("batch_id = ?")
            params.append(flt.batch_id)
        if flt.from_date is not None:
            clauses.append("created_at >= ?")
            params.append(_day_start(flt.from_date))
        if flt.to_date is not None:
            clauses.append("created_at < ?")
            params.append(_day_start(flt.to_date + dt.timedelta(days=1)))
        if flt.search:
            needle = flt.search.casefold()
            if len(needle) >= 3:
                # Trigram index narrows the rows; instr() is the exact substring check.
                clauses.append(SEARCH_MATCH)
                params.append('"' + needle.replace('"', '""') + '"')
            clauses.append("instr(search_text, ?) > 0")
            params.append(needle)
        return " AND ".join(clauses), params

    async def _count(self, flt: HistoryFilter, where: str, params: Sequence[Any]) -> int:
        """Totals from the trigger-kept counters when the filter allows it, else COUNT(*)."""
        if flt.from_date is None and flt.to_date is None and not flt.search:
            scope = None
            if flt.template_id is None and flt.batch_id is None:
                scope = "p:" + flt.project_id
            elif flt.batch_id is None and await self.db.fetchone(
                TEMPLATE_IN_PROJECT, (flt.template_id, flt.project_id)
            ):
                scope = "t:" + str(flt.template_id)
            elif flt.template_id is None and await self.db.fetchone(
                BATCH_IN_PROJECT, (flt.batch_id, flt.project_id)
            ):
                scope = "b:" + str(flt.batch_id)
            if scope is not None:
                if flt.status is None:
                    rows = await self.db.fetchall(COUNTS, (scope,))
                    return sum(r["n"] for r in rows)
                return int(await self.db.fetchval(COUNT_ONE, (scope, flt.status)) or 0)
        return int(await self.db.fetchval(f"SELECT count(*) FROM processing_history WHERE {where}", params))

    # --- load-test data ------------------------------------------------------------------
    async def seed(
        self,
        *,
        project_id: str,
        organization_id: str,
        user_id: str,
        count: int,
        chunk: int = 20000,
        days: int = 365,
        template_id: str | None = None,
        template_name: str | None = None,
    ) -> int:
        """Bulk-insert ``count`` synthetic completed records spread over the last ``days`` days."""
        import random

        rng = random.Random(count)
        now = dt.datetime.now(dt.timezone.utc)
        written = 0
        words = ["invoice", "receipt", "contract", "statement", "report", "letter", "form", "scan"]
        priorities = ["low", "medium", "high"]
        while written < count:
            n = min(chunk, count - written)
            rows = []
            for i in range(n):
                moment = now - dt.timedelta(seconds=rng.uniform(0, days * 86400))
                created = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
                record_id = new_id(moment.timestamp())
                name = f"{rng.choice(words)}-{written + i:07d}.pdf"
                priority = rng.choice(priorities)
                text = f"Synthetic document {written + i}"
                result = msgspec.json.encode(
                    {"text": text, "pages": [{"page": 1, "source": "ocr", "text": text, "confidence": 90.0}]}
                ).decode()
                rows.append(
                    (
                        record_id, new_id(moment.timestamp()), project_id, organization_id, user_id, name,
                        "files/seed", 1000 + i, "application/pdf", template_id, template_name, priority,
                        PRIORITY_RANK[priority], search_text(name, template_name), result, text, created, created,
                        created, created,
                    )
                )
            async with self.db.transaction() as conn:
                await conn.executemany(INSERT_SEED, rows)
            written += n
        return written
