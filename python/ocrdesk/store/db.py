"""One SQLite database in WAL mode: a writer connection, a few reader connections, migrations.

Writes go through one connection behind an asyncio lock (SQLite has one writer anyway);
reads use a small pool so a slow list never waits behind a write. Other processes
(`ocrdesk worker`) write to the same file; ``busy_timeout`` makes them wait their turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.resources
import re
import sqlite3
from pathlib import Path
from typing import Any, AsyncIterator, Iterable, Sequence

import aiosqlite

__all__ = ["Database", "connect", "migrations", "PRAGMAS"]

PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 15000",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA cache_size = -32000",
    "PRAGMA mmap_size = 268435456",
)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, sql) of every migration shipped in ``store/migrations``, in order."""
    found = []
    for entry in importlib.resources.files("ocrdesk.store.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migrations must be numbered 0001.. without gaps, found {numbers}")
    return found


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in text.splitlines())


def _statements(script: str) -> Iterable[str]:
    """Split a script into statements (trigger bodies stay whole)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statement, buffer = buffer.strip(), ""
            if not _only_comments(statement):
                yield statement
    if not _only_comments(buffer):
        raise RuntimeError(f"incomplete SQL statement in migration: {buffer[:80]!r}")


async def _open(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    conn.row_factory = sqlite3.Row
    for pragma in PRAGMAS:
        await conn.execute(pragma)
    return conn


async def _migrate(conn: aiosqlite.Connection) -> int:
    """Apply migrations newer than ``PRAGMA user_version``, each in its own transaction."""
    for number, _name, sql in migrations():
        await conn.execute("BEGIN IMMEDIATE")
        try:
            async with conn.execute("PRAGMA user_version") as cur:
                (current,) = await cur.fetchone()
            if current >= number:
                await conn.execute("ROLLBACK")
                continue
            for statement in _statements(sql):
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {number:d}")
            await conn.execute("COMMIT")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
    async with conn.execute("PRAGMA user_version") as cur:
        (version,) = await cur.fetchone()
    return int(version)


class Database:
    """The application's handle on the SQLite file."""

    def __init__(self, path: Path | str, readers: int = 4) -> None:
        self.path = Path(path)
        self._reader_count = max(1, readers)
        self._writer: aiosqlite.Connection | None = None
        self._readers: asyncio.Queue[aiosqlite.Connection] | None = None
        self._all_readers: list[aiosqlite.Connection] = []
        self._write_lock = asyncio.Lock()
        self.version = 0

    async def open(self, migrate: bool = True) -> Database:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await _open(self.path)
        if migrate:
            self.version = await _migrate(self._writer)
        self._readers = asyncio.Queue()
        for _ in range(self._reader_count):
            reader = await _open(self.path)
            await reader.execute("PRAGMA query_only = ON")
            self._all_readers.append(reader)
            self._readers.put_nowait(reader)
        return self

    async def close(self) -> None:
        for reader in self._all_readers:
            await reader.close()
        self._all_readers.clear()
        if self._writer is not None:
            with contextlib.suppress(Exception):
                await self._writer.execute("PRAGMA optimize")
            await self._writer.close()
            self._writer = None

    async def __aenter__(self) -> Database:
        if self._writer is None:
            await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- reads ---------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def reader(self) -> AsyncIterator[aiosqlite.Connection]:
        assert self._readers is not None, "database not open"
        conn = await self._readers.get()
        try:
            yield conn
        finally:
            self._readers.put_nowait(conn)

    async def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        async with self.reader() as conn:
            async with conn.execute(sql, params) as cur:
                return await cur.fetchone()

    async def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        async with self.reader() as conn:
            async with conn.execute(sql, params) as cur:
                return list(await cur.fetchall())

    async def fetchval(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    # --- writes --------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """``BEGIN IMMEDIATE`` on the writer; commit on success, roll back on any error."""
        assert self._writer is not None, "database not open"
        async with self._write_lock:
            conn = self._writer
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            else:
                await conn.execute("COMMIT")

    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """One write statement in autocommit mode; returns the number of changed rows."""
        assert self._writer is not None, "database not open"
        async with self._write_lock:
            async with self._writer.execute(sql, params) as cur:
                return cur.rowcount

    async def write_fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        """A single ``... RETURNING`` write statement (atomic on its own)."""
        assert self._writer is not None, "database not open"
        async with self._write_lock:
            async with self._writer.execute(sql, params) as cur:
                rows = await cur.fetchall()
            return rows[0] if rows else None

    async def write_fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        assert self._writer is not None, "database not open"
        async with self._write_lock:
            async with self._writer.execute(sql, params) as cur:
                return list(await cur.fetchall())


async def connect(path: Path | str, readers: int = 4, migrate: bool = True) -> Database:
    """Open (creating and migrating if needed) the database at ``path``."""
    return await Database(path, readers=readers).open(migrate=migrate)
