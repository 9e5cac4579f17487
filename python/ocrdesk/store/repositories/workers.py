"""Worker registry (heartbeats) and the job transitions of the queue."""

from __future__ import annotations

import datetime as dt
import os
import socket

from ocrdesk.store.db import Database
from ocrdesk.store.ids import new_id, now_iso, to_iso
from ocrdesk.store.models import HistoryRecord
from ocrdesk.store.repositories.history import COLUMNS, record_from_row

REGISTER = "INSERT INTO workers (id, pid, hostname, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)"
HEARTBEAT = "UPDATE workers SET heartbeat_at = ? WHERE id = ?"
UNREGISTER = "DELETE FROM workers WHERE id = ?"
DELETE_STALE = "DELETE FROM workers WHERE heartbeat_at < ?"

# One statement: pick the best queued job and take it, so two workers never get the same one.
CLAIM = f"""
UPDATE processing_history
SET status = 'in_progress', worker_id = :worker, attempts = attempts + 1,
    started_at = :now, updated_at = :now, error = NULL
WHERE rowid = (
    SELECT rowid FROM processing_history WHERE status = 'queued'
    ORDER BY priority_rank DESC, created_at, id LIMIT 1)
RETURNING {COLUMNS}, attempts
"""
COMPLETE = """
UPDATE processing_history
SET status = 'completed', processing_result = :result, result_text = :text, page_count = :pages, error = NULL,
    completed_at = :now, updated_at = :now, worker_id = NULL
WHERE id = :id AND status = 'in_progress' AND worker_id = :worker
"""
FAIL = """
UPDATE processing_history
SET status = 'failed', error = :error, completed_at = :now, updated_at = :now, worker_id = NULL
WHERE id = :id AND status = 'in_progress' AND worker_id = :worker
"""
RETRY = """
UPDATE processing_history
SET status = 'queued', error = :error, updated_at = :now, worker_id = NULL
WHERE id = :id AND status = 'in_progress' AND worker_id = :worker
"""
# Jobs whose worker is gone (no row in workers, or a stale heartbeat).
ORPHANED = """
SELECT id, attempts FROM processing_history
WHERE status = 'in_progress'
  AND (worker_id IS NULL OR worker_id NOT IN (SELECT id FROM workers WHERE heartbeat_at >= :cutoff))
"""
REQUEUE_ORPHANS = """
UPDATE processing_history
SET status = CASE WHEN attempts >= :max THEN 'failed' ELSE 'queued' END,
    error = CASE WHEN attempts >= :max THEN :reason ELSE error END,
    completed_at = CASE WHEN attempts >= :max THEN :now ELSE completed_at END,
    updated_at = :now, worker_id = NULL
WHERE status = 'in_progress'
  AND (worker_id IS NULL OR worker_id NOT IN (SELECT id FROM workers WHERE heartbeat_at >= :cutoff))
"""
QUEUED_COUNT = "SELECT count(*) FROM processing_history WHERE status = 'queued'"
BUSY_COUNT = "SELECT count(*) FROM processing_history WHERE status IN ('queued', 'in_progress')"
ON_HOST = "SELECT id, pid FROM workers WHERE hostname = ?"
TEMPLATE_FOR_JOB = "SELECT template_schema, extraction_mode FROM templates WHERE id = ?"
UPLOAD_SHA = "SELECT sha256 FROM uploads WHERE id = ?"



class Workers:
    """Queue transitions. Every method is a single statement, atomic on its own."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def register(self) -> str:
        worker_id = new_id()
        now = now_iso()
        await self.db.execute(REGISTER, (worker_id, os.getpid(), socket.gethostname(), now, now))
        return worker_id

    async def heartbeat(self, worker_id: str) -> None:
        await self.db.execute(HEARTBEAT, (now_iso(), worker_id))

    async def unregister(self, worker_id: str) -> None:
        await self.db.execute(UNREGISTER, (worker_id,))

    async def claim(self, worker_id: str) -> tuple[HistoryRecord, int] | None:
        row = await self.db.write_fetchone(CLAIM, {"worker": worker_id, "now": now_iso()})
        if row is None:
            return None
        return record_from_row(row), int(row["attempts"])

    async def complete(
        self, worker_id: str, record_id: str, result_json: str, text: str | None, page_count: int | None
    ) -> bool:
        params = {
            "id": record_id, "worker": worker_id, "result": result_json, "text": text, "pages": page_count,
            "now": now_iso(),
        }
        return await self.db.execute(COMPLETE, params) > 0

    async def fail(self, worker_id: str, record_id: str, error: str) -> bool:
        return await self.db.execute(FAIL, {"id": record_id, "worker": worker_id, "error": error, "now": now_iso()}) > 0

    async def retry(self, worker_id: str, record_id: str, error: str) -> bool:
        return await self.db.execute(RETRY, {"id": record_id, "worker": worker_id, "error": error, "now": now_iso()}) > 0

    async def requeue_orphans(self, *, stale_seconds: float, max_attempts: int) -> int:
        """Re-queue jobs left ``in_progress`` by a dead worker; ``failed`` after ``max_attempts``."""
        cutoff = to_iso(dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=stale_seconds))
        params = {
            "cutoff": cutoff,
            "max": max_attempts,
            "now": now_iso(),
            "reason": f"processing was interrupted {max_attempts} times (the worker stopped); giving up",
        }
        async with self.db.transaction() as conn:
            await conn.execute(DELETE_STALE, (cutoff,))
            async with conn.execute(REQUEUE_ORPHANS, params) as cur:
                return cur.rowcount

    async def on_host(self, hostname: str | None = None) -> list[tuple[str, int]]:
        rows = await self.db.fetchall(ON_HOST, (hostname or socket.gethostname(),))
        return [(r["id"], int(r["pid"])) for r in rows]

    async def busy_count(self) -> int:
        """Jobs queued or running."""
        return int(await self.db.fetchval(BUSY_COUNT))

    async def queued_count(self) -> int:
        return int(await self.db.fetchval(QUEUED_COUNT))

    async def template_for(self, template_id: str) -> tuple[str, str] | None:
        row = await self.db.fetchone(TEMPLATE_FOR_JOB, (template_id,))
        return None if row is None else (row[0], row[1])

    async def upload_sha(self, upload_id: str) -> str | None:
        return await self.db.fetchval(UPLOAD_SHA, (upload_id,))
