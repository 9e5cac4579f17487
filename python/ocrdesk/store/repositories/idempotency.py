"""Idempotency-Key replay: the first response to (key, Idempotency-Key) is kept for 24 h."""

from __future__ import annotations

import datetime as dt
import sqlite3

import aiosqlite

from ocrdesk.store.db import Database
from ocrdesk.store.ids import now_iso, to_iso

FIND = """
SELECT path, request_hash, status_code, response FROM idempotency_keys
WHERE key_id = ? AND idem_key = ? AND created_at > ?
"""
SAVE = """
INSERT INTO idempotency_keys (key_id, idem_key, path, request_hash, status_code, response, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(key_id, idem_key) DO UPDATE SET path = excluded.path, request_hash = excluded.request_hash,
    status_code = excluded.status_code, response = excluded.response, created_at = excluded.created_at
"""
PURGE = "DELETE FROM idempotency_keys WHERE created_at <= ?"

TTL = dt.timedelta(hours=24)


def _cutoff() -> str:
    return to_iso(dt.datetime.now(dt.timezone.utc) - TTL)


class IdempotencyKeys:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def find(conn: aiosqlite.Connection, key_id: str, idem_key: str) -> tuple[str, str, int, str] | None:
        async with conn.execute(FIND, (key_id, idem_key, _cutoff())) as cur:
            row = await cur.fetchone()
        return None if row is None else (row[0], row[1], int(row[2]), row[3])

    @staticmethod
    def find_sync(conn: sqlite3.Connection, key_id: str, idem_key: str) -> tuple[str, str, int, str] | None:
        row = conn.execute(FIND, (key_id, idem_key, _cutoff())).fetchone()
        return None if row is None else (row[0], row[1], int(row[2]), row[3])

    @staticmethod
    def save_sync(
        conn: sqlite3.Connection, key_id: str, idem_key: str, path: str, request_hash: str, status_code: int, response: str
    ) -> None:
        conn.execute(SAVE, (key_id, idem_key, path, request_hash, status_code, response, now_iso()))

    async def lookup(self, key_id: str, idem_key: str) -> tuple[str, str, int, str] | None:
        async with self.db.reader() as conn:
            return await self.find(conn, key_id, idem_key)

    @staticmethod
    async def save(
        conn: aiosqlite.Connection, key_id: str, idem_key: str, path: str, request_hash: str, status_code: int, response: str
    ) -> None:
        await conn.execute(SAVE, (key_id, idem_key, path, request_hash, status_code, response, now_iso()))

    async def purge(self) -> int:
        return await self.db.execute(PURGE, (_cutoff(),))
