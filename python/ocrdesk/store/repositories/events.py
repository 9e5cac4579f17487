"""The event outbox: rows of ``events`` in commit order (``seq``).

Most events are written by triggers (migration 0010) in the transaction of the change they
report; :meth:`Events.emit` writes the others inside the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
import sqlite3
import string
import time
from typing import Any

import aiosqlite
import msgspec

from ocrdesk.store.db import Database
from ocrdesk.store.ids import now_iso, to_iso

__all__ = ["Events", "EventRow", "Envelope", "EVENT_TYPES", "new_event_id", "envelope_bytes"]

EVENT_TYPES: tuple[str, ...] = (
    "document.uploaded",
    "document.processed",
    "document.failed",
    "batch.uploaded",
    "batch.completed",
    "template.created",
    "template.updated",
    "template.deleted",
)

INSERT = """
INSERT INTO events (id, event_type, organization_id, project_id, subject, payload, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
"""
COLUMNS = "seq, id, event_type, organization_id, project_id, payload, created_at"
MAX_SEQ = "SELECT coalesce(max(seq), 0) FROM events"
AFTER_IN_ORG = f"SELECT {COLUMNS} FROM events WHERE organization_id = ? AND seq > ? ORDER BY seq LIMIT ?"
AFTER_IN_PROJECT = (
    f"SELECT {COLUMNS} FROM events WHERE organization_id = ? AND seq > ? AND project_id = ? ORDER BY seq LIMIT ?"
)
SEQ_OF = "SELECT seq FROM events WHERE id = ? AND organization_id = ? ORDER BY seq LIMIT 1"
# Events still needed by a pending delivery are kept whatever their age.
PURGE_DELIVERIES = "DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < ?"
PURGE_EVENTS = """
DELETE FROM events WHERE created_at < ?
  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_seq = events.seq)
"""

_ALPHABET = string.ascii_lowercase + string.digits


def new_event_id(at: float | None = None) -> str:
    """``evt_<unixMs>_<6 chars>`` (SPEC §4.3)."""
    ms = int((time.time() if at is None else at) * 1000)
    return f"evt_{ms}_" + "".join(secrets.choice(_ALPHABET) for _ in range(6))


class EventRow(msgspec.Struct, frozen=True):
    seq: int
    id: str
    event_type: str
    organization_id: str
    project_id: str
    payload: str
    created_at: str


class Envelope(msgspec.Struct, rename="camel"):
    """What a webhook receives and what an SSE ``data:`` line carries (SPEC §4.3)."""

    event_type: str
    event_id: str
    timestamp: str
    organization_id: str
    project_id: str
    payload: msgspec.Raw


def envelope_bytes(row: EventRow) -> bytes:
    """The envelope as compact JSON; the same bytes on every retry (they are signed)."""
    return msgspec.json.encode(
        Envelope(
            event_type=row.event_type,
            event_id=row.id,
            timestamp=row.created_at,
            organization_id=row.organization_id,
            project_id=row.project_id,
            payload=msgspec.Raw(row.payload.encode()),
        )
    )


def _row(row: sqlite3.Row) -> EventRow:
    return EventRow(
        seq=int(row["seq"]),
        id=row["id"],
        event_type=row["event_type"],
        organization_id=row["organization_id"],
        project_id=row["project_id"],
        payload=row["payload"],
        created_at=row["created_at"],
    )


class Events:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def emit(
        conn: aiosqlite.Connection,
        event_type: str,
        *,
        organization_id: str,
        project_id: str,
        subject: str,
        payload: Any,
    ) -> str:
        """Write one event inside the caller's transaction; returns its id."""
        assert event_type in EVENT_TYPES, event_type
        event_id = new_event_id()
        body = payload if isinstance(payload, (bytes, bytearray)) else msgspec.json.encode(payload)
        await conn.execute(
            INSERT, (event_id, event_type, organization_id, project_id, subject, bytes(body).decode(), now_iso())
        )
        return event_id

    async def max_seq(self) -> int:
        return int(await self.db.fetchval(MAX_SEQ))

    async def after(self, seq: int, organization_id: str, project_id: str | None, limit: int = 200) -> list[EventRow]:
        """Events of the scope with ``seq`` greater than ``seq``, oldest first."""
        if project_id is None:
            rows = await self.db.fetchall(AFTER_IN_ORG, (organization_id, seq, limit))
        else:
            rows = await self.db.fetchall(AFTER_IN_PROJECT, (organization_id, seq, project_id, limit))
        return [_row(r) for r in rows]

    async def seq_of(self, event_id: str, organization_id: str) -> int | None:
        """The position of an event the client saw (its ``eventId`` or the SSE ``seq``)."""
        if event_id.isdigit():
            return int(event_id)
        value = await self.db.fetchval(SEQ_OF, (event_id, organization_id))
        return None if value is None else int(value)

    async def purge(self, keep_days: float) -> tuple[int, int]:
        """Delete delivery logs and events older than ``keep_days``; returns (deliveries, events)."""
        cutoff = to_iso(dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=keep_days))
        async with self.db.transaction() as conn:
            async with conn.execute(PURGE_DELIVERIES, (cutoff,)) as cur:
                deliveries = cur.rowcount
            async with conn.execute(PURGE_EVENTS, (cutoff,)) as cur:
                events = cur.rowcount
        return deliveries, events
