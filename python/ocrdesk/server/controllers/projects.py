from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, get, patch

from ocrdesk.server.auth import Principal, resolve_project
from ocrdesk.server.context import AppContext
from ocrdesk.server.errors import ApiError
from ocrdesk.server.schemas import Project

MAX_RETENTION_DAYS = 36500


class ProjectPatch(msgspec.Struct, rename="camel", kw_only=True):
    name: str | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType = msgspec.UNSET
    #: Merged into the stored settings; a key set to null is removed.
    settings: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET


def merge_settings(current: dict[str, Any], changes: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    """``settings.fileRetentionDays``: a positive number of days (fractions allowed) or null (keep files)."""
    days = changes.get("fileRetentionDays")
    if "fileRetentionDays" in changes and days is not None and (
        isinstance(days, bool) or not isinstance(days, (int, float)) or not 0 < days <= MAX_RETENTION_DAYS
    ):
        problems.append(f"settings.fileRetentionDays must be a number of days above 0 and at most {MAX_RETENTION_DAYS}, or null")
    merged = {**current, **changes}
    return {k: v for k, v in merged.items() if v is not None}


class ProjectController(Controller):
    path = "/projects"
    tags = ["projects"]

    @get("/", summary="Projects visible to the key")
    async def list_projects(self, ctx: AppContext, principal: Principal) -> list[Project]:
        key = principal.key
        if key.type == "project":
            assert key.project_id is not None
            project = await ctx.projects.get(key.project_id)
            return [project] if project is not None and project.is_active else []
        return await ctx.projects.list_active(key.organization_id)

    @patch("/{project_id:str}", summary="Change a project's name, description or settings")
    async def update_project(self, project_id: str, data: ProjectPatch, ctx: AppContext, principal: Principal) -> Project:
        """`settings.fileRetentionDays`: uploaded files older than this many days are deleted by a periodic
        job (their records become `retention_expired`; results stay readable). `null` keeps files forever."""
        project = await resolve_project(ctx, principal, project_id)
        problems: list[str] = []
        name = project.name if data.name is msgspec.UNSET else data.name.strip()
        if not name or len(name) > 255:
            problems.append("name must be 1 to 255 characters")
        description = project.description if data.description is msgspec.UNSET else data.description
        current = msgspec.json.decode(project.settings) if isinstance(project.settings, msgspec.Raw) else dict(project.settings or {})
        settings = current if data.settings is msgspec.UNSET else merge_settings(current, data.settings, problems)
        if problems:
            raise ApiError(400, problems)
        updated = await ctx.projects.update(project.id, name=name, description=description, settings=settings)
        assert updated is not None
        return updated
