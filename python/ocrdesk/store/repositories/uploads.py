from __future__ import annotations

import sqlite3

from ocrdesk.store.db import Database
from ocrdesk.store.models import Upload

INSERT = """
INSERT INTO uploads (id, project_id, organization_id, key_id, file_name, sha256, file_size, mime_type, file_type, created_at)
VALUES (:id, :project_id, :organization_id, :key_id, :file_name, :sha256, :file_size, :mime_type, :file_type, :created_at)
"""
BY_ID = "SELECT * FROM uploads WHERE id = ? AND project_id = ?"
BY_ID_ANY_PROJECT = "SELECT * FROM uploads WHERE id = ?"


def _row(row: sqlite3.Row) -> Upload:
    return Upload(**{k: row[k] for k in row.keys()})


class Uploads:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, project_id: str, upload_id: str) -> Upload | None:
        row = await self.db.fetchone(BY_ID, (upload_id, project_id))
        return _row(row) if row else None

    async def get_any(self, upload_id: str) -> Upload | None:
        row = await self.db.fetchone(BY_ID_ANY_PROJECT, (upload_id,))
        return _row(row) if row else None
