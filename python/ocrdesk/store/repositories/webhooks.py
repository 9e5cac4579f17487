"""Webhook endpoints and their deliveries (the outbox rows the dispatcher sends)."""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec

from ocrdesk.store.db import Database
from ocrdesk.store.ids import new_id, now_iso
from ocrdesk.store.repositories.events import EventRow

__all__ = ["Webhooks", "Webhook", "Delivery", "DueDelivery"]

INSERT = """
INSERT INTO webhooks (id, organization_id, project_id, key_id, url, events, secret, is_active, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
"""
WEBHOOK_COLUMNS = "id, organization_id, project_id, url, events, is_active, created_at, updated_at"
BY_ID = f"SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = ? AND organization_id = ? AND is_active = 1"
LIST_ORG = f"SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE organization_id = ? AND is_active = 1 ORDER BY created_at, id"
LIST_PROJECT = (
    f"SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE organization_id = ? AND project_id = ? AND is_active = 1 "
    "ORDER BY created_at, id"
)
DEACTIVATE = "UPDATE webhooks SET is_active = 0, updated_at = ? WHERE id = ? AND is_active = 1"
CANCEL_PENDING = """
UPDATE webhook_deliveries SET status = 'cancelled', lease_until = NULL, updated_at = ?
WHERE webhook_id = ? AND status = 'pending'
"""
DELIVERY_COLUMNS = """
d.id, d.webhook_id, d.status, d.attempts, d.next_attempt_at, d.last_status_code, d.last_error,
d.last_duration_ms, d.delivered_at, d.created_at, d.updated_at, e.id AS event_id, e.event_type
"""
DELIVERIES = f"""
SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN events e ON e.seq = d.event_seq
WHERE d.webhook_id = ? ORDER BY d.event_seq DESC LIMIT ? OFFSET ?
"""
DELIVERIES_WITH_STATUS = f"""
SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN events e ON e.seq = d.event_seq
WHERE d.webhook_id = ? AND d.status = ? ORDER BY d.event_seq DESC LIMIT ? OFFSET ?
"""
COUNT_DELIVERIES = "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = ?"
COUNT_DELIVERIES_WITH_STATUS = "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = ? AND status = ?"

# Take due deliveries for a while (the lease). Of one webhook and subject only the oldest
# pending delivery is eligible, so a document's events arrive in order even across retries.
CLAIM = """
UPDATE webhook_deliveries SET lease_until = :lease
WHERE id IN (
    SELECT d.id FROM webhook_deliveries d
    WHERE d.status = 'pending' AND d.next_attempt_at <= :now AND (d.lease_until IS NULL OR d.lease_until <= :now)
      AND NOT EXISTS (
          SELECT 1 FROM webhook_deliveries p
          WHERE p.status = 'pending' AND p.webhook_id = d.webhook_id AND p.subject = d.subject
            AND p.event_seq < d.event_seq)
    ORDER BY d.next_attempt_at, d.event_seq
    LIMIT :limit)
RETURNING id
"""
CLAIMED = """
SELECT d.id, d.attempts, w.url, w.secret, e.seq, e.id AS event_id, e.event_type, e.organization_id,
       e.project_id, e.payload, e.created_at
FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN events e ON e.seq = d.event_seq
WHERE d.id = ?
"""
DELIVERED = """
UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = :now,
    last_status_code = :code, last_error = NULL, last_duration_ms = :ms, lease_until = NULL, updated_at = :now
WHERE id = :id AND status = 'pending'
"""
RETRY = """
UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = :next, last_status_code = :code,
    last_error = :error, last_duration_ms = :ms, lease_until = NULL, updated_at = :now
WHERE id = :id AND status = 'pending'
"""
GIVE_UP = """
UPDATE webhook_deliveries SET status = 'failed', attempts = attempts + 1, last_status_code = :code,
    last_error = :error, last_duration_ms = :ms, lease_until = NULL, updated_at = :now
WHERE id = :id AND status = 'pending'
"""
RELEASE = "UPDATE webhook_deliveries SET lease_until = NULL WHERE id = ? AND status = 'pending'"
NEXT_DUE = "SELECT min(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending'"


class Webhook(msgspec.Struct, rename="camel", kw_only=True):
    id: str
    url: str
    events: list[str]
    project_id: str | None
    organization_id: str
    is_active: bool
    created_at: str
    updated_at: str


class Delivery(msgspec.Struct, rename="camel", kw_only=True):
    id: str
    webhook_id: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: str | None
    last_status_code: int | None
    last_error: str | None
    duration_ms: int | None
    delivered_at: str | None
    created_at: str
    updated_at: str


class DueDelivery(msgspec.Struct, kw_only=True):
    id: str
    attempts: int
    url: str
    secret: str
    event: EventRow


def _webhook(row: sqlite3.Row) -> Webhook:
    return Webhook(
        id=row["id"],
        url=row["url"],
        events=msgspec.json.decode(row["events"]),
        project_id=row["project_id"],
        organization_id=row["organization_id"],
        is_active=bool(row["is_active"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _delivery(row: sqlite3.Row) -> Delivery:
    return Delivery(
        id=row["id"],
        webhook_id=row["webhook_id"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        status=row["status"],
        attempts=int(row["attempts"]),
        next_attempt_at=row["next_attempt_at"] if row["status"] == "pending" else None,
        last_status_code=row["last_status_code"],
        last_error=row["last_error"],
        duration_ms=row["last_duration_ms"],
        delivered_at=row["delivered_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class Webhooks:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- endpoints -----------------------------------------------------------------------
    async def create(
        self, *, organization_id: str, project_id: str | None, key_id: str, url: str, events: list[str], secret: str
    ) -> Webhook:
        webhook_id, now = new_id(), now_iso()
        await self.db.execute(
            INSERT,
            (webhook_id, organization_id, project_id, key_id, url, msgspec.json.encode(events).decode(), secret, now, now),
        )
        found = await self.get(organization_id, webhook_id)
        assert found is not None
        return found

    async def get(self, organization_id: str, webhook_id: str) -> Webhook | None:
        row = await self.db.fetchone(BY_ID, (webhook_id, organization_id))
        return _webhook(row) if row else None

    async def list(self, organization_id: str, project_id: str | None) -> list[Webhook]:
        if project_id is None:
            rows = await self.db.fetchall(LIST_ORG, (organization_id,))
        else:
            rows = await self.db.fetchall(LIST_PROJECT, (organization_id, project_id))
        return [_webhook(r) for r in rows]

    async def deactivate(self, webhook_id: str) -> None:
        """Stop the endpoint and cancel what it has not received yet (the log stays)."""
        now = now_iso()
        async with self.db.transaction() as conn:
            await conn.execute(DEACTIVATE, (now, webhook_id))
            await conn.execute(CANCEL_PENDING, (now, webhook_id))

    async def deliveries(
        self, webhook_id: str, *, status: str | None, page: int, limit: int
    ) -> tuple[list[Delivery], int]:
        offset = (page - 1) * limit
        if status is None:
            rows = await self.db.fetchall(DELIVERIES, (webhook_id, limit, offset))
            total = await self.db.fetchval(COUNT_DELIVERIES, (webhook_id,))
        else:
            rows = await self.db.fetchall(DELIVERIES_WITH_STATUS, (webhook_id, status, limit, offset))
            total = await self.db.fetchval(COUNT_DELIVERIES_WITH_STATUS, (webhook_id, status))
        return [_delivery(r) for r in rows], int(total)

    # --- the dispatcher's side -----------------------------------------------------------
    async def claim(self, *, now: str, lease_until: str, limit: int) -> list[DueDelivery]:
        if limit <= 0:
            return []
        async with self.db.transaction() as conn:
            async with conn.execute(CLAIM, {"now": now, "lease": lease_until, "limit": limit}) as cur:
                ids = [r[0] for r in await cur.fetchall()]
            claimed = []
            for delivery_id in ids:
                async with conn.execute(CLAIMED, (delivery_id,)) as cur:
                    row = await cur.fetchone()
                if row is None:
                    continue
                event = EventRow(
                    seq=int(row["seq"]),
                    id=row["event_id"],
                    event_type=row["event_type"],
                    organization_id=row["organization_id"],
                    project_id=row["project_id"],
                    payload=row["payload"],
                    created_at=row["created_at"],
                )
                claimed.append(
                    DueDelivery(id=row["id"], attempts=int(row["attempts"]), url=row["url"], secret=row["secret"], event=event)
                )
        claimed.sort(key=lambda d: d.event.seq)
        return claimed

    async def delivered(self, delivery_id: str, *, status_code: int, duration_ms: int) -> None:
        await self.db.execute(DELIVERED, {"id": delivery_id, "code": status_code, "ms": duration_ms, "now": now_iso()})

    async def retry_at(
        self, delivery_id: str, next_attempt_at: str, *, status_code: int | None, error: str, duration_ms: int | None
    ) -> None:
        params: dict[str, Any] = {
            "id": delivery_id, "next": next_attempt_at, "code": status_code, "error": error[:500],
            "ms": duration_ms, "now": now_iso(),
        }
        await self.db.execute(RETRY, params)

    async def give_up(self, delivery_id: str, *, status_code: int | None, error: str, duration_ms: int | None) -> None:
        params: dict[str, Any] = {
            "id": delivery_id, "code": status_code, "error": error[:500], "ms": duration_ms, "now": now_iso(),
        }
        await self.db.execute(GIVE_UP, params)

    async def release(self, delivery_ids: list[str]) -> None:
        """Hand back deliveries this process claimed but did not finish (at shutdown)."""
        async with self.db.transaction() as conn:
            await conn.executemany(RELEASE, [(i,) for i in delivery_ids])

    async def next_due(self) -> str | None:
        return await self.db.fetchval(NEXT_DUE)
