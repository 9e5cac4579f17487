from __future__ import annotations

import sqlite3
from typing import Any

import msgspec

from ocrdesk.store.db import Database
from ocrdesk.store.ids import new_id, now_iso
from ocrdesk.store.models import STRUCTURED_FORMATS, Template

INSERT = """
INSERT INTO templates (id, project_id, name, description, template_schema, instructions,
                       result_format, extraction_mode, is_active, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
"""
BY_ID = "SELECT * FROM templates WHERE id = ? AND project_id = ?"
BY_PROJECT = "SELECT * FROM templates WHERE project_id = ? ORDER BY created_at, id"
UPDATE = """
UPDATE templates SET name = ?, description = ?, template_schema = ?, instructions = ?,
       result_format = ?, extraction_mode = ?, is_active = ?, updated_at = ?
WHERE id = ? AND project_id = ?
"""
SOFT_DELETE = "UPDATE templates SET is_active = 0, updated_at = ? WHERE id = ? AND project_id = ?"


def extraction_mode(result_format: str) -> str:
    return "structured" if result_format in STRUCTURED_FORMATS else "freeText"


def _row(row: sqlite3.Row) -> Template:
    return Template(
        template_id=row["id"],
        name=row["name"],
        description=row["description"],
        template_schema=msgspec.Raw(row["template_schema"].encode()),
        instructions=row["instructions"],
        project_id=row["project_id"],
        is_active=bool(row["is_active"]),
        result_format=row["result_format"],
        extraction_mode=row["extraction_mode"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class Templates:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        *,
        project_id: str,
        name: str,
        description: str = "",
        template_schema: Any,
        instructions: str | None = None,
        result_format: str = "json",
    ) -> Template:
        now = now_iso()
        template_id = new_id()
        await self.db.execute(
            INSERT,
            (
                template_id,
                project_id,
                name,
                description,
                msgspec.json.encode(template_schema).decode(),
                instructions,
                result_format,
                extraction_mode(result_format),
                now,
                now,
            ),
        )
        template = await self.get(project_id, template_id)
        assert template is not None
        return template

    async def get(self, project_id: str, template_id: str) -> Template | None:
        row = await self.db.lookup(BY_ID, (template_id, project_id))
        return _row(row) if row else None

    async def list(self, project_id: str) -> list[Template]:
        return [_row(r) for r in await self.db.fetchall(BY_PROJECT, (project_id,))]

    async def update(self, project_id: str, template_id: str, changes: dict[str, Any]) -> Template | None:
        """Apply ``changes`` (snake_case field -> value); unknown keys are ignored."""
        current = await self.db.fetchone(BY_ID, (template_id, project_id))
        if current is None:
            return None
        result_format = changes.get("result_format", current["result_format"])
        schema_json = (
            msgspec.json.encode(changes["template_schema"]).decode()
            if "template_schema" in changes
            else current["template_schema"]
        )
        is_active = changes.get("is_active")
        await self.db.execute(
            UPDATE,
            (
                changes.get("name", current["name"]),
                changes.get("description", current["description"]),
                schema_json,
                changes.get("instructions", current["instructions"]),
                result_format,
                extraction_mode(result_format),
                int(current["is_active"] if is_active is None else bool(is_active)),
                now_iso(),
                template_id,
                project_id,
            ),
        )
        return await self.get(project_id, template_id)

    async def soft_delete(self, project_id: str, template_id: str) -> Template | None:
        if await self.db.execute(SOFT_DELETE, (now_iso(), template_id, project_id)) == 0:
            return None
        return await self.get(project_id, template_id)
