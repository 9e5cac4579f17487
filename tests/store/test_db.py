from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from ocrdesk.store.db import Database, migrations
from ocrdesk.store.ids import is_id, new_id, now_iso, parse_iso, to_iso

pytestmark = pytest.mark.anyio


async def test_migrations_apply_once_and_set_user_version(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    async with Database(path) as db:
        assert db.version == migrations()[-1][0] >= 1
        assert await db.fetchval("PRAGMA journal_mode") == "wal"
        assert await db.fetchval("PRAGMA foreign_keys") == 1
    async with Database(path) as db:  # reopening is a no-op
        assert db.version == migrations()[-1][0]
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"organizations", "projects", "api_keys", "templates", "uploads", "batches", "processing_history",
            "history_counts", "history_days", "workers", "idempotency_keys"} <= tables


async def test_every_list_filter_has_an_index(tmp_path: Path) -> None:
    async with Database(tmp_path / "x.db") as db:
        # The list always scopes to a project (repositories/history.py builds these clauses).
        for where in [
            "project_id = 'p'",
            "project_id = 'p' AND status = 'queued'",
            "project_id = 'p' AND template_id = 't'",
            "project_id = 'p' AND batch_id = 'b'",
            "project_id = 'p' AND created_at >= '2026-01-01' AND created_at < '2026-02-01'",
            "project_id = 'p' AND status = 'failed' AND created_at >= '2026-01-01'",
            "project_id = 'p' AND instr(search_text, 'inv') > 0",
        ]:
            plan = await db.fetchall(
                f"EXPLAIN QUERY PLAN SELECT id FROM processing_history WHERE {where} ORDER BY created_at DESC, id DESC LIMIT 10"
            )
            detail = " ".join(r["detail"] for r in plan)
            assert "INDEX history_by_" in detail and "TEMP B-TREE" not in detail, (where, detail)
        plan = await db.fetchall(
            "EXPLAIN QUERY PLAN SELECT rowid FROM processing_history WHERE status = 'queued' "
            "ORDER BY priority_rank DESC, created_at, id LIMIT 1"
        )
        assert "history_queue" in " ".join(r["detail"] for r in plan)


async def test_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    async with Database(tmp_path / "x.db") as db:
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO organizations VALUES ('a', 'n', 't', 't')")
                raise RuntimeError
        assert await db.fetchval("SELECT count(*) FROM organizations") == 0


def test_ids_and_times() -> None:
    ids = {new_id() for _ in range(10000)}
    assert len(ids) == 10000 and all(is_id(i) for i in ids)
    assert not is_id("ABCDEF0123456789abcdef01") and not is_id("x" * 24) and not is_id(None)
    stamp = now_iso()
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", stamp)
    assert to_iso(parse_iso(stamp)) == stamp
    # The first 4 bytes are the creation time, so ids sort by second.
    assert int(new_id(at=1_700_000_000)[:8], 16) == 1_700_000_000


async def test_grouped_writes_commit_together_and_fail_alone(tmp_path: Path) -> None:
    """Database.write: concurrent calls share one transaction; one that raises undoes only itself."""
    import asyncio

    async with Database(tmp_path / "x.db") as db:
        def insert(name: str, fail: bool = False) -> Any:
            def fn(conn: Any) -> str:
                conn.execute("INSERT INTO organizations VALUES (?, ?, 't', 't')", (name, name))
                if fail:
                    raise ValueError(name)
                return name
            return fn

        results = await asyncio.gather(
            *(db.write(insert(f"org{i}", fail=(i % 3 == 1))) for i in range(9)), return_exceptions=True
        )
        assert [r if isinstance(r, str) else type(r).__name__ for r in results] == [
            "org0", "ValueError", "org2", "org3", "ValueError", "org5", "org6", "ValueError", "org8"]
        names = {r[0] for r in await db.fetchall("SELECT name FROM organizations")}
        assert names == {"org0", "org2", "org3", "org5", "org6", "org8"}
        # A constraint error is also only that call's: the duplicate fails, the rest commit.
        again = await asyncio.gather(db.write(insert("org0")), db.write(insert("org9")), return_exceptions=True)
        assert isinstance(again[0], sqlite3.IntegrityError) and again[1] == "org9"
        assert await db.fetchval("SELECT count(*) FROM organizations") == 7
        assert not db._writer._conn.in_transaction  # type: ignore[union-attr]



async def test_background_checkpoints_fill_the_database_file_and_stop_with_it(tmp_path: Path) -> None:
    """The server's checkpoint thread copies committed pages into the file; the writer keeps a fallback."""
    import asyncio
    import shutil

    db = await Database(tmp_path / "x.db").open()
    try:
        await db.checkpoint_in_background(interval=0.02)
        assert db._writer is not None
        async with db._writer.execute("PRAGMA wal_autocheckpoint") as cur:
            assert (await cur.fetchone())[0] == 16_000  # so the writer does not checkpoint these itself
        ten = "(SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 " \
              "UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9 UNION ALL SELECT 10)"
        for _ in range(10):  # about 1,000 pages of 4 KiB rows through the WAL
            await db.execute(f"INSERT INTO organizations SELECT hex(randomblob(12)), hex(randomblob(2000)), 't', 't' "
                             f"FROM {ten} a, {ten} b")
        assert (tmp_path / "x.db-wal").stat().st_size > 4_000_000
        checkpointer = db._checkpointer
        assert checkpointer is not None
        copied = 0
        for _ in range(250):  # the database file alone, copied aside, holds every row once it has run
            runs = checkpointer.runs
            await asyncio.sleep(0.05)
            if checkpointer.runs <= runs:
                continue
            shutil.copyfile(tmp_path / "x.db", tmp_path / "alone.db")
            alone = sqlite3.connect(tmp_path / "alone.db")
            try:
                copied = alone.execute("SELECT count(*) FROM organizations").fetchone()[0]
            except sqlite3.DatabaseError:  # copied while a checkpoint was writing: look again
                copied = 0
            finally:
                alone.close()
            if copied == 1000:
                break
        assert copied == 1000
    finally:
        await db.close()
    assert not checkpointer._thread.is_alive()
