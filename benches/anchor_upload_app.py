"""Anchor of the ingestion bench: a bare Litestar multipart endpoint that only reads the body.

Served by granian exactly like `ocrdesk serve` serves the real app (ASGI, one process):
``granian --interface asgi --host 127.0.0.1 --port P anchor_upload_app:app``.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Litestar, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body


@post("/upload", status_code=201)
async def upload(data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]) -> dict[str, int]:
    size = 0
    for value in data.values():
        if isinstance(value, UploadFile):
            size += len(await value.read())
    return {"fileSize": size}


@get("/healthz", sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


app = Litestar(route_handlers=[upload, healthz], request_max_body_size=64 * 1024 * 1024)
