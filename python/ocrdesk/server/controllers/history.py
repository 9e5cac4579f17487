from __future__ import annotations

import datetime as dt
import functools
from typing import Annotated, Any, Literal

import anyio
import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import Parameter

from ocrdesk.server.auth import Principal, resolve_project
from ocrdesk.server.context import AppContext
from ocrdesk.server.deps import base_url
from ocrdesk.server.errors import ApiError
from ocrdesk.server.exports import check_format, content_disposition, export_record, plain_media_type
from ocrdesk.server.schemas import HistoryPage, HistoryRecord, Stats, pagination
from ocrdesk.store.ids import is_id
from ocrdesk.store.models import STATUSES
from ocrdesk.store.repositories import HistoryFilter

ProjectIdQuery = Annotated[str | None, Parameter(query="projectId", description="Target project (organization keys)")]
MAX_SEARCH = 200
StatusName = Literal["pending", "queued", "in_progress", "completed", "failed", "retention_expired"]


def parse_date(value: str | None, name: str, problems: list[str]) -> dt.date | None:
    if value is None or value == "":
        return None
    try:
        if len(value) != 10:
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        problems.append(f"{name} must be a date YYYY-MM-DD")
        return None


def parse_int(value: str | None, name: str, default: int, low: int, high: int | None, problems: list[str]) -> int:
    if value is None or value == "":
        return default
    if not value.isascii() or not value.isdigit() or not (low <= int(value) <= (high if high else 10**9)):
        bound = f"between {low} and {high}" if high else f"at least {low}"
        problems.append(f"{name} must be an integer {bound}")
        return default
    return int(value)


def check_id(value: str, name: str, problems: list[str] | None = None) -> None:
    if not is_id(value):
        message = f"{name} must be a 24-character hex id"
        if problems is None:
            raise ApiError(400, [message])
        problems.append(message)


def with_file_url(record: HistoryRecord, base: str) -> HistoryRecord:
    """Records store the path of ``fileUrl``; clients get it absolute."""
    return msgspec.structs.replace(record, file_url=base + record.file_url)


RESULT_STATUSES = ("completed", "retention_expired")


async def _completed_record(ctx: AppContext, principal: Principal, record_id: str, project_id: str | None) -> HistoryRecord:
    project = await resolve_project(ctx, principal, project_id)
    check_id(record_id, "id")
    record = await ctx.history.get(project.id, record_id)
    if record is None:
        raise ApiError(404, "Processing record not found")
    return record


class HistoryController(Controller):
    path = "/processing-history"
    tags = ["processing-history"]

    @get("/", summary="List processing records, newest first")
    async def list_history(
        self,
        request: Request[Any, Any, Any],
        ctx: AppContext,
        principal: Principal,
        project_id: ProjectIdQuery = None,
        page: Annotated[str | None, Parameter(description="Page number, from 1 (default 1)", schema_extra={"pattern": "^[0-9]+$"})] = None,
        limit: Annotated[str | None, Parameter(description="Items per page, 1..100 (default 10)", schema_extra={"pattern": "^[0-9]+$"})] = None,
        status: Annotated[StatusName | None, Parameter(description="Filter by status")] = None,
        template_id: Annotated[str | None, Parameter(query="templateId", description="Filter by template")] = None,
        batch_id: Annotated[str | None, Parameter(query="batchId", description="Filter by batch")] = None,
        from_date: Annotated[str | None, Parameter(query="fromDate", description="YYYY-MM-DD, inclusive", schema_extra={"format": "date"})] = None,
        to_date: Annotated[str | None, Parameter(query="toDate", description="YYYY-MM-DD, inclusive", schema_extra={"format": "date"})] = None,
        search: Annotated[str | None, Parameter(description="Case-insensitive substring of file or template name")] = None,
    ) -> HistoryPage:
        project = await resolve_project(ctx, principal, project_id)
        problems: list[str] = []
        page_n = parse_int(page, "page", 1, 1, None, problems)
        limit_n = parse_int(limit, "limit", 10, 1, 100, problems)
        if status is not None and status not in STATUSES:
            problems.append(f"status must be one of {', '.join(STATUSES)}")
        if template_id:
            check_id(template_id, "templateId", problems)
        if batch_id:
            check_id(batch_id, "batchId", problems)
        start = parse_date(from_date, "fromDate", problems)
        end = parse_date(to_date, "toDate", problems)
        if start and end and start > end:
            problems.append("fromDate must not be after toDate")
        if search is not None and len(search) > MAX_SEARCH:
            problems.append(f"search must be at most {MAX_SEARCH} characters")
        if problems:
            raise ApiError(400, problems)
        flt = HistoryFilter(
            project_id=project.id,
            status=status,
            template_id=template_id or None,
            batch_id=batch_id or None,
            from_date=start,
            to_date=end,
            search=search or None,
        )
        records, total = await ctx.history.list(flt, page=page_n, limit=limit_n)
        base = base_url(request, ctx)
        return HistoryPage(data=[with_file_url(r, base) for r in records], pagination=pagination(page_n, limit_n, total))

    @get("/stats", summary="Counts by status")
    async def stats(self, ctx: AppContext, principal: Principal, project_id: ProjectIdQuery = None) -> Stats:
        project = await resolve_project(ctx, principal, project_id)
        return await ctx.history.stats(project.id)

    @get("/{record_id:str}", summary="One processing record with its result")
    async def get_record(
        self, request: Request[Any, Any, Any], record_id: str, ctx: AppContext, principal: Principal, project_id: ProjectIdQuery = None
    ) -> HistoryRecord:
        record = await _completed_record(ctx, principal, record_id, project_id)
        return with_file_url(record, base_url(request, ctx))

    @get(
        "/{record_id:str}/result",
        summary="Download the result",
        media_type="application/octet-stream",
        response_description="The result file in the requested format",
    )
    async def get_result(
        self,
        record_id: str,
        ctx: AppContext,
        principal: Principal,
        project_id: ProjectIdQuery = None,
        format: Annotated[str | None, Parameter(description="json, text, xml, html, csv, pdf, docx, hocr, alto, tsv")] = None,
    ) -> Response[bytes]:
        record = await _completed_record(ctx, principal, record_id, project_id)
        fmt = check_format((format or record.result_format or "json").lower())
        # A record whose file retention removed keeps its result (and word boxes): every
        # format still works, the PDF without the page images.
        if record.status not in RESULT_STATUSES or (record.status != "completed" and record.processing_result is None):
            raise ApiError(409, f"The record is not completed (status: {record.status})")
        raw = record.processing_result
        text = await ctx.history.result_text(record.project_id, record.id) if fmt != "json" else None
        body, content_type, ext = await anyio.to_thread.run_sync(
            functools.partial(
                export_record,
                bytes(raw) if raw is not None else None,
                text,
                fmt,
                files=ctx.files,
                record_id=record.id,
                file_path=record.file_path,
                title=record.file_name,
            )
        )
        return Response(
            content=body,
            media_type=plain_media_type(content_type),
            headers={"Content-Disposition": content_disposition(record.file_name, ext)},
        )


