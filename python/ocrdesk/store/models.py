"""Typed records returned by the repositories.

Field names are snake_case in Python and camelCase on the wire (``rename="camel"``), so the
server returns these objects as they are. JSON columns come back as ``msgspec.Raw`` (already
encoded JSON), so a stored result is never decoded just to be encoded again.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

__all__ = [
    "Organization",
    "Project",
    "ApiKey",
    "Template",
    "Upload",
    "Batch",
    "HistoryRecord",
    "Stats",
    "Status",
    "Priority",
    "PRIORITY_RANK",
    "STATUSES",
    "RESULT_FORMATS",
    "STRUCTURED_FORMATS",
]

Status = Literal["pending", "queued", "in_progress", "completed", "failed", "retention_expired"]
STATUSES: tuple[str, ...] = ("pending", "queued", "in_progress", "completed", "failed", "retention_expired")
Priority = Literal["low", "medium", "high"]
PRIORITY_RANK = {"low": 0, "medium": 1, "high": 2}
RESULT_FORMATS: tuple[str, ...] = ("json", "csv", "text", "pdf", "docx", "xml", "html")
STRUCTURED_FORMATS = frozenset({"json", "csv"})


class Organization(msgspec.Struct, rename="camel", kw_only=True):
    id: str
    name: str
    created_at: str
    updated_at: str


class Project(msgspec.Struct, rename="camel", kw_only=True):
    id: str
    name: str
    description: str
    organization_id: str
    is_active: bool
    settings: Any
    created_at: str
    updated_at: str


class ApiKey(msgspec.Struct, rename="camel", kw_only=True):
    id: str
    name: str
    type: Literal["organization", "project"]
    organization_id: str
    project_id: str | None
    key_prefix: str
    expires_at: str | None
    revoked_at: str | None
    created_at: str


class Template(msgspec.Struct, rename="camel", kw_only=True):
    template_id: str
    name: str
    description: str
    template_schema: Any
    instructions: str | None
    project_id: str
    is_active: bool
    result_format: str
    extraction_mode: Literal["structured", "freeText"]
    created_at: str
    updated_at: str


class Upload(msgspec.Struct, rename="camel", kw_only=True):
    id: str
    project_id: str
    organization_id: str
    key_id: str
    file_name: str
    sha256: str
    file_size: int
    mime_type: str
    file_type: str
    created_at: str
    #: When the retention job deleted the stored file (None: still kept).
    expired_at: str | None = None


class Batch(msgspec.Struct, rename="camel", kw_only=True):
    id: str
    name: str
    project_id: str
    organization_id: str
    template_id: str | None
    template_name: str | None
    total_files: int
    completed_files: int
    failed_files: int
    status: Literal["processing", "completed", "partial", "failed"]
    progress: int
    upload_ids: list[str] = []
    created_at: str
    updated_at: str


class HistoryRecord(msgspec.Struct, rename="camel", kw_only=True):
    """The processing-history record of SPEC §4.4."""

    id: str
    upload_id: str
    project_id: str
    user_id: str
    file_name: str
    file_url: str
    file_path: str
    file_size: str
    mime_type: str
    status: Status
    template_id: str | None
    template_name: str | None
    batch_id: str | None
    result_format: str
    priority: Priority
    processing_result: Any
    error: str | None
    page_count: int | None
    started_at: str | None
    completed_at: str | None
    created_at: str
    updated_at: str


class Stats(msgspec.Struct, kw_only=True):
    total: int
    pending: int
    processing: int
    completed: int
    failed: int
