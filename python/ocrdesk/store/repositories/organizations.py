from __future__ import annotations

import sqlite3

from ocrdesk.store.db import Database
from ocrdesk.store.ids import new_id, now_iso
from ocrdesk.store.models import Organization

INSERT = "INSERT INTO organizations (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)"
BY_ID = "SELECT * FROM organizations WHERE id = ?"
BY_NAME = "SELECT * FROM organizations WHERE name = ?"
COUNT = "SELECT count(*) FROM organizations"


def _row(row: sqlite3.Row) -> Organization:
    return Organization(id=row["id"], name=row["name"], created_at=row["created_at"], updated_at=row["updated_at"])


class Organizations:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, name: str) -> Organization:
        now = now_iso()
        org = Organization(id=new_id(), name=name, created_at=now, updated_at=now)
        await self.db.execute(INSERT, (org.id, org.name, now, now))
        return org

    async def get(self, org_id: str) -> Organization | None:
        row = await self.db.fetchone(BY_ID, (org_id,))
        return _row(row) if row else None

    async def by_name(self, name: str) -> Organization | None:
        row = await self.db.fetchone(BY_NAME, (name,))
        return _row(row) if row else None

    async def count(self) -> int:
        return int(await self.db.fetchval(COUNT))
