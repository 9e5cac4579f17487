from __future__ import annotations

import sqlite3
from typing import Any

import msgspec

from ocrdesk.store.cache import EpochCache
from ocrdesk.store.db import Database
from ocrdesk.store.ids import new_id, now_iso
from ocrdesk.store.models import Project

INSERT = """
INSERT INTO projects (id, organization_id, name, description, is_active, settings, created_at, updated_at)
VALUES (?, ?, ?, ?, 1, ?, ?, ?)
"""
BY_ID = "SELECT * FROM projects WHERE id = ?"
ACTIVE_BY_ORG = "SELECT * FROM projects WHERE organization_id = ? AND is_active = 1 ORDER BY created_at, id"
UPDATE = "UPDATE projects SET name = ?, description = ?, settings = ?, updated_at = ? WHERE id = ?"
BY_ORG_AND_NAME = "SELECT * FROM projects WHERE organization_id = ? AND name = ? ORDER BY created_at LIMIT 1"


def _row(row: sqlite3.Row) -> Project:
    return Project(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        organization_id=row["organization_id"],
        is_active=bool(row["is_active"]),
        settings=msgspec.Raw(row["settings"].encode()),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class Projects:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._by_id: EpochCache[Project] = EpochCache(db)

    async def create(self, organization_id: str, name: str, description: str = "", settings: Any = None) -> Project:
        now = now_iso()
        project_id = new_id()
        settings_json = msgspec.json.encode(settings or {}).decode()
        await self.db.execute(INSERT, (project_id, organization_id, name, description, settings_json, now, now))
        project = await self.get(project_id)
        assert project is not None
        return project

    async def get(self, project_id: str) -> Project | None:
        project, epoch = self._by_id.get(project_id)
        if project is None:
            row = await self.db.lookup(BY_ID, (project_id,))
            if row is None:
                return None
            project = _row(row)
            self._by_id.put(project_id, project, epoch)
        return project

    async def by_name(self, organization_id: str, name: str) -> Project | None:
        row = await self.db.fetchone(BY_ORG_AND_NAME, (organization_id, name))
        return _row(row) if row else None

    async def list_active(self, organization_id: str) -> list[Project]:
        return [_row(r) for r in await self.db.fetchall(ACTIVE_BY_ORG, (organization_id,))]

    async def update(self, project_id: str, *, name: str, description: str, settings: Any) -> Project | None:
        settings_json = msgspec.json.encode(settings).decode()
        await self.db.execute(UPDATE, (name, description, settings_json, now_iso(), project_id))
        self.db.bump_credentials_epoch()  # every process forgets the projects it keeps
        return await self.get(project_id)
