"""The Litestar application: ``create_app(settings)`` builds it; nothing happens at import time."""

from __future__ import annotations

import contextlib
import logging
from typing import AsyncIterator

from litestar import Litestar, Router, get
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from ocrdesk.config import Settings
from ocrdesk.files import FileStore
from ocrdesk.server.context import AppContext
from ocrdesk.server.controllers.auth import AuthController
from ocrdesk.server.controllers.batches import BatchController
from ocrdesk.server.controllers.events import EventController
from ocrdesk.server.controllers.files import FileController
from ocrdesk.server.controllers.history import HistoryController
from ocrdesk.server.controllers.projects import ProjectController
from ocrdesk.server.controllers.templates import TemplateController
from ocrdesk.server.controllers.upload import UploadController
from ocrdesk.server.controllers.webhooks import WebhookController
from ocrdesk.server.controllers.web import web_handlers
from ocrdesk.server.deps import dependencies
from ocrdesk.server.errors import exception_handlers
from ocrdesk.server.ratelimit import API_PREFIX, AuthRateLimitMiddleware
from ocrdesk.store.db import Database

__all__ = ["create_app", "create_app_from_env"]

log = logging.getLogger("ocrdesk.server")


@get("/healthz", include_in_schema=False, sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def create_app(settings: Settings | None = None, *, run_workers: bool | None = None) -> Litestar:
    """The API app. With ``run_workers`` (default: ``settings.workers > 0``) the lifespan also
    runs the OCR worker pool in the same event loop."""
    settings = settings or Settings.load()
    with_workers = settings.workers > 0 if run_workers is None else run_workers

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        settings.ensure_dirs()
        db = await Database(settings.db_path, readers=4).open()
        await db.checkpoint_in_background()
        files = FileStore(settings.files_dir)
        files.clean_tmp()
        _ = settings.jwt_secret  # create it now rather than under the first login
        ctx = AppContext(settings=settings, db=db, files=files)
        pool = None
        if with_workers and settings.workers > 0:
            from ocrdesk.queue import WorkerPool

            pool = WorkerPool(db, files, settings)
            await pool.start()
            ctx.wake_workers = pool.wake
        app.state.ctx = ctx
        app.state.pool = pool
        from ocrdesk.queue.events import EventServices  # webhooks, SSE fan-out, file retention

        app.state.events = await EventServices(db, files, settings).start()
        app.state.event_hub = app.state.events.hub
        try:
            yield
        finally:
            await app.state.events.stop()
            if pool is not None:
                await pool.stop()
            await db.close()
            files.close()

    api = Router(
        path=API_PREFIX,
        route_handlers=[
            AuthController,
            ProjectController,
            TemplateController,
            UploadController,
            BatchController,
            HistoryController,
            FileController,
            WebhookController,
            EventController,
        ],
        dependencies=dependencies,
    )
    openapi = OpenAPIConfig(
        title="ocrdesk Open API",
        version="1.0.0",
        description="Self-hosted OCR service compatible with the Ocriva Open API (base path /v1/openapi).",
        path=API_PREFIX + "/docs",
        render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        components=Components(
            security_schemes={
                "apiKey": SecurityScheme(type="apiKey", name="X-API-Key", security_scheme_in="header"),
                "bearer": SecurityScheme(type="http", scheme="bearer", description="API key or JWT from /auth/login"),
            }
        ),
        security=[{"apiKey": []}, {"bearer": []}],
        use_handler_docstrings=True,
    )
    return Litestar(
        route_handlers=[api, healthz, *web_handlers()],
        lifespan=[lifespan],
        middleware=[DefineMiddleware(AuthRateLimitMiddleware)],
        exception_handlers=exception_handlers,  # type: ignore[arg-type]
        openapi_config=openapi,
        request_max_body_size=None,  # upload handlers stream and enforce their own limits
        debug=False,
    )


def create_app_from_env() -> Litestar:
    """Factory for ASGI servers started from the command line (settings from OCRDESK_* only)."""
    return create_app(Settings.load())


