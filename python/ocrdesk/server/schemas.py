"""Wire models (msgspec Structs, camelCase on the wire). Store records are re-exported as-is."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from ocrdesk.store.models import Batch, HistoryRecord, Project, Stats, Template

__all__ = [
    "LoginRequest",
    "LoginResponse",
    "TokenInfo",
    "TemplateCreate",
    "TemplatePatch",
    "UploadResponse",
    "Pagination",
    "HistoryPage",
    "BatchPage",
    "ErrorBody",
    "Batch",
    "HistoryRecord",
    "Project",
    "Stats",
    "Template",
]

ResultFormat = Literal["json", "csv", "text", "pdf", "docx", "xml", "html"]


class LoginRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    token: str


class TokenInfo(msgspec.Struct, rename="camel"):
    id: str
    name: str
    type: Literal["organization", "project"]
    organization_id: str
    project_id: str | None
    expires_at: str | None


class LoginResponse(msgspec.Struct, rename="camel"):
    access_token: str
    expires_in: int
    token_info: TokenInfo
    token_type: str = "Bearer"


class TemplateCreate(msgspec.Struct, rename="camel", kw_only=True):
    name: str
    template_schema: dict[str, Any]
    description: str = ""
    project_id: str | None = None
    instructions: str | None = None
    result_format: ResultFormat = "json"


class TemplatePatch(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    name: str | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType = msgspec.UNSET
    template_schema: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET
    instructions: str | None | msgspec.UnsetType = msgspec.UNSET
    result_format: ResultFormat | msgspec.UnsetType = msgspec.UNSET
    is_active: bool | msgspec.UnsetType = msgspec.UNSET


class UploadResponse(msgspec.Struct, rename="camel", kw_only=True):
    id: str
    processing_history_id: str
    file_name: str
    file_url: str
    file_size: str
    mime_type: str
    status: Literal["uploaded"] = "uploaded"
    template_id: str | None
    batch_id: str | None
    created_at: str


class Pagination(msgspec.Struct):
    page: int
    limit: int
    total: int
    pages: int


class HistoryPage(msgspec.Struct):
    data: list[HistoryRecord]
    pagination: Pagination


class BatchPage(msgspec.Struct):
    data: list[Batch]
    pagination: Pagination


class ErrorBody(msgspec.Struct, rename="camel"):
    status_code: int
    message: str | list[str]
    error: str


def pagination(page: int, limit: int, total: int) -> Pagination:
    return Pagination(page=page, limit=limit, total=total, pages=(total + limit - 1) // limit if total else 0)
