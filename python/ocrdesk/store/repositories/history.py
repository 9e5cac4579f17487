"""Processing-history records: create, read, list with filters, stats from counters."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
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
# The same inserts for many rows at once, given as one JSON array of row arrays: one
# statement per table for a whole group of uploads.
INSERT_UPLOADS = """
INSERT INTO uploads (id, project_id, organization_id, key_id, file_name, sha256, file_size, mime_type, file_type, created_at)
SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8, value->>9
FROM json_each(?) ORDER BY key
"""
INSERT_RECORDS = """
INSERT INTO processing_history (
    id, upload_id, project_id, organization_id, user_id, file_name, file_path, file_size, mime_type,
    status, template_id, template_name, batch_id, result_format, priority, priority_rank, metadata,
    search_text, created_at, updated_at)
SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8,
    value->>9, value->>10, value->>11, value->>12, value->>13, value->>14, value->>15, value->>16,
    value->>17, value->>18, value->>19
FROM json_each(?) ORDER BY key
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
NEWEST_FIRST = "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
DAYS_TOTAL = "SELECT coalesce(sum(n), 0) FROM history_days WHERE project_id = ? AND day >= ? AND day <= ?"
DAYS_TOTAL_STATUS = DAYS_TOTAL + " AND status = ?"
# The trigram index's newest candidates for a substring (3+ characters).
SEARCH_PROBE = "SELECT rowid FROM history_search WHERE history_search MATCH ? ORDER BY rowid DESC LIMIT ?"
# A search with at most this many candidates is listed from them and counted exactly...
SEARCH_EXACT_LIMIT = 2000
# ...a more common one walks the newest-first index, and its total is estimated from this many.
SEARCH_SAMPLE = 5000
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


def _fts_phrase(needle: str) -> str:
    return '"' + needle.replace('"', '""') + '"'


def _consistent_total(estimate: int, *, offset: int, found: int, limit: int) -> int:
    """An estimated total made consistent with the page just read: a short page fixes it
    exactly, a full one bounds it from below, so a client paging until a short or empty page
    always sees every match."""
    if 0 < found < limit or (found == 0 and offset == 0):
        return offset + found
    if found == 0:
        return min(estimate, offset)
    return max(estimate, offset + found)


class _EstimateCache:
    """Search-total estimates for a few seconds, so paging through a common search does not
    pay for the estimate (and the trigram probe) on every page. Estimates only: pages are
    always read fresh, and a short page still fixes the total exactly."""

    def __init__(self, seconds: float = 10.0, size: int = 1024) -> None:
        self.seconds = seconds
        self.size = size
        self._items: dict[tuple[Any, ...], tuple[float, int]] = {}

    @staticmethod
    def _key(flt: HistoryFilter) -> tuple[Any, ...]:
        return (flt.project_id, flt.status, flt.template_id, flt.batch_id, flt.from_date, flt.to_date,
                (flt.search or "").casefold())

    def get(self, flt: HistoryFilter) -> int | None:
        hit = self._items.get(self._key(flt))
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, flt: HistoryFilter, total: int) -> None:
        if len(self._items) >= self.size:
            now = time.monotonic()
            self._items = {k: v for k, v in self._items.items() if v[0] >= now}
            while len(self._items) >= self.size:
                self._items.pop(next(iter(self._items)))
        self._items[self._key(flt)] = (time.monotonic() + self.seconds, total)


def _day_start(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00.000Z"


class History:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._estimates = _EstimateCache()

    # --- writes inside the caller's transaction ------------------------------------------
    @staticmethod
    def _document_rows(
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
        status: str,
        now: str,
    ) -> tuple[str, str, tuple[Any, ...], tuple[Any, ...]]:
        upload_id, record_id = new_id(), new_id()
        upload = (upload_id, project_id, organization_id, key_id, doc.file_name, doc.sha256, doc.file_size,
                  doc.mime_type, doc.file_type, now)
        record = (
            record_id, upload_id, project_id, organization_id, key_id, doc.file_name, doc.file_path,
            doc.file_size, doc.mime_type, status, template_id, template_name, batch_id, result_format,
            priority, PRIORITY_RANK[priority],
            None if metadata is None else msgspec.json.encode(metadata).decode(),
            search_text(doc.file_name, template_name), now, now,
        )
        return upload_id, record_id, upload, record

    @staticmethod
    async def add_document(
        conn: aiosqlite.Connection,
        doc: NewDocument,
        *,
        status: str = "queued",
        now: str | None = None,
        **fields: Any,
    ) -> tuple[str, str, str]:
        """Insert an upload and its history record; returns (upload id, record id, createdAt).

        Keyword fields: project_id, organization_id, key_id, template_id, template_name,
        result_format, batch_id, priority, metadata."""
        now = now or now_iso()
        upload_id, record_id, upload, record = History._document_rows(doc, status=status, now=now, **fields)
        await conn.execute(INSERT_UPLOAD, upload)
        await conn.execute(INSERT_RECORD, record)
        return upload_id, record_id, now

    @staticmethod
    def insert_document(
        conn: sqlite3.Connection, doc: NewDocument, *, status: str = "queued", now: str | None = None, **fields: Any
    ) -> tuple[str, str, str]:
        """:meth:`add_document` for a synchronous connection (``Database.write``)."""
        now = now or now_iso()
        upload_id, record_id, upload, record = History._document_rows(doc, status=status, now=now, **fields)
        conn.execute(INSERT_UPLOAD, upload)
        conn.execute(INSERT_RECORD, record)
        return upload_id, record_id, now

    @staticmethod
    def insert_documents(
        conn: sqlite3.Connection, items: list[tuple[NewDocument, dict[str, Any]]], *, now: str | None = None
    ) -> list[tuple[str, str, str]]:
        """:meth:`insert_document` for many uploads in two statements; (upload id, record id, createdAt) each."""
        now = now or now_iso()
        ids: list[tuple[str, str, str]] = []
        uploads: list[tuple[Any, ...]] = []
        records: list[tuple[Any, ...]] = []
        for doc, fields in items:
            upload_id, record_id, upload, record = History._document_rows(doc, status="queued", now=now, **fields)
            ids.append((upload_id, record_id, now))
            uploads.append(upload)
            records.append(record)
        conn.execute(INSERT_UPLOADS, (msgspec.json.encode(uploads).decode(),))
        conn.execute(INSERT_RECORDS, (msgspec.json.encode(records).decode(),))
        return ids

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
        """One page of records, newest first, and the total matching.

        The total is exact except for a search matching many records (see :meth:`_estimate_search_total`).
        """
        offset = (page - 1) * limit
        where, params = self._where(flt)
        needle = flt.search.casefold() if flt.search else None
        estimate = self._estimates.get(flt) if needle is not None else None
        if needle is not None and len(needle) >= 3 and estimate is None:
            candidates = await self.db.fetchall(SEARCH_PROBE, (_fts_phrase(needle), SEARCH_EXACT_LIMIT + 1))
            if len(candidates) <= SEARCH_EXACT_LIMIT:
                # A selective search: only these few rows can match; sort them, count them exactly.
                rowids = msgspec.json.encode([r[0] for r in candidates]).decode()
                cand_where = f"rowid IN (SELECT value FROM json_each(?)) AND {where}"
                # The window count is taken before LIMIT/OFFSET: page and total in one query.
                rows = await self.db.fetchall(
                    f"SELECT {COLUMNS}, count(*) OVER () AS matched FROM processing_history NOT INDEXED "
                    f"WHERE {cand_where} {NEWEST_FIRST}",
                    [rowids, *params, limit, offset],
                )
                if rows:
                    total = rows[0]["matched"]
                else:  # a page past the end
                    total = await self.db.fetchval(
                        f"SELECT count(*) FROM processing_history NOT INDEXED WHERE {cand_where}", [rowids, *params]
                    )
                return [record_from_row(r) for r in rows], int(total)
        # Newest first through an index; a common search stops as soon as the page is full.
        rows = await self.db.fetchall(f"SELECT {COLUMNS} FROM processing_history WHERE {where} {NEWEST_FIRST}",
                                      [*params, limit, offset])
        if needle is None:
            total = await self._count(flt, where, params)
        else:
            if estimate is None:
                estimate, exact = await self._estimate_search_total(flt, needle)
                if not exact:
                    self._estimates.put(flt, estimate)
            total = _consistent_total(estimate, offset=offset, found=len(rows), limit=limit)
        return [record_from_row(r) for r in rows], total

    @staticmethod
    def _where(flt: HistoryFilter, *, search: bool = True) -> tuple[str, list[Any]]:
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
        if search and flt.search:
            # The exact, case-insensitive substring check; `%`, `_` and quotes are plain text.
            clauses.append("instr(search_text, ?) > 0")
            params.append(flt.search.casefold())
        return " AND ".join(clauses), params

    async def _count(self, flt: HistoryFilter, where: str, params: Sequence[Any]) -> int:
        """Exact total without a search: from the trigger-kept counters when the filter allows
        it (O(1), or O(days) for a date range), else COUNT(*) over the filter's index range."""
        if flt.from_date is None and flt.to_date is None:
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
        elif flt.template_id is None and flt.batch_id is None:
            first = flt.from_date.isoformat() if flt.from_date else "0000-00-00"
            last = flt.to_date.isoformat() if flt.to_date else "9999-99-99"
            if flt.status is None:
                return int(await self.db.fetchval(DAYS_TOTAL, (flt.project_id, first, last)))
            return int(await self.db.fetchval(DAYS_TOTAL_STATUS, (flt.project_id, first, last, flt.status)))
        return int(await self.db.fetchval(f"SELECT count(*) FROM processing_history WHERE {where}", params))

    async def _estimate_search_total(self, flt: HistoryFilter, needle: str) -> tuple[int, bool]:
        """Total of a search that matches many records (or has fewer than 3 characters).

        Counting 100,000 matches exactly means visiting 100,000 rows, so instead: the share of
        matches among the newest SEARCH_SAMPLE records of the other filters, times their exact
        total. When the other filters select at most SEARCH_SAMPLE records, that is exact.
        Returns (total, exact).
        """
        base_where, base_params = self._where(flt, search=False)
        sampled, hits = await self.db.fetchone(
            f"SELECT count(*), coalesce(sum(instr(search_text, ?) > 0), 0) FROM ("
            f"SELECT search_text FROM processing_history WHERE {base_where} ORDER BY created_at DESC, id DESC LIMIT ?)",
            [needle, *base_params, SEARCH_SAMPLE],
        )
        if sampled < SEARCH_SAMPLE:
            return int(hits), True
        base_total = await self._count(flt, base_where, base_params)
        return round(hits * base_total / sampled), False

    # --- load-test data ------------------------------------------------------------------
    async def seed(
        self,
        *,
        project_id: str,
        organization_id: str,
        user_id: str,
        count: int,
        days: int = 365,
        templates: int = 0,
        batch_size: int = 0,
    ) -> int:
        """Bulk-insert ``count`` synthetic completed records (see :mod:`ocrdesk.store.seed`)."""
        from ocrdesk.store.seed import seed_history

        return await seed_history(
            self.db, project_id=project_id, organization_id=organization_id, user_id=user_id, count=count,
            days=days, templates=templates, batch_size=batch_size,
        )
