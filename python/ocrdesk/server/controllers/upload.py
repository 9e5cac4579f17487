from __future__ import annotations

import dataclasses

from typing import Any

from litestar import Controller, Request, post
from litestar.openapi.spec import Operation

from ocrdesk.server.deps import provide_ctx, provide_principal
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
    async def upload(self, request: Request[Any, Any, Any]) -> UploadResponse:
        # ctx and principal taken here rather than through dependency injection: resolving
        # dependencies was a measurable part of an upload's time (hot path; see benches).
        return await handle_upload(request, provide_ctx(request), provide_principal(request))  # type: ignore[return-value]
