"""`ocrdesk serve` as a real process over HTTP: first-start key, upload -> poll -> result, and a
kill -9 in the middle of processing after which every job completes exactly once."""

from __future__ import annotations

import re
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from server_support import API, Server

pytest.importorskip("ocrdesk._core", reason="the compiled core is not built")


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"


def wait_all(client: httpx.Client, ids: list[str], timeout: float = 90) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        records = [client.get(f"{API}/processing-history/{i}").json() for i in ids]
        if all(r["status"] in ("completed", "failed") for r in records) or time.monotonic() > deadline:
            return records
        time.sleep(0.2)


def test_serve_upload_poll_result(data_dir: Path, page_png_bytes: bytes, sample_pages: list[list[str]]) -> None:
    server = Server(data_dir)
    try:
        key = server.key()
        with httpx.Client(base_url=server.base, headers={"X-API-Key": key}, timeout=30) as client:
            projects = client.get(f"{API}/projects").json()
            assert [p["name"] for p in projects] == ["default"]
            project_id = projects[0]["id"]
            client.params = {"projectId": project_id}
            response = client.post(f"{API}/upload", files={"file": ("page.png", page_png_bytes, "image/png")}, data={"projectId": project_id})
            assert response.status_code == 201, response.text
            record_id = response.json()["processingHistoryId"]
            [record] = wait_all(client, [record_id])
            assert record["status"] == "completed", record
            result = client.get(f"{API}/processing-history/{record_id}/result", params={"projectId": project_id, "format": "text"})
            assert result.status_code == 200
            assert sample_pages[0][0].split()[0] in result.text
            original = client.get(response.json()["fileUrl"])
            assert original.content == page_png_bytes
    finally:
        server.stop()
    # The key is printed only on the first start.
    again = Server(data_dir, workers=0)
    try:
        assert not re.search(r"(?<![A-Za-z0-9_-])ocr_[A-Za-z0-9_-]{40}(?![A-Za-z0-9_-])", again.output())
    finally:
        again.stop()


def test_kill_9_then_every_job_completes_once(data_dir: Path, page_png_bytes: bytes) -> None:
    server = Server(data_dir, workers=1)
    key = server.key()
    n = 6
    with httpx.Client(base_url=server.base, headers={"X-API-Key": key}, timeout=30) as client:
        project_id = client.get(f"{API}/projects").json()[0]["id"]
        ids = []
        for i in range(n):
            response = client.post(f"{API}/upload", files={"file": (f"p{i}.png", page_png_bytes, "image/png")}, data={"projectId": project_id})
            assert response.status_code == 201, response.text
            ids.append(response.json()["processingHistoryId"])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            stats = client.get(f"{API}/processing-history/stats", params={"projectId": project_id}).json()
            if stats["completed"] >= 1:
                break
            time.sleep(0.05)
    server.stop(signal.SIGKILL)

    db = sqlite3.connect(data_dir / "ocrdesk.db")
    states = dict(db.execute("SELECT status, count(*) FROM processing_history GROUP BY status").fetchall())
    db.close()
    assert states.get("completed", 0) < n, "everything finished before the kill; the test proves nothing"

    restarted = Server(data_dir, workers=1)
    try:
        with httpx.Client(base_url=restarted.base, headers={"X-API-Key": key}, timeout=30) as client:
            client.params = {"projectId": project_id}
            records = wait_all(client, ids)
            assert [r["status"] for r in records] == ["completed"] * n, records
            stats = client.get(f"{API}/processing-history/stats").json()
            assert stats == {"total": n, "pending": 0, "processing": 0, "completed": n, "failed": 0}
    finally:
        restarted.stop()
    db = sqlite3.connect(data_dir / "ocrdesk.db")
    attempts = [a for (a,) in db.execute("SELECT attempts FROM processing_history")]
    db.close()
    assert len(attempts) == n and all(1 <= a <= 2 for a in attempts), attempts
