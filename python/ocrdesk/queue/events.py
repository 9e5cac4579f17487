"""Events: the outbox writers the code calls, the in-process fan-out, and the background set.

Events are rows of the ``events`` table (see migration 0010): most are written by triggers in
the transaction of the change; :func:`batch_uploaded` is written by the upload code inside its
transaction. Nothing here sends anything itself:

- :class:`EventHub` watches ``max(seq)`` (cheap; also sees events written by ``ocrdesk worker``
  in another process) and wakes every SSE stream and the webhook dispatcher when it grows.
- :class:`EventServices` runs the hub, the :class:`~ocrdesk.queue.webhooks.WebhookDispatcher`
  and the :class:`~ocrdesk.queue.retention.RetentionJob`; ``serve`` and ``worker`` start it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Callable

import aiosqlite
import msgspec

from ocrdesk.config import Settings
from ocrdesk.files import FileStore
from ocrdesk.store.db import Database
from ocrdesk.store.repositories.events import Events

__all__ = ["EventHub", "EventServices", "batch_uploaded"]

log = logging.getLogger("ocrdesk.events")


async def batch_uploaded(conn: aiosqlite.Connection, batch: Any) -> None:
    """``batch.uploaded`` for a batch just created in ``conn``'s transaction (payload: the batch)."""
    await Events.emit(
        conn,
        "batch.uploaded",
        organization_id=batch.organization_id,
        project_id=batch.project_id,
        subject="batch:" + batch.id,
        payload=msgspec.json.encode(batch),
    )


class EventHub:
    """Knows the newest event's ``seq`` and lets streams wait for a newer one."""

    def __init__(self, db: Database, poll_interval: float = 0.5) -> None:
        self.db = db
        self.events = Events(db)
        self.poll_interval = poll_interval
        self.latest = 0
        self._news = asyncio.Event()  # set (and replaced) whenever ``latest`` grows
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[], None]] = []

    def on_new(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def poke(self) -> None:
        """Look now (after a write in this process) instead of at the next poll."""
        self._wake.set()

    async def start(self) -> None:
        self.latest = await self.events.max_seq()
        self._task = asyncio.create_task(self._poll(), name="ocrdesk-events")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    async def wait_beyond(self, seq: int, timeout: float) -> bool:
        """Wait until an event newer than ``seq`` exists (True) or ``timeout`` passes (False).

        No lock is involved: a stream cancelled while it waits (its client gone) cannot leave
        anything held that would stall the other streams.
        """
        if self.latest > seq:
            return True
        news = self._news  # taken with no await after the check above: no wake-up is missed
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(news.wait(), timeout)
        return self.latest > seq

    async def _poll(self) -> None:
        while True:
            try:
                latest = await self.events.max_seq()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reading the event log failed")
                latest = self.latest
            if latest > self.latest:
                self.latest = latest
                news, self._news = self._news, asyncio.Event()
                news.set()
                for listener in self._listeners:
                    listener()
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval)


class EventServices:
    """The background side of events: hub, webhook dispatcher, file retention."""

    def __init__(self, db: Database, files: FileStore, settings: Settings, *, with_hub: bool = True) -> None:
        from ocrdesk.queue.retention import RetentionJob
        from ocrdesk.queue.webhooks import WebhookDispatcher

        self.hub = EventHub(db, settings.events_poll_interval) if with_hub else None
        self.dispatcher = WebhookDispatcher(db, settings)
        self.retention = RetentionJob(db, files, settings)
        if self.hub is not None:
            self.hub.on_new(self.dispatcher.wake)

    async def start(self) -> EventServices:
        if self.hub is not None:
            await self.hub.start()
        await self.dispatcher.start()
        await self.retention.start()
        return self

    async def stop(self) -> None:
        await self.retention.stop()
        await self.dispatcher.stop()
        if self.hub is not None:
            await self.hub.stop()
