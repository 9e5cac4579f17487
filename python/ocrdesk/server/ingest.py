"""POST /upload and POST /batch/upload: stream files to the store, create records, queue them."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.openapi.spec import OpenAPIMediaType, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType

from ocrdesk.files import file_type_for, safe_file_name, sniff
from ocrdesk.queue.events import batch_uploaded
from ocrdesk.server.auth import Principal, resolve_project
from ocrdesk.server.context import AppContext
from ocrdesk.server.deps import base_url
from ocrdesk.server.errors import ApiError
from ocrdesk.server.forms import FormFile, ParsedForm, read_form
from ocrdesk.server.schemas import UploadResponse
from ocrdesk.store.ids import is_id, now_iso
from ocrdesk.store.models import PRIORITY_RANK, Template
from ocrdesk.store.repositories import Batches, History, IdempotencyKeys
from ocrdesk.store.repositories.history import NewDocument, file_url_path

__all__ = ["handle_upload", "handle_batch_upload", "upload_request_body", "batch_request_body"]

FILE_TYPES = ("pdf", "image", "document")
SUPPORTED = "PDF, PNG, JPEG, TIFF, WebP, BMP, GIF"
MAX_IDEMPOTENCY_KEY = 255
_UPLOAD_FIELDS = frozenset({"file"})


def _string(description: str, **kw: Any) -> Schema:
    return Schema(type=OpenAPIType.STRING, description=description, **kw)


_COMMON_FIELDS = {
    "projectId": _string("Target project (required for organization keys)", pattern="^[0-9a-f]{24}$"),
    "templateId": _string("Template to extract with", pattern="^[0-9a-f]{24}$"),
    "priority": _string("Queue priority", enum=["low", "medium", "high"]),
    "metadata": _string("A JSON object, kept with the record"),
}


def upload_request_body() -> RequestBody:
    properties = {
        "file": Schema(type=OpenAPIType.STRING, format="binary", description="The document (PDF or image)"),
        **_COMMON_FIELDS,
        "fileName": _string("Name to show; defaults to the part's filename"),
        "fileType": _string("pdf, image or document (sniffed when absent)", enum=list(FILE_TYPES)),
        "mimeType": _string("Ignored in favour of the sniffed type"),
        "fileSize": _string("Size in bytes; checked when given", pattern="^[0-9]+$"),
        "batchId": _string("Add the file to an existing batch", pattern="^[0-9a-f]{24}$"),
    }
    return _form_body(properties, ["file"])


def batch_request_body() -> RequestBody:
    properties = {
        "files": Schema(
            type=OpenAPIType.ARRAY,
            items=Schema(type=OpenAPIType.STRING, format="binary"),
            min_items=1,
            max_items=50,
            description="1 to 50 documents",
        ),
        **_COMMON_FIELDS,
        "name": _string("Batch name; default 'Batch YYYY-MM-DD'"),
    }
    return _form_body(properties, ["files"])


def _form_body(properties: dict[str, Schema], required: list[str]) -> RequestBody:
    schema = Schema(type=OpenAPIType.OBJECT, properties=properties, required=required)
    return RequestBody(content={"multipart/form-data": OpenAPIMediaType(schema=schema)}, required=True)


# --- shared checks ------------------------------------------------------------------------
class _Common(msgspec.Struct):
    priority: str
    metadata: Any
    template: Template | None
    problems: list[str]


async def _common_fields(ctx: AppContext, form: ParsedForm, project_id: str) -> _Common:
    problems: list[str] = []
    priority = form.value("priority") or "medium"
    if priority not in PRIORITY_RANK:
        problems.append("priority must be one of low, medium, high")
    metadata: Any = None
    raw_metadata = form.value("metadata")
    if raw_metadata:
        try:
            metadata = json.loads(raw_metadata)
        except ValueError:
            problems.append("metadata must be a JSON object")
        else:
            if not isinstance(metadata, dict):
                problems.append("metadata must be a JSON object")
    template_id = form.value("templateId") or None
    template = None
    if template_id is not None and not is_id(template_id):
        problems.append("templateId must be a 24-character hex id")
    elif template_id is not None and not problems:
        template = await ctx.templates.get(project_id, template_id)
        if template is None or not template.is_active:
            raise ApiError(404, "Template not found")
    return _Common(priority=priority, metadata=metadata, template=template, problems=problems)


def _record_fields(project: Any, principal: Principal, common: _Common, batch_id: str | None) -> dict[str, Any]:
    """The columns an upload's history record takes from its request, single or batch."""
    template = common.template
    return {
        "project_id": project.id,
        "organization_id": project.organization_id,
        "key_id": principal.key_id,
        "template_id": template.template_id if template else None,
        "template_name": template.name if template else None,
        "result_format": template.result_format if template else "json",
        "batch_id": batch_id,
        "priority": common.priority,
        "metadata": common.metadata,
    }


def _document(ctx: AppContext, part: FormFile, name: str | None) -> NewDocument:
    if part.size == 0:
        raise ApiError(400, [f"{part.field} must not be empty"])
    mime = sniff(part.incoming.head)
    display = safe_file_name(name or part.filename)
    if mime is None:
        raise ApiError(415, f"Unsupported file type for {display!r}: accepted are {SUPPORTED}")
    sha = part.incoming.sha256  # None until committed (POST /upload commits after these checks)
    return NewDocument(
        file_name=display,
        sha256=sha or "",
        file_path=ctx.files.relative_path(sha) if sha else "",
        file_size=part.size,
        mime_type=mime,
        file_type=file_type_for(mime),
    )


def _idempotency_key(request: Request[Any, Any, Any]) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY:
        raise ApiError(400, [f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters"])
    return key


def _replay(found: tuple[str, str, int, str], path: str, request_hash: str) -> Response[Any]:
    stored_path, stored_hash, status, body = found
    if stored_path != path or stored_hash != request_hash:
        raise ApiError(409, "Idempotency-Key was already used with a different request")
    return Response(content=body.encode(), status_code=status, media_type="application/json")


# --- POST /upload -------------------------------------------------------------------------
async def handle_upload(request: Request[Any, Any, Any], ctx: AppContext, principal: Principal) -> Response[Any]:
    idem_key = _idempotency_key(request)
    form = await read_form(
        request,
        ctx.files,
        file_fields=_UPLOAD_FIELDS,
        max_file_bytes=ctx.settings.max_upload_bytes,
        max_files=1,
        commit=False,
    )
    try:
        project = await resolve_project(ctx, principal, form.value("projectId") or None)
        common = await _common_fields(ctx, form, project.id)
        problems = list(common.problems)
        parts = form.files_named("file")
        if not parts:
            problems.append("file is required")
        file_type = form.value("fileType")
        if file_type and file_type not in FILE_TYPES:
            problems.append("fileType must be one of pdf, image, document")
        declared_size = form.value("fileSize")
        if declared_size and not declared_size.isdigit():
            problems.append("fileSize must be a whole number of bytes")
        elif declared_size and parts and int(declared_size) != parts[0].size:
            problems.append(f"fileSize does not match the received file ({parts[0].size} bytes)")
        batch_id = form.value("batchId") or None
        if batch_id is not None and not is_id(batch_id):
            problems.append("batchId must be a 24-character hex id")
        if problems:
            raise ApiError(400, problems)
        if batch_id is not None and not await ctx.batches.exists(project.id, batch_id):
            raise ApiError(404, "Batch not found")
        doc = _document(ctx, parts[0], form.value("fileName"))

        request_hash = form.request_hash() if idem_key is not None else ""
        if idem_key is not None:
            found = await ctx.idempotency.lookup(principal.key_id, idem_key)
            if found is not None:
                return _replay(found, request.scope["path"], request_hash)

        sha = await ctx.files.commit_grouped(parts[0].incoming)
        doc.sha256, doc.file_path = sha, ctx.files.relative_path(sha)
        fields = _record_fields(project, principal, common, batch_id)
        plain = idem_key is None and batch_id is None
        insert = (_PlainUploadInsert if plain else _UploadInsert)(
            doc, fields, common.template, base_url(request, ctx), idem_key, principal.key_id,
            request.scope["path"], request_hash,
        )
        stored = await ctx.db.write(insert)
        if isinstance(stored, Response):
            return stored
        body = stored
    finally:
        form.discard()
    ctx.wake_workers()
    return Response(content=body, status_code=201, media_type="application/json")


class _UploadInsert:
    """The rows of one upload, written on the database writer's thread (``Database.write``).

    Its file is committed before (``FileStore.commit_grouped``): ``doc`` has its hash and path.
    """

    __slots__ = ("doc", "fields", "template", "base", "idem_key", "key_id", "path", "request_hash")

    def __init__(
        self, doc: NewDocument, fields: dict[str, Any], template: Template | None,
        base: str, idem_key: str | None, key_id: str, path: str, request_hash: str,
    ) -> None:
        self.doc, self.fields, self.template = doc, fields, template
        self.base, self.idem_key, self.key_id, self.path, self.request_hash = base, idem_key, key_id, path, request_hash

    def _response(self, upload_id: str, record_id: str, created_at: str) -> bytes:
        doc, template = self.doc, self.template
        return msgspec.json.encode(
            UploadResponse(
                id=upload_id,
                processing_history_id=record_id,
                file_name=doc.file_name,
                file_url=self.base + file_url_path(upload_id),
                file_size=str(doc.file_size),
                mime_type=doc.mime_type,
                template_id=template.template_id if template else None,
                batch_id=self.fields["batch_id"],
                created_at=created_at,
            )
        )

    def __call__(self, conn: sqlite3.Connection) -> bytes | Response[Any]:
        if self.idem_key is not None:
            found = IdempotencyKeys.find_sync(conn, self.key_id, self.idem_key)
            if found is not None:
                return _replay(found, self.path, self.request_hash)
        now = now_iso()
        upload_id, record_id, created_at = History.insert_document(conn, self.doc, now=now, **self.fields)
        batch_id = self.fields["batch_id"]
        if batch_id is not None:
            Batches.add_file_sync(conn, batch_id, now)
        encoded = self._response(upload_id, record_id, created_at)
        if self.idem_key is not None:
            IdempotencyKeys.save_sync(conn, self.key_id, self.idem_key, self.path, self.request_hash, 201, encoded.decode())
        return encoded


class _PlainUploadInsert(_UploadInsert):
    """An upload without Idempotency-Key or batch: a group of them is two INSERT statements."""

    __slots__ = ()

    @staticmethod
    def run_group(conn: sqlite3.Connection, items: list[_UploadInsert]) -> list[bytes]:
        ids = History.insert_documents(conn, [(item.doc, item.fields) for item in items])
        return [item._response(*row_ids) for item, row_ids in zip(items, ids)]


# --- POST /batch/upload -------------------------------------------------------------------
async def handle_batch_upload(request: Request[Any, Any, Any], ctx: AppContext, principal: Principal) -> Response[Any]:
    idem_key = _idempotency_key(request)
    max_files = ctx.settings.batch_max_files
    form = await read_form(
        request,
        ctx.files,
        file_fields=frozenset({"files", "files[]"}),
        max_file_bytes=ctx.settings.max_upload_bytes,
        max_files=max_files,
    )
    try:
        project = await resolve_project(ctx, principal, form.value("projectId") or None)
        common = await _common_fields(ctx, form, project.id)
        problems = list(common.problems)
        if not form.files:
            problems.append(f"files is required (1 to {max_files} files)")
        name = (form.value("name") or "").strip() or f"Batch {dt.datetime.now(dt.timezone.utc):%Y-%m-%d}"
        if len(name) > 255:
            problems.append("name must be at most 255 characters")
        if problems:
            raise ApiError(400, problems)
        docs = [_document(ctx, part, None) for part in form.files]

        request_hash = form.request_hash()
        path = request.url.path
        if idem_key is not None:
            found = await ctx.idempotency.lookup(principal.key_id, idem_key)
            if found is not None:
                return _replay(found, path, request_hash)

        template = common.template
        async with ctx.db.transaction() as conn:
            if idem_key is not None:
                found = await IdempotencyKeys.find(conn, principal.key_id, idem_key)
                if found is not None:
                    return _replay(found, path, request_hash)
            now = now_iso()
            batch_id = await Batches.insert(
                conn,
                project_id=project.id,
                organization_id=project.organization_id,
                template_id=template.template_id if template else None,
                template_name=template.name if template else None,
                name=name,
                total_files=len(docs),
                metadata=common.metadata,
                now=now,
            )
            for doc in docs:
                await History.add_document(
                    conn,
                    doc,
                    now=now,
                    **_record_fields(project, principal, common, batch_id),
                )
            batch = await Batches.get_in(conn, project.id, batch_id)
            await batch_uploaded(conn, batch)  # the event, in this transaction (outbox)
            body = msgspec.json.encode(batch)
            if idem_key is not None:
                await IdempotencyKeys.save(conn, principal.key_id, idem_key, path, request_hash, 201, body.decode())
    finally:
        form.discard()
    ctx.wake_workers()
    return Response(content=body, status_code=201, media_type="application/json")
