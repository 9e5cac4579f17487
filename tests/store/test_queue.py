"""Queue semantics on a real database: claim order, atomic claims, retries, crash recovery,
batch counters. The OCR step is a plain function here (the queue does not care what it does);
real OCR runs in tests/server/test_worker_e2e.py."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from ocrdesk.config import Settings
from ocrdesk.files import FileStore
from ocrdesk.queue import WorkerPool
from ocrdesk.store.db import Database
from ocrdesk.store.repositories import Batches, History, Organizations, Projects, Workers
from ocrdesk.store.repositories.history import NewDocument

pytestmark = pytest.mark.anyio


async def _project(db: Database) -> tuple[str, str]:
    org = await Organizations(db).create("o")
    project = await Projects(db).create(org.id, "p")
    return org.id, project.id


async def _add(db: Database, files: FileStore, org: str, project: str, names_priorities: list[tuple[str, str]], batch: bool = False) -> tuple[list[str], str | None]:
    sha = files.put_bytes(b"%PDF-1.4 fake")
    ids = []
    async with db.transaction() as conn:
        batch_id = None
        if batch:
            batch_id = await Batches.insert(conn, project_id=project, organization_id=org, template_id=None,
                                            template_name=None, name="b", total_files=len(names_priorities))
        for name, priority in names_priorities:
            doc = NewDocument(file_name=name, sha256=sha, file_path=files.relative_path(sha), file_size=13,
                              mime_type="application/pdf", file_type="pdf")
            _, record_id, _ = await History.add_document(
                conn, doc, project_id=project, organization_id=org, key_id="k" * 24, template_id=None,
                template_name=None, result_format="json", batch_id=batch_id, priority=priority, metadata=None)
            ids.append(record_id)
    return ids, batch_id


async def test_claim_order_is_priority_then_age(tmp_path: Path) -> None:
    files = FileStore(tmp_path / "files")
    async with Database(tmp_path / "x.db") as db:
        org, project = await _project(db)
        await _add(db, files, org, project, [("l1", "low"), ("m1", "medium"), ("h1", "high"), ("m2", "medium"), ("h2", "high")])
        jobs = Workers(db)
        worker = await jobs.register()
        order = []
        while (claimed := await jobs.claim(worker)) is not None:
            order.append(claimed[0].file_name)
        assert order == ["h1", "h2", "m1", "m2", "l1"]


async def test_concurrent_claims_never_share_a_job(tmp_path: Path) -> None:
    files = FileStore(tmp_path / "files")
    path = tmp_path / "x.db"
    async with Database(path) as db:
        org, project = await _project(db)
        await _add(db, files, org, project, [(f"d{i}", "medium") for i in range(200)])
    # Two separate connections (as two processes would have), many claimers each.
    async with Database(path) as a, Database(path) as b:
        wa, wb = await Workers(a).register(), await Workers(b).register()

        async def drain(db: Database, worker: str) -> list[str]:
            got = []
            while (c := await Workers(db).claim(worker)) is not None:
                got.append(c[0].id)
                await asyncio.sleep(0)
            return got

        results = await asyncio.gather(*[drain(a, wa) for _ in range(4)], *[drain(b, wb) for _ in range(4)])
    claimed = [i for r in results for i in r]
    assert len(claimed) == 200 and len(set(claimed)) == 200


def _settings(tmp_path: Path, **kw: Any) -> Settings:
    return Settings.load({"data_dir": tmp_path, "workers": 2, "poll_interval": 0.05, **kw}, environ={})


async def test_worker_pool_completes_retries_and_fails(tmp_path: Path) -> None:
    files = FileStore(tmp_path / "files")
    attempts: dict[str, int] = {}

    def processor(path: Path, settings: Settings, template: Any) -> tuple[bytes, str, int]:
        # Name-driven behaviour via the stored file would need distinct files; use a counter per path.
        attempts[str(path)] = attempts.get(str(path), 0) + 1
        raise RuntimeError("engine hiccup")

    async with Database(tmp_path / "x.db") as db:
        org, project = await _project(db)
        ids, _ = await _add(db, files, org, project, [("a", "medium")])
        pool = WorkerPool(db, files, _settings(tmp_path), processor=processor)
        await pool.start()
        await pool.drain(timeout=20)
        await pool.stop()
        record = await History(db).get(project, ids[0])
        assert record is not None and record.status == "failed"
        assert record.error == "failed after 3 attempts: engine hiccup"
        assert sum(attempts.values()) == 3


async def test_bad_input_fails_at_once(tmp_path: Path) -> None:
    from ocrdesk.errors import InvalidDocumentError

    files = FileStore(tmp_path / "files")
    calls = []

    def processor(path: Path, settings: Settings, template: Any) -> tuple[bytes, str, int]:
        calls.append(path)
        raise InvalidDocumentError("invalid document: not a readable PDF")

    async with Database(tmp_path / "x.db") as db:
        org, project = await _project(db)
        ids, _ = await _add(db, files, org, project, [("a", "medium")])
        pool = WorkerPool(db, files, _settings(tmp_path), processor=processor)
        await pool.start()
        await pool.drain(timeout=20)
        await pool.stop()
        record = await History(db).get(project, ids[0])
        assert record is not None and (record.status, record.error) == ("failed", "invalid document: not a readable PDF")
        assert len(calls) == 1


async def test_batch_counters_follow_records(tmp_path: Path) -> None:
    files = FileStore(tmp_path / "files")
    async with Database(tmp_path / "x.db") as db:
        org, project = await _project(db)
        _, batch_id = await _add(db, files, org, project, [("a", "medium"), ("b", "medium"), ("c", "medium")], batch=True)
        assert batch_id is not None
        jobs = Workers(db)
        worker = await jobs.register()
        outcomes = iter(["completed", "failed", "completed"])
        while (c := await jobs.claim(worker)) is not None:
            batch = await Batches(db).get(project, batch_id)
            assert batch is not None and batch.status == "processing"
            if next(outcomes) == "completed":
                await jobs.complete(worker, c[0].id, "{}", "", 1)
            else:
                await jobs.fail(worker, c[0].id, "bad")
        batch = await Batches(db).get(project, batch_id)
        assert batch is not None
        assert (batch.total_files, batch.completed_files, batch.failed_files, batch.status, batch.progress) == (3, 2, 1, "partial", 100)


async def test_orphans_are_requeued_then_failed_after_three_crashes(tmp_path: Path) -> None:
    files = FileStore(tmp_path / "files")
    async with Database(tmp_path / "x.db") as db:
        org, project = await _project(db)
        ids, _ = await _add(db, files, org, project, [("a", "medium")])
        jobs = Workers(db)
        for crash in range(1, 4):
            worker = await jobs.register()
            claimed = await jobs.claim(worker)
            assert claimed is not None and claimed[1] == crash
            await jobs.unregister(worker)  # the process died: no live worker holds the job
            await jobs.requeue_orphans(stale_seconds=30, max_attempts=3)
            record = await History(db).get(project, ids[0])
            assert record is not None
            assert record.status == ("queued" if crash < 3 else "failed")
        assert record.error is not None and "interrupted 3 times" in record.error
        # A live worker's job is left alone.
        ids2, _ = await _add(db, files, org, project, [("b", "medium")])
        worker = await jobs.register()
        await jobs.claim(worker)
        assert await jobs.requeue_orphans(stale_seconds=30, max_attempts=3) == 0
