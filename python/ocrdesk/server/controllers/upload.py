from __future__ import annotations

import dataclasses

from typing import Any

from litestar import Controller, Request, post
from litestar.openapi.spec import Operation

from ocrdesk.server.auth import Principal
from ocrdesk.server.context import AppContext
from ocrdesk.server.ingest import handle_upload, upload_request_body
from ocrdesk.server.schemas import UploadResponse


@dataclasses.dataclass
class UploadOperation(Operation):
    def __post_init__(self) -> None:
        self.request_body = upload_request_body()


class UploadController(Controller):
    path = "/upload"
    tags = ["upload"]

    @post("/", status_code=201, summary="Upload one document and queue it", operation_class=UploadOperation)
    async def upload(self, request: Request[Any, Any, Any], ctx: AppContext, principal: Principal) -> UploadResponse:
        return await handle_upload(request, ctx, principal)  # type: ignore[return-value]
