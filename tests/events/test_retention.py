"""File retention with a tiny retention period: files go, records stay readable, shared files stay."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path
from typing import Any

from server_support import API, assert_error, build_world, h, make_settings, running_app, tiny_pdf, upload


def test_retention_deletes_expired_files_but_keeps_results(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, workers=1, retention_interval_seconds=0.1, retention_grace_seconds=0.0, poll_interval=0.1)
    settings.ensure_dirs()
    w = asyncio.run(build_world(settings.db_path))
    shared, own = tiny_pdf("Shared content"), tiny_pdf("Own content")
    with running_app(settings) as c:
        p1 = [upload(c, w.project_key, shared, name="shared.pdf").json(), upload(c, w.project_key, own, name="own.pdf").json()]
        batch = c.post(f"{API}/batch/upload", files=[("files", ("b.pdf", own, "application/pdf"))], headers=h(w.project_key)).json()
        p2 = upload(c, w.project2_key, shared, name="shared-too.pdf").json()  # same file, project without retention
        ids = [u["processingHistoryId"] for u in p1] + [p2["processingHistoryId"]]
        deadline = time.monotonic() + 30
        while c.get(f"{API}/batch/{batch['id']}", headers=h(w.project_key)).json()["status"] != "completed" or any(
            c.get(f"{API}/processing-history/{i}", params={"projectId": pid}, headers=h(w.org_key)).json()["status"] != "completed"
            for i, pid in zip(ids, [w.project_id, w.project_id, w.project2_id])
        ):
            assert time.monotonic() < deadline
            time.sleep(0.1)

        for bad in [{"fileRetentionDays": 0}, {"fileRetentionDays": -1}, {"fileRetentionDays": "7"}, {"fileRetentionDays": True}]:
            assert_error(c.patch(f"{API}/projects/{w.project_id}", json={"settings": bad}, headers=h(w.project_key)), 400)
        assert_error(c.patch(f"{API}/projects/{w.project2_id}", json={"settings": {"fileRetentionDays": 1}}, headers=h(w.project_key)), 401)
        patched = c.patch(f"{API}/projects/{w.project_id}", json={"settings": {"fileRetentionDays": 0.00001}}, headers=h(w.project_key))
        assert patched.status_code == 200, patched.text
        assert patched.json()["settings"] == {"fileRetentionDays": 0.00001}

        deadline = time.monotonic() + 20
        while True:  # until all three of the project's records (the batch's too) have expired
            records = [c.get(f"{API}/processing-history/{u['processingHistoryId']}", headers=h(w.project_key)).json() for u in p1]
            left = c.get(f"{API}/processing-history/stats", headers=h(w.project_key)).json()["completed"]
            if all(r["status"] == "retention_expired" for r in records) and left == 0:
                break
            assert time.monotonic() < deadline, (records, left)
            time.sleep(0.1)
        # Results stay readable; the own file is gone, the shared one is still needed by project 2.
        assert all(r["processingResult"]["text"] for r in records)
        assert_error(c.get(p1[1]["fileUrl"], headers=h(w.project_key)), 404)
        assert not (settings.data_dir / records[1]["filePath"]).exists()
        # Every export format still works without the file; the PDF page is text only.
        url = f"{API}/processing-history/{records[1]['id']}/result"
        for fmt in ["json", "text", "xml", "html", "csv", "pdf", "docx", "hocr", "alto", "tsv"]:
            r = c.get(url, params={"format": fmt}, headers=h(w.project_key))
            assert r.status_code == 200, (fmt, r.text)
        assert "Own content" in c.get(url, params={"format": "text"}, headers=h(w.project_key)).text
        assert "Own" in c.get(url, params={"format": "tsv"}, headers=h(w.project_key)).text  # word boxes kept
        pdf = tmp_path / "expired.pdf"
        pdf.write_bytes(c.get(url, params={"format": "pdf"}, headers=h(w.project_key)).content)
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "Own content" in text
        images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert len(images.splitlines()) == 2  # header and rule: no page image
        batch_pdf = c.get(f"{API}/batch/{batch['id']}/result", params={"format": "pdf"}, headers=h(w.project_key))
        assert batch_pdf.status_code == 200 and batch_pdf.content.startswith(b"%PDF")
        assert c.get(p2["fileUrl"], headers=h(w.project2_key)).content == shared
        assert (settings.data_dir / records[0]["filePath"]).exists()
        # The batch keeps its outcome; stats count the expired records out of "completed".
        b = c.get(f"{API}/batch/{batch['id']}", headers=h(w.project_key)).json()
        assert b["status"] == "completed" and b["completedFiles"] == 1
        stats = c.get(f"{API}/processing-history/stats", headers=h(w.project_key)).json()
        assert stats["total"] == 3 and stats["completed"] == 0
        # Clearing the setting keeps later files.
        cleared = c.patch(f"{API}/projects/{w.project_id}", json={"settings": {"fileRetentionDays": None}}, headers=h(w.project_key))
        assert cleared.json()["settings"] == {}


def test_a_file_refreshed_by_an_upload_while_it_is_deleted_is_put_back(tmp_path: Path, monkeypatch: Any) -> None:
    """An identical upload refreshes the stored copy beside the retention job's transaction.

    Refreshed between the job's check and its move, the file must stay; otherwise it goes.
    """
    import os
    import types

    from ocrdesk.files import FileStore
    from ocrdesk.queue.retention import RetentionJob
    from ocrdesk.store.db import Database

    files = FileStore(tmp_path / "files")
    kept_sha, gone_sha = files.put_bytes(b"%PDF-1.7 uploaded again"), files.put_bytes(b"%PDF-1.7 nobody wants")
    old = time.time() - 7200
    for sha in (kept_sha, gone_sha):
        os.utime(files.path_for(sha), (old, old))
    real_rename = os.rename

    def upload_in_between(src: Any, dst: Any) -> None:
        if Path(src) == files.path_for(kept_sha) and "expired-" in str(dst):
            os.utime(src)  # what the identical upload does, at the worst moment
        real_rename(src, dst)

    async def run() -> tuple[bool, bool]:
        async with Database(tmp_path / "x.db") as db:
            job = RetentionJob(db, files, types.SimpleNamespace(retention_grace_seconds=3600.0))  # type: ignore[arg-type]
            monkeypatch.setattr(os, "rename", upload_in_between)
            return await job._delete_if_unused(kept_sha), await job._delete_if_unused(gone_sha)

    assert asyncio.run(run()) == (False, True)
    assert files.read_bytes(kept_sha) == b"%PDF-1.7 uploaded again"
    assert not files.exists(gone_sha)
    assert not list(files.tmp_dir.iterdir())
