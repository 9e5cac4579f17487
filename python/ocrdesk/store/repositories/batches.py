from __future__ import annotations

import sqlite3
from typing import Any

import aiosqlite
import msgspec

from ocrdesk.store.db import Database
from ocrdesk.store.ids import new_id, now_iso
from ocrdesk.store.models import Batch

INSERT = """
INSERT INTO batches (id, project_id, organization_id, template_id, template_name, name, total_files,
                     completed_files, failed_files, status, metadata, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 'processing', ?, ?, ?)
"""
BY_ID = "SELECT * FROM batches WHERE id = ? AND project_id = ?"
LIST = "SELECT * FROM batches WHERE project_id = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
COUNT = "SELECT count(*) FROM batches WHERE project_id = ?"
UPLOAD_IDS = "SELECT upload_id FROM processing_history WHERE batch_id = ? ORDER BY created_at, rowid"
ADD_FILE = """
UPDATE batches SET total_files = total_files + 1, status = 'processing', updated_at = ? WHERE id = ?
"""


def batch_from_row(row: sqlite3.Row, upload_ids: list[str]) -> Batch:
    total = row["total_files"]
    done = row["completed_files"] + row["failed_files"]
    return Batch(
        id=row["id"],
        name=row["name"],
        project_id=row["project_id"],
        organization_id=row["organization_id"],
        template_id=row["template_id"],
        template_name=row["template_name"],
        total_files=total,
        completed_files=row["completed_files"],
        failed_files=row["failed_files"],
        status=row["status"],
        progress=(done * 100 // total) if total else 0,
        upload_ids=upload_ids,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class Batches:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def insert(
        conn: aiosqlite.Connection,
        *,
        project_id: str,
        organization_id: str,
        template_id: str | None,
        template_name: str | None,
        name: str,
        total_files: int,
        metadata: Any = None,
        now: str | None = None,
    ) -> str:
        now = now or now_iso()
        batch_id = new_id()
        await conn.execute(
            INSERT,
            (batch_id, project_id, organization_id, template_id, template_name, name, total_files,
             None if metadata is None else msgspec.json.encode(metadata).decode(), now, now),
        )
        return batch_id

    @staticmethod
    async def add_file(conn: aiosqlite.Connection, batch_id: str, now: str | None = None) -> None:
        await conn.execute(ADD_FILE, (now or now_iso(), batch_id))

    @staticmethod
    def add_file_sync(conn: sqlite3.Connection, batch_id: str, now: str | None = None) -> None:
        conn.execute(ADD_FILE, (now or now_iso(), batch_id))

    @staticmethod
    async def get_in(conn: aiosqlite.Connection, project_id: str, batch_id: str) -> Batch | None:
        """The batch as seen inside the caller's transaction."""
        async with conn.execute(BY_ID, (batch_id, project_id)) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        async with conn.execute(UPLOAD_IDS, (batch_id,)) as cur:
            ids = [r[0] for r in await cur.fetchall()]
        return batch_from_row(row, ids)

    async def exists(self, project_id: str, batch_id: str) -> bool:
        return await self.db.lookup(BY_ID, (batch_id, project_id)) is not None

    async def get(self, project_id: str, batch_id: str) -> Batch | None:
        row = await self.db.fetchone(BY_ID, (batch_id, project_id))
        if row is None:
            return None
        ids = [r[0] for r in await self.db.fetchall(UPLOAD_IDS, (batch_id,))]
        return batch_from_row(row, ids)

    async def list(self, project_id: str, *, page: int, limit: int) -> tuple[list[Batch], int]:
        rows = await self.db.fetchall(LIST, (project_id, limit, (page - 1) * limit))
        total = int(await self.db.fetchval(COUNT, (project_id,)))
        batches = []
        for row in rows:
            ids = [r[0] for r in await self.db.fetchall(UPLOAD_IDS, (row["id"],))]
            batches.append(batch_from_row(row, ids))
        return batches, total
