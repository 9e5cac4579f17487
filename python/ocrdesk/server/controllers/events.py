"""``GET /events``: the event log as Server-Sent Events, for the key's scope (SPEC §4.3).

Each event is ``id: <eventId>``, ``event: <eventType>``, ``data: <the webhook envelope>``. A
comment line (``: ping``) is sent every ``sse_heartbeat_seconds`` so proxies keep the stream
open. A client that reconnects with ``Last-Event-ID`` (header, or ``lastEventId`` query) gets
every event after that one that is still kept (``event_retention_days``), then the live ones.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, AsyncIterator

from litestar import Controller, Request, get
from litestar.params import Parameter
from litestar.response import Stream

from ocrdesk.queue.events import EventHub
from ocrdesk.server.auth import Principal, resolve_project
from ocrdesk.server.context import AppContext
from ocrdesk.server.controllers.history import ProjectIdQuery
from ocrdesk.store.repositories.events import EventRow, Events, envelope_bytes

__all__ = ["EventController", "sse_frame"]

PAGE = 200
MAX_LAST_EVENT_ID = 64


def sse_frame(row: EventRow) -> bytes:
    return b"id: %s\nevent: %s\ndata: %s\n\n" % (row.id.encode(), row.event_type.encode(), envelope_bytes(row))


class EventController(Controller):
    path = "/events"
    tags = ["events"]

    @get("/", summary="Live events (Server-Sent Events)", media_type="text/event-stream")
    async def stream_events(
        self,
        request: Request[Any, Any, Any],
        ctx: AppContext,
        principal: Principal,
        project_id: ProjectIdQuery = None,
        last_event_id: Annotated[
            str | None, Parameter(query="lastEventId", description="Resume after this event (or the Last-Event-ID header)")
        ] = None,
    ) -> Stream:
        """Project key: its project. Organization key: `projectId`, or every project of the organization."""
        key = principal.key
        scope = (await resolve_project(ctx, principal, project_id)).id if key.type == "project" or project_id else None
        events = Events(ctx.db)
        hub: EventHub = request.app.state.event_hub
        resume = (request.headers.get("last-event-id") or last_event_id or "").strip()[:MAX_LAST_EVENT_ID]
        start = await events.seq_of(resume, key.organization_id) if resume else None
        if start is None:  # no resume point (or it is no longer kept): from now on
            start = await events.max_seq()
        heartbeat = ctx.settings.sse_heartbeat_seconds

        async def frames() -> AsyncIterator[bytes]:
            seq = start
            yield b"retry: 3000\n: connected\n\n"
            last_sent = time.monotonic()
            while True:
                checked = hub.latest
                rows = await events.after(seq, key.organization_id, scope, PAGE)
                for row in rows:
                    yield sse_frame(row)
                    seq = row.seq
                if rows:
                    last_sent = time.monotonic()
                if len(rows) == PAGE:
                    continue
                idle = time.monotonic() - last_sent
                if idle >= heartbeat:
                    yield b": ping\n\n"
                    last_sent, idle = time.monotonic(), 0.0
                await hub.wait_beyond(max(checked, seq), heartbeat - idle)

        return Stream(
            frames(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Connection": "keep-alive"},
        )
