from __future__ import annotations

from litestar import Controller, get

from ocrdesk.server.auth import Principal
from ocrdesk.server.context import AppContext
from ocrdesk.server.schemas import Project


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
