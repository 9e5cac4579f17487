from __future__ import annotations

import dataclasses

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.response import Stream
from litestar.openapi.spec import Operation

from ocrdesk.server.auth import Principal, resolve_project
from ocrdesk.server.context import AppContext
from ocrdesk.server.controllers.history import ProjectIdQuery, check_id, parse_int
from ocrdesk.server.ingest import batch_request_body, handle_batch_upload
from ocrdesk.server.errors import ApiError
from ocrdesk.server.exports import CONTENT_TYPES, EXTENSIONS, check_batch_format, content_disposition, plain_media_type, stream_batch
from ocrdesk.server.schemas import Batch, BatchPage, pagination
from litestar.params import Parameter


@dataclasses.dataclass
class BatchUploadOperation(Operation):
    def __post_init__(self) -> None:
        self.request_body = batch_request_body()


class BatchController(Controller):
    path = "/batch"
    tags = ["batch"]

    @post("/upload", status_code=201, summary="Upload 1 to 50 files as one batch", operation_class=BatchUploadOperation)
    async def batch_upload(self, request: Request[Any, Any, Any], ctx: AppContext, principal: Principal) -> Batch:
        return await handle_batch_upload(request, ctx, principal)  # type: ignore[return-value]

    @get("/", summary="List batches, newest first")
    async def list_batches(
        self,
        ctx: AppContext,
        principal: Principal,
        project_id: ProjectIdQuery = None,
        page: Annotated[str | None, Parameter(description="Page number (default 1)", schema_extra={"pattern": "^[0-9]+$"})] = None,
        limit: Annotated[str | None, Parameter(description="Items per page, 1..100 (default 10)", schema_extra={"pattern": "^[0-9]+$"})] = None,
    ) -> BatchPage:
        project = await resolve_project(ctx, principal, project_id)
        problems: list[str] = []
        page_n = parse_int(page, "page", 1, 1, None, problems)
        limit_n = parse_int(limit, "limit", 10, 1, 100, problems)
        if problems:
            raise ApiError(400, problems)
        batches, total = await ctx.batches.list(project.id, page=page_n, limit=limit_n)
        return BatchPage(data=batches, pagination=pagination(page_n, limit_n, total))

    @get("/{batch_id:str}", summary="One batch")
    async def get_batch(self, batch_id: str, ctx: AppContext, principal: Principal, project_id: ProjectIdQuery = None) -> Batch:
        project = await resolve_project(ctx, principal, project_id)
        check_id(batch_id, "id")
        batch = await ctx.batches.get(project.id, batch_id)
        if batch is None:
            raise ApiError(404, "Batch not found")
        return batch

    @get("/{batch_id:str}/result", summary="Every record's result in one file")
    async def batch_result(
        self,
        batch_id: str,
        ctx: AppContext,
        principal: Principal,
        project_id: ProjectIdQuery = None,
        format: Annotated[str | None, Parameter(description="json, text, xml, html, csv, pdf or docx (default json)")] = None,
    ) -> Stream:
        project = await resolve_project(ctx, principal, project_id)
        check_id(batch_id, "id")
        fmt = check_batch_format((format or "json").lower())
        batch = await ctx.batches.get(project.id, batch_id)
        if batch is None:
            raise ApiError(404, "Batch not found")
        # Streamed record by record: memory stays bounded whatever the batch size.
        return Stream(
            stream_batch(ctx.db, ctx.files, project.id, batch_id, batch, fmt, batch.name),
            media_type=plain_media_type(CONTENT_TYPES[fmt]),
            headers={"Content-Disposition": content_disposition(batch.name + "." + EXTENSIONS[fmt], EXTENSIONS[fmt])},
        )
