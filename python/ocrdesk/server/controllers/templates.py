from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.params import Parameter

from ocrdesk.server.auth import Principal, resolve_project
from ocrdesk.server.context import AppContext
from ocrdesk.server.errors import ApiError
from ocrdesk.server.schemas import Template, TemplateCreate, TemplatePatch
from ocrdesk.store.ids import is_id

ProjectIdQuery = Annotated[str | None, Parameter(query="projectId", description="Target project (organization keys)")]
SCHEMA_TYPES = {"string", "number", "integer", "boolean", "array", "object"}


def validate_schema(schema: dict[str, Any]) -> list[str]:
    """Problems with a templateSchema: a JSON Schema object or the bare properties map."""
    if schema.get("type") == "object" or "properties" in schema:
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            return ["templateSchema.properties must be an object"]
    else:
        properties = schema
    if not properties:
        return ["templateSchema must define at least one property"]
    problems = []
    for name, spec in properties.items():
        if not isinstance(spec, dict):
            problems.append(f"templateSchema.{name} must be an object")
            continue
        kind = spec.get("type")
        kinds = kind if isinstance(kind, list) else [kind]
        if kind is not None and not all(k in SCHEMA_TYPES or k == "null" for k in kinds):
            problems.append(f"templateSchema.{name}.type must be one of {', '.join(sorted(SCHEMA_TYPES))}")
    return problems


def _check_id(value: str, name: str = "id") -> None:
    if not is_id(value):
        raise ApiError(400, [f"{name} must be a 24-character hex id"])


def _not_found() -> ApiError:
    return ApiError(404, "Template not found")


class TemplateController(Controller):
    path = "/templates"
    tags = ["templates"]

    @get("/", summary="Templates of the project")
    async def list_templates(self, ctx: AppContext, principal: Principal, project_id: ProjectIdQuery = None) -> list[Template]:
        project = await resolve_project(ctx, principal, project_id)
        return await ctx.templates.list(project.id)

    @post("/", summary="Create a template")
    async def create_template(
        self, data: TemplateCreate, ctx: AppContext, principal: Principal, project_id: ProjectIdQuery = None
    ) -> Template:
        project = await resolve_project(ctx, principal, data.project_id or project_id)
        problems = []
        if not data.name.strip():
            problems.append("name must not be empty")
        problems += validate_schema(data.template_schema)
        if problems:
            raise ApiError(400, problems)
        return await ctx.templates.create(
            project_id=project.id,
            name=data.name.strip(),
            description=data.description,
            template_schema=data.template_schema,
            instructions=data.instructions,
            result_format=data.result_format,
        )

    @get("/{template_id:str}", summary="One template")
    async def get_template(
        self, template_id: str, ctx: AppContext, principal: Principal, project_id: ProjectIdQuery = None
    ) -> Template:
        project = await resolve_project(ctx, principal, project_id)
        _check_id(template_id)
        template = await ctx.templates.get(project.id, template_id)
        if template is None:
            raise _not_found()
        return template

    @patch("/{template_id:str}", summary="Change a template")
    async def update_template(
        self, template_id: str, data: TemplatePatch, ctx: AppContext, principal: Principal, project_id: ProjectIdQuery = None
    ) -> Template:
        project = await resolve_project(ctx, principal, project_id)
        _check_id(template_id)
        changes = {f: getattr(data, f) for f in data.__struct_fields__ if getattr(data, f) is not msgspec.UNSET}
        problems = []
        if "name" in changes:
            changes["name"] = changes["name"].strip()
            if not changes["name"]:
                problems.append("name must not be empty")
        if "template_schema" in changes:
            problems += validate_schema(changes["template_schema"])
        if problems:
            raise ApiError(400, problems)
        template = await ctx.templates.update(project.id, template_id, changes)
        if template is None:
            raise _not_found()
        return template

    @delete("/{template_id:str}", status_code=200, summary="Deactivate a template (soft delete)")
    async def delete_template(
        self, template_id: str, ctx: AppContext, principal: Principal, project_id: ProjectIdQuery = None
    ) -> Template:
        project = await resolve_project(ctx, principal, project_id)
        _check_id(template_id)
        template = await ctx.templates.soft_delete(project.id, template_id)
        if template is None:
            raise _not_found()
        return template
