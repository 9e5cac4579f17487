from __future__ import annotations

from litestar import Controller, get
from litestar.response import File

from ocrdesk.server.auth import Principal, resolve_project
from ocrdesk.server.context import AppContext
from ocrdesk.server.controllers.history import ProjectIdQuery, check_id
from ocrdesk.server.errors import ApiError
from ocrdesk.server.exports import content_disposition


class FileController(Controller):
    path = "/files"
    tags = ["files"]

    @get("/{upload_id:str}", summary="The original uploaded file", media_type="application/octet-stream")
    async def get_file(self, upload_id: str, ctx: AppContext, principal: Principal, project_id: ProjectIdQuery = None) -> File:
        check_id(upload_id, "uploadId")
        key = principal.key
        if project_id:  # an explicit project is checked like everywhere else
            project = await resolve_project(ctx, principal, project_id)
            upload = await ctx.uploads.get(project.id, upload_id)
        else:  # fileUrl carries no projectId: the key's scope decides
            upload = await ctx.uploads.get_any(upload_id)
            if upload is not None and (
                upload.organization_id != key.organization_id
                or (key.type == "project" and upload.project_id != key.project_id)
            ):
                upload = None
        if upload is None or not ctx.files.exists(upload.sha256):
            raise ApiError(404, "File not found")
        return File(
            path=ctx.files.locate(upload.sha256),
            media_type=upload.mime_type,
            content_disposition_type="inline",
            filename=upload.file_name,
            headers={"Content-Disposition": content_disposition(upload.file_name, "", "inline")},
        )
