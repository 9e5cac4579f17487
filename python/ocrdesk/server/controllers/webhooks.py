"""Webhook endpoints: register, list, remove, and each endpoint's delivery log (SPEC §4.3)."""

from __future__ import annotations

import secrets
from typing import Annotated, Literal

import msgspec
from litestar import Controller, delete, get, post
from litestar.params import Parameter

from ocrdesk.queue.webhooks import DestinationPolicy, DestinationRefused
from ocrdesk.server.auth import Principal, resolve_project
from ocrdesk.server.context import AppContext
from ocrdesk.server.controllers.history import ProjectIdQuery, check_id, parse_int
from ocrdesk.server.errors import ApiError
from ocrdesk.server.schemas import Pagination, pagination
from ocrdesk.store.repositories.events import EVENT_TYPES
from ocrdesk.store.repositories.webhooks import Delivery, Webhook, Webhooks

__all__ = ["WebhookController"]

MAX_URL = 2048


class WebhookCreate(msgspec.Struct, rename="camel", kw_only=True):
    url: str
    events: list[str]
    secret: str | None = None
    project_id: str | None = None


class WebhookCreated(Webhook, kw_only=True):
    """The new endpoint with its signing secret (shown only in this response)."""

    secret: str


class DeliveryPage(msgspec.Struct):
    data: list[Delivery]
    pagination: Pagination


def _repo(ctx: AppContext) -> Webhooks:
    return Webhooks(ctx.db)


def _not_found() -> ApiError:
    return ApiError(404, "Webhook not found")


async def _scope(ctx: AppContext, principal: Principal, project_id: str | None) -> str | None:
    """The project a webhook request is limited to (None: the whole organization of an org key)."""
    if principal.key.type == "project" or project_id:
        return (await resolve_project(ctx, principal, project_id)).id
    return None


async def _visible(ctx: AppContext, principal: Principal, webhook_id: str) -> Webhook:
    check_id(webhook_id, "id")
    webhook = await _repo(ctx).get(principal.key.organization_id, webhook_id)
    key = principal.key
    if webhook is None or (key.type == "project" and webhook.project_id != key.project_id):
        raise _not_found()
    return webhook


class WebhookController(Controller):
    path = "/webhooks"
    tags = ["webhooks"]

    @post("/", status_code=201, summary="Register a webhook endpoint")
    async def create_webhook(
        self, data: WebhookCreate, ctx: AppContext, principal: Principal, project_id: ProjectIdQuery = None
    ) -> WebhookCreated:
        """Deliveries POST `{eventType, eventId, timestamp, organizationId, projectId, payload}` signed with
        `X-Webhook-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. An organization key's webhook covers
        all its projects unless `projectId` narrows it; a project key's covers its project. Without `secret`
        one is generated; it is returned only here."""
        scope = await _scope(ctx, principal, data.project_id or project_id)
        problems: list[str] = []
        url = data.url.strip()
        if not url or len(url) > MAX_URL:
            problems.append(f"url must be 1 to {MAX_URL} characters")
        else:
            try:
                DestinationPolicy.from_settings(ctx.settings).check_url(url)
            except DestinationRefused as exc:
                problems.append(str(exc))
        events = list(EVENT_TYPES) if data.events == ["*"] else list(dict.fromkeys(data.events))
        if not events:
            problems.append("events must list at least one event type")
        unknown = [e for e in events if e not in EVENT_TYPES]
        if unknown:
            problems.append(f"events must be among {', '.join(EVENT_TYPES)} (unknown: {', '.join(unknown)})")
        secret = data.secret if data.secret is not None else "whsec_" + secrets.token_urlsafe(32)
        if not (8 <= len(secret) <= 256):
            problems.append("secret must be 8 to 256 characters")
        if problems:
            raise ApiError(400, problems)
        webhook = await _repo(ctx).create(
            organization_id=principal.key.organization_id,
            project_id=scope,
            key_id=principal.key_id,
            url=url,
            events=events,
            secret=secret,
        )
        return WebhookCreated(**msgspec.structs.asdict(webhook), secret=secret)

    @get("/", summary="Webhook endpoints of the key's scope")
    async def list_webhooks(self, ctx: AppContext, principal: Principal, project_id: ProjectIdQuery = None) -> list[Webhook]:
        scope = await _scope(ctx, principal, project_id)
        return await _repo(ctx).list(principal.key.organization_id, scope)

    @get("/{webhook_id:str}", summary="One webhook endpoint")
    async def get_webhook(self, webhook_id: str, ctx: AppContext, principal: Principal) -> Webhook:
        return await _visible(ctx, principal, webhook_id)

    @delete("/{webhook_id:str}", status_code=200, summary="Remove a webhook endpoint (pending deliveries are cancelled)")
    async def delete_webhook(self, webhook_id: str, ctx: AppContext, principal: Principal) -> Webhook:
        webhook = await _visible(ctx, principal, webhook_id)
        await _repo(ctx).deactivate(webhook.id)
        return msgspec.structs.replace(webhook, is_active=False)

    @get("/{webhook_id:str}/deliveries", summary="Delivery log of a webhook endpoint, newest first")
    async def list_deliveries(
        self,
        webhook_id: str,
        ctx: AppContext,
        principal: Principal,
        page: Annotated[str | None, Parameter(description="Page number (default 1)")] = None,
        limit: Annotated[str | None, Parameter(description="Items per page, 1..100 (default 10)")] = None,
        status: Annotated[
            Literal["pending", "delivered", "failed", "cancelled"] | None, Parameter(description="Only this status")
        ] = None,
    ) -> DeliveryPage:
        webhook = await _visible(ctx, principal, webhook_id)
        problems: list[str] = []
        page_n = parse_int(page, "page", 1, 1, None, problems)
        limit_n = parse_int(limit, "limit", 10, 1, 100, problems)
        if problems:
            raise ApiError(400, problems)
        rows, total = await _repo(ctx).deliveries(webhook.id, status=status, page=page_n, limit=limit_n)
        return DeliveryPage(data=rows, pagination=pagination(page_n, limit_n, total))
