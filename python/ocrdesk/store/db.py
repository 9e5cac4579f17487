"""One SQLite database in WAL mode: a writer connection, a few reader connections, migrations.

Writes go through one connection behind an asyncio lock (SQLite has one writer anyway);
reads use a small pool so a slow list never waits behind a write. Other processes
(`ocrdesk worker`) write to the same file; ``busy_timeout`` makes them wait their turn.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import importlib.resources
import mmap
import os
import re
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterable, Sequence, TypeVar

import aiosqlite

__all__ = ["Database", "connect", "migrations", "PRAGMAS"]

T = TypeVar("T")
_PendingWrite = tuple[Callable[[sqlite3.Connection], Any], "asyncio.Future[Any]"]  # (fn, future)

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
    """(number, name, sql) of every migration shipped in ``store/migrations``, in number order.

    Numbers must be unique but may have gaps (parts of the schema are numbered in ranges).
    """
    found = []
    for entry in importlib.resources.files("ocrdesk.store.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if len(set(numbers)) != len(numbers) or not numbers or numbers[0] != 1:
        raise RuntimeError(f"migrations must be numbered uniquely from 0001, found {numbers}")
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


def _open_inline(path: Path) -> sqlite3.Connection:
    """A read-only connection for point lookups on the event loop's thread (``Database.lookup``).

    A short busy timeout: it must never hold the event loop; a busy file falls back to the pool.
    """
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    for pragma in PRAGMAS:
        if "busy_timeout" not in pragma and "journal_mode" not in pragma:
            conn.execute(pragma)
    conn.execute("PRAGMA busy_timeout = 20")
    conn.execute("PRAGMA query_only = ON")
    return conn


EPOCH_BYTES = 16


def _epoch_fd(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)


def _new_epoch(fd: int) -> None:
    os.pwrite(fd, os.urandom(EPOCH_BYTES), 0)


def _open_epoch(path: Path) -> mmap.mmap | None:
    try:
        fd = _epoch_fd(path)
    except OSError:
        return None
    try:
        if os.fstat(fd).st_size < EPOCH_BYTES:
            _new_epoch(fd)
        return mmap.mmap(fd, EPOCH_BYTES, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)


async def _open(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    conn.row_factory = sqlite3.Row
    for pragma in PRAGMAS:
        await conn.execute(pragma)
    return conn


# Which migrations ran: numbers may have gaps, so a later-shipped lower number (0003 after
# 0010) still runs. ``PRAGMA user_version`` keeps the highest applied number.
_APPLIED_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)
"""


async def _applied(conn: aiosqlite.Connection, shipped: list[int]) -> set[int]:
    async with conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'") as cur:
        has_table = await cur.fetchone() is not None
    if not has_table:
        # A database from before the table: everything up to user_version has run.
        async with conn.execute("PRAGMA user_version") as cur:
            (current,) = await cur.fetchone()
        await conn.execute(_APPLIED_TABLE)
        done = {n for n in shipped if n <= current}
        await conn.executemany(
            "INSERT OR IGNORE INTO schema_migrations (number, name, applied_at) VALUES (?, '', datetime('now'))",
            [(n,) for n in sorted(done)],
        )
        return done
    async with conn.execute("SELECT number FROM schema_migrations") as cur:
        return {int(r[0]) for r in await cur.fetchall()}


async def _migrate(conn: aiosqlite.Connection) -> int:
    """Apply every shipped migration not applied yet, in number order, each in its own transaction."""
    shipped = migrations()
    numbers = [n for n, _, _ in shipped]
    for number, name, sql in shipped:
        await conn.execute("BEGIN IMMEDIATE")
        try:
            if number in await _applied(conn, numbers):
                await conn.execute("COMMIT")  # may have created the bookkeeping table
                continue
            for statement in _statements(sql):
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, datetime('now'))", (number, name)
            )
            async with conn.execute("PRAGMA user_version") as cur:
                (current,) = await cur.fetchone()
            await conn.execute(f"PRAGMA user_version = {max(int(current), number):d}")
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
        self._pending_writes: collections.deque[_PendingWrite] = collections.deque()
        self._group_writer_running = False
        self._group_task: asyncio.Task[None] | None = None
        self._inline: sqlite3.Connection | None = None
        self._epoch: mmap.mmap | None = None
        self._checkpointer: _Checkpointer | None = None
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
        self._inline = _open_inline(self.path)
        self._epoch = _open_epoch(self.epoch_path)
        return self

    # --- the credentials epoch -------------------------------------------------------------
    # API keys and projects are read on every request; their repositories keep what they read
    # for a few seconds, and forget it at once when this number changes. Any process that
    # revokes a key or changes a project bumps it (a few bytes in a file next to the
    # database, mapped in memory: reading it costs no system call).
    @property
    def epoch_path(self) -> Path:
        return self.path.with_name(self.path.name + "-epoch")

    def credentials_epoch(self) -> bytes | None:
        """The current epoch; None when it cannot be read (then nothing may be cached)."""
        epoch = self._epoch
        return None if epoch is None else epoch[:EPOCH_BYTES]

    def bump_credentials_epoch(self) -> None:
        """Make every process forget the keys and projects it keeps (after revoking a key, say)."""
        fd = _epoch_fd(self.epoch_path)
        try:
            _new_epoch(fd)
        finally:
            os.close(fd)

    async def checkpoint_in_background(self, interval: float = 0.25) -> None:
        """Copy committed pages from the WAL into the database file on a thread of its own.

        By default the writer does it at every 1,000th page, inside a commit, with two
        fsyncs: every write waiting behind that commit waits for the disk too. A server
        under a steady stream of writes has it done beside them instead (``PASSIVE``: it never
        blocks a writer or a reader). The writer still checkpoints itself should the WAL ever
        reach ``WRITER_CHECKPOINT_PAGES``.
        """
        assert self._writer is not None, "database not open"
        if self._checkpointer is None:
            await self._writer.execute(f"PRAGMA wal_autocheckpoint = {WRITER_CHECKPOINT_PAGES}")
            self._checkpointer = _Checkpointer(self.path, interval)

    async def close(self) -> None:
        if self._checkpointer is not None:
            await asyncio.to_thread(self._checkpointer.stop)
            self._checkpointer = None
        if self._epoch is not None:
            self._epoch.close()
            self._epoch = None
        if self._inline is not None:
            self._inline.close()
            self._inline = None
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

    # One round trip to the reader's thread per query (execute_fetchall), not three (execute,
    # fetch, close): each trip is a GIL hand-off, and under load those dominated a request.
    async def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        """The first row of a query that returns one or a few rows (a lookup or an aggregate)."""
        async with self.reader() as conn:
            rows = await conn.execute_fetchall(sql, params)
        return rows[0] if rows else None  # type: ignore[index]

    async def lookup(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        """The first row of a point lookup by primary key or unique index, read on the calling thread.

        Such a read takes microseconds, far less than the round trip to a reader's thread (two
        GIL hand-offs and an event-loop wake-up), so the per-request lookups (API key, project)
        are done inline. WAL readers do not wait for writers; should the file be busy anyway
        (WAL recovery), the lookup falls back to the reader pool, which may wait its turn.
        """
        conn = self._inline
        if conn is not None:
            try:
                return conn.execute(sql, params).fetchone()  # type: ignore[no-any-return]
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
        return await self.fetchone(sql, params)

    async def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        async with self.reader() as conn:
            return list(await conn.execute_fetchall(sql, params))

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

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(connection)`` atomically on the writer's thread and return its result.

        Group commit: calls that arrive while the writer is busy are run together, in one
        ``BEGIN IMMEDIATE ... COMMIT``, each inside its own savepoint, so a call that raises
        undoes only its own changes (and gets its exception back). ``fn`` must be plain
        synchronous SQL on the given connection: it runs on another thread.

        The writer's thread takes the next group itself as soon as one is committed, while the
        event loop goes on parsing requests and resolving the finished ones: the two overlap
        instead of taking turns. It holds the write lock for at most ``DRAIN_SECONDS`` at a
        time, so a ``transaction()`` waiting for it gets its turn. Calls whose type has
        ``run_group(conn, calls) -> [result]`` run together (see ``_grouped_transaction``).
        File I/O stays off this thread (uploads are committed by ``FileStore.commit_grouped``
        first), so a slow disk never holds up the writes of others.
        """
        assert self._writer is not None, "database not open"
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._pending_writes.append((fn, future))
        if not self._group_writer_running:
            self._group_writer_running = True
            self._group_task = loop.create_task(self._run_grouped_writes())
        return await future

    async def _run_grouped_writes(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending_writes:
                async with self._write_lock:
                    writer = self._writer
                    assert writer is not None
                    # aiosqlite runs this on the connection's own thread, as it runs everything.
                    await writer._execute(_drain_writes, writer._conn, self._pending_writes, loop)
        except BaseException as exc:  # the writer's thread itself failed (e.g. the database closed)
            while self._pending_writes:
                _, future = self._pending_writes.popleft()
                if not future.done():
                    future.set_exception(exc)
            raise
        finally:
            self._group_writer_running = False

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


WRITER_CHECKPOINT_PAGES = 16_000  # the writer's own checkpoints, with one in the background (64 MiB)


class _Checkpointer:
    """``PRAGMA wal_checkpoint(PASSIVE)`` every ``interval`` seconds on a thread and connection of its own."""

    def __init__(self, path: Path, interval: float) -> None:
        self._path = path
        self._interval = interval
        self._stop = threading.Event()
        self.runs = 0
        self._thread = threading.Thread(target=self._run, name="ocrdesk-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(str(self._path), isolation_level=None)
        try:
            while not self._stop.wait(self._interval):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.runs += 1
                except sqlite3.Error:  # locked for a moment or the like: the next turn will do
                    pass
        finally:
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


MAX_WRITE_GROUP = 64  # calls per grouped transaction
DRAIN_SECONDS = 0.05  # longest the writer's thread keeps the write lock for grouped writes


def _drain_writes(
    conn: sqlite3.Connection, pending: collections.deque[_PendingWrite], loop: asyncio.AbstractEventLoop
) -> None:
    """On the writer's thread: commit groups of pending writes until none is left (or time is up).

    Each group's outcomes go back to the event loop as soon as it is committed. Appends by
    the event loop and pops here are each atomic on a deque.
    """
    deadline = time.monotonic() + DRAIN_SECONDS
    while pending:
        group: list[_PendingWrite] = []
        while pending and len(group) < MAX_WRITE_GROUP:
            group.append(pending.popleft())
        try:
            outcomes = _grouped_transaction(conn, [fn for fn, _ in group])
        except Exception as exc:  # the transaction as a whole failed (e.g. COMMIT)
            outcomes = [(False, exc)] * len(group)
        loop.call_soon_threadsafe(_settle, group, outcomes)
        if time.monotonic() > deadline:
            return


def _settle(group: list[_PendingWrite], outcomes: list[tuple[bool, Any]]) -> None:
    for (_, future), (ok, value) in zip(group, outcomes):
        if not future.done():
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)


def _grouped_transaction(conn: sqlite3.Connection, calls: list[Any]) -> list[tuple[bool, Any]]:
    """On the writer's thread: one transaction for a group of calls.

    Calls of one kind with a ``run_group(conn, calls)`` (e.g. plain uploads) run as one set
    of statements inside a savepoint: few statements, so few GIL hand-offs for the whole
    group. Should that fail, they run one by one. Every other call gets its own savepoint,
    so a call that raises undoes only its own changes.
    """
    outcomes: list[tuple[bool, Any] | None] = [None] * len(calls)
    singles: list[int] = []
    kinds: dict[Callable[[sqlite3.Connection, list[Any]], list[Any]], list[int]] = {}
    for i, fn in enumerate(calls):
        together = getattr(type(fn), "run_group", None)
        if together is not None:
            kinds.setdefault(together, []).append(i)
        else:
            singles.append(i)
    conn.execute("BEGIN IMMEDIATE")
    try:
        for together, indexes in kinds.items():
            if len(indexes) == 1:
                singles += indexes
                continue
            conn.execute("SAVEPOINT grouped_set")
            try:
                values = together(conn, [calls[i] for i in indexes])
            except Exception:
                conn.execute("ROLLBACK TO grouped_set")
                conn.execute("RELEASE grouped_set")
                singles += indexes  # find out which one fails, and keep the others
            else:
                conn.execute("RELEASE grouped_set")
                for i, value in zip(indexes, values):
                    outcomes[i] = (True, value)
        for i in sorted(singles):
            conn.execute("SAVEPOINT grouped_write")
            try:
                value = calls[i](conn)
            except Exception as exc:
                conn.execute("ROLLBACK TO grouped_write")
                conn.execute("RELEASE grouped_write")
                outcomes[i] = (False, exc)
            else:
                conn.execute("RELEASE grouped_write")
                outcomes[i] = (True, value)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return outcomes  # type: ignore[return-value]


async def connect(path: Path | str, readers: int = 4, migrate: bool = True) -> Database:
    """Open (creating and migrating if needed) the database at ``path``."""
    return await Database(path, readers=readers).open(migrate=migrate)
