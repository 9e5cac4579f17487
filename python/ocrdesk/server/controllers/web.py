"""The web dashboard: static files from ``server/web/`` at ``/`` (no build step, no CDN), and
one helper endpoint for it, a PNG preview of a PDF page (browsers show images, not PDFs).

The dashboard is a plain client of the Open API: it signs in with an API key kept in the
browser's sessionStorage and sends it as ``X-API-Key``. Nothing here reads the database
except the preview, which checks the key's scope exactly like ``GET /files/{uploadId}``.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Annotated, Any

import anyio
from litestar import Controller, Response, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.params import Parameter
from litestar.static_files import create_static_files_router

from ocrdesk.server.auth import Principal, resolve_project
from ocrdesk.server.context import AppContext
from ocrdesk.server.controllers.history import ProjectIdQuery, check_id
from ocrdesk.server.deps import dependencies
from ocrdesk.server.errors import ApiError
from ocrdesk.server.ratelimit import API_PREFIX

__all__ = ["web_handlers", "WEB_DIR", "gray_png"]

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

# Everything the page loads comes from this server; blob: for files fetched with the key.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}


@get("/", include_in_schema=False, sync_to_thread=False, media_type="text/html")
def dashboard() -> Response[bytes]:
    """The single page of the dashboard (views are switched by the URL fragment)."""
    return Response(content=(WEB_DIR / "index.html").read_bytes(), media_type="text/html", headers=SECURITY_HEADERS)


def gray_png(width: int, height: int, pixels: bytes) -> bytes:
    """An 8-bit grayscale PNG (filter 0 on every row): no imaging library needed at run time."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    view = memoryview(pixels)
    raw = b"".join(b"\x00" + view[y * width : (y + 1) * width] for y in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def _render_page(path: Path, page: int, dpi: int) -> tuple[int, int, bytes] | None:
    import ocrdesk

    pages = ocrdesk.rasterize(path, dpi=dpi, first=page, last=page)
    if not pages:
        return None
    width, height, pixels = pages[0]
    return width, height, gray_png(width, height, pixels)


class PagePreviewController(Controller):
    path = "/files"
    tags = ["files"]

    @get(
        "/{upload_id:str}/pages/{page:int}",
        summary="A PDF page as a grayscale PNG (for the dashboard's record view)",
        media_type="image/png",
    )
    async def page_preview(
        self,
        upload_id: str,
        page: int,
        ctx: AppContext,
        principal: Principal,
        project_id: ProjectIdQuery = None,
        dpi: Annotated[int, Parameter(ge=30, le=200, description="Resolution of the preview (default 100)")] = 100,
    ) -> Response[bytes]:
        check_id(upload_id, "uploadId")
        key = principal.key
        if project_id:
            project = await resolve_project(ctx, principal, project_id)
            upload = await ctx.uploads.get(project.id, upload_id)
        else:
            upload = await ctx.uploads.get_any(upload_id)
            if upload is not None and (
                upload.organization_id != key.organization_id
                or (key.type == "project" and upload.project_id != key.project_id)
            ):
                upload = None
        if upload is None or not ctx.files.exists(upload.sha256):
            raise ApiError(404, "File not found")
        if upload.mime_type != "application/pdf":
            raise ApiError(415, "Page previews are made for PDF files only; fetch the file itself")
        if page < 1:
            raise ApiError(404, "Page not found")
        try:
            rendered = await anyio.to_thread.run_sync(_render_page, ctx.files.locate(upload.sha256), page, dpi)
        except ValueError as exc:  # the core's errors for bad documents are ValueErrors
            raise ApiError(422, str(exc).splitlines()[0][:300] if str(exc) else "The document cannot be rendered") from None
        if rendered is None:
            raise ApiError(404, "Page not found")
        width, height, png = rendered
        return Response(
            content=png,
            media_type="image/png",
            headers={"Cache-Control": "private, max-age=86400", "X-Page-Width": str(width), "X-Page-Height": str(height)},
        )


def web_handlers() -> list[Any]:
    """Registered next to the API router by ``create_app``: the page, its files, and the preview
    (under the API prefix, so the auth/rate-limit middleware covers it like any API call)."""
    return [
        dashboard,
        create_static_files_router(
            path="/static",
            directories=[WEB_DIR],
            name="web-static",
            cache_control=CacheControlHeader(no_cache=True),
            include_in_schema=False,
        ),
        Router(path=API_PREFIX, route_handlers=[PagePreviewController], dependencies=dependencies),
    ]
