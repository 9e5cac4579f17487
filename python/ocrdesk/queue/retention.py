"""File retention: a periodic job removes uploaded files older than the project's
``settings.fileRetentionDays``.

For each finished upload (record ``completed`` or ``failed``) past its project's retention,
one transaction marks the upload (``expired_at``) and its record (``retention_expired``; the
result stays readable). A stored file is shared by identical uploads (content addressing),
so it is deleted only when no upload that still needs it refers to it, and only if it was not
(re-)uploaded within ``retention_grace_seconds`` (an upload writes its file before its record).
The record's OCR document (word boxes, ``files/documents/``) is part of its result and is
kept, so a ``retention_expired`` record still exports in every format (PDF pages without
their image). The job also trims the event log and old Idempotency-Key entries.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import os
import time

from ocrdesk.config import Settings
from ocrdesk.files import FileStore
from ocrdesk.store.db import Database
from ocrdesk.store.ids import now_iso, to_iso
from ocrdesk.store.repositories.events import Events
from ocrdesk.store.repositories.idempotency import IdempotencyKeys

__all__ = ["RetentionJob", "RetentionReport", "retention_days"]

log = logging.getLogger("ocrdesk.retention")

PROJECTS_WITH_RETENTION = """
SELECT id, json_extract(settings, '$.fileRetentionDays') AS days FROM projects
WHERE json_valid(settings) AND json_type(settings, '$.fileRetentionDays') IN ('integer', 'real')
"""
EXPIRED_UPLOADS = """
SELECT u.id, u.sha256 FROM uploads u JOIN processing_history h ON h.upload_id = u.id
WHERE u.project_id = ? AND u.expired_at IS NULL AND u.created_at < ? AND h.status IN ('completed', 'failed')
LIMIT ?
"""
MARK_UPLOAD = "UPDATE uploads SET expired_at = ? WHERE id = ? AND expired_at IS NULL"
MARK_RECORD = """
UPDATE processing_history SET status = 'retention_expired', updated_at = ?
WHERE upload_id = ? AND status IN ('completed', 'failed')
"""
STILL_NEEDED = "SELECT 1 FROM uploads WHERE sha256 = ? AND expired_at IS NULL LIMIT 1"
# Files of uploads expired lately whose deletion was put off (grace period, shared file).
RECENTLY_EXPIRED = "SELECT DISTINCT sha256 FROM uploads WHERE expired_at >= ?"
BATCH = 500


def retention_days(value: object) -> float | None:
    """A valid ``fileRetentionDays`` (a positive number) or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if value > 0 else None


@dataclasses.dataclass
class RetentionReport:
    uploads: int = 0
    files: int = 0


class RetentionJob:
    def __init__(self, db: Database, files: FileStore, settings: Settings) -> None:
        self.db = db
        self.files = files
        self.settings = settings
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="ocrdesk-retention")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    def wake(self) -> None:
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            try:
                report = await self.run_once()
                if report.uploads or report.files:
                    log.info("retention: %d upload(s) expired, %d file(s) deleted", report.uploads, report.files)
                await Events(self.db).purge(self.settings.event_retention_days)
                await IdempotencyKeys(self.db).purge()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the retention job failed")
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.retention_interval_seconds)

    async def run_once(self) -> RetentionReport:
        report = RetentionReport()
        now = dt.datetime.now(dt.timezone.utc)
        shas: set[str] = set()
        for row in await self.db.fetchall(PROJECTS_WITH_RETENTION):
            days = retention_days(row["days"])
            if days is None:
                continue
            cutoff = to_iso(now - dt.timedelta(days=days))
            while True:
                expired = await self._expire_some(row["id"], cutoff)
                report.uploads += len(expired)
                shas.update(expired)
                if len(expired) < BATCH:
                    break
        since = to_iso(now - dt.timedelta(days=7))
        shas.update(r[0] for r in await self.db.fetchall(RECENTLY_EXPIRED, (since,)))
        for sha in sorted(shas):
            if await self._delete_if_unused(sha):
                report.files += 1
        return report

    async def _expire_some(self, project_id: str, cutoff: str) -> list[str]:
        stamp = now_iso()
        async with self.db.transaction() as conn:
            async with conn.execute(EXPIRED_UPLOADS, (project_id, cutoff, BATCH)) as cur:
                rows = list(await cur.fetchall())
            for upload_id, _sha in rows:
                await conn.execute(MARK_UPLOAD, (stamp, upload_id))
                await conn.execute(MARK_RECORD, (stamp, upload_id))
        return [sha for _id, sha in rows]

    async def _delete_if_unused(self, sha: str) -> bool:
        # Under the write transaction no upload (of any process) can add a reference meanwhile.
        async with self.db.transaction() as conn:
            async with conn.execute(STILL_NEEDED, (sha,)) as cur:
                if await cur.fetchone() is not None:
                    return False
            deleted = False
            grace = self.settings.retention_grace_seconds
            for path in self.files.copies(sha):  # the current layout and an earlier version's
                try:
                    modified = path.stat().st_mtime
                except FileNotFoundError:
                    continue
                if time.time() - modified < grace:
                    return False
                # Uploads store files beside this transaction, and an identical one only
                # refreshes the stored copy's time. Moved out of reach first, the file is either
                # refreshed before the move (seen below: put back) or missed by the upload,
                # which then stores a new copy.
                doomed = self.files.tmp_dir / f"expired-{sha}-{os.getpid()}"
                try:
                    os.rename(path, doomed)
                except FileNotFoundError:
                    continue
                if time.time() - doomed.stat().st_mtime < grace:
                    os.rename(doomed, path)  # an identical copy stored meanwhile has the same bytes
                    return False
                doomed.unlink(missing_ok=True)
                deleted = True
            return deleted
