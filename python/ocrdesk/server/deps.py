"""Dependencies (``Provide``) shared by the controllers."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import Provide

from ocrdesk.server.auth import Principal, unauthorized
from ocrdesk.server.context import AppContext

__all__ = ["dependencies", "base_url"]


def provide_ctx(request: Request[Any, Any, Any]) -> AppContext:
    return request.app.state.ctx  # type: ignore[no-any-return]


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    principal = request.scope.get("state", {}).get("principal")
    if principal is None:
        raise unauthorized()
    return principal  # type: ignore[no-any-return]


def base_url(request: Request[Any, Any, Any], ctx: AppContext) -> str:
    """Where this server is reachable, for absolute ``fileUrl`` values."""
    if ctx.settings.public_url:
        return ctx.settings.public_url.rstrip("/")
    scope = request.scope
    # Building the URL object is a measurable part of a small request; the inputs repeat.
    cache_key = (
        scope.get("scheme"), request.headers.get("host"), scope.get("server"), scope.get("app_root_path"), scope.get("root_path")
    )
    found = _BASE_URLS.get(cache_key)
    if found is None:
        found = str(request.base_url).rstrip("/")
        if len(_BASE_URLS) > 256:
            _BASE_URLS.clear()
        _BASE_URLS[cache_key] = found
    return found


_BASE_URLS: dict[tuple[Any, ...], str] = {}


dependencies = {
    "ctx": Provide(provide_ctx, sync_to_thread=False),
    "principal": Provide(provide_principal, sync_to_thread=False),
}
