"""`ocrdesk serve` as a process: SSE read by a streaming HTTP client, webhooks surviving a kill -9,
and Idempotency-Key races."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from event_support import Receiver, check_signature, first_receipts, open_stream, sse_events
from server_support import API, Server, ocrdesk_cli, tiny_pdf

pytest.importorskip("ocrdesk._core", reason="the compiled core is not built")

FAST = {
    "OCRDESK_WEBHOOK_BACKOFF_BASE": "0.1",
    "OCRDESK_WEBHOOK_BACKOFF_MAX": "0.5",
    "OCRDESK_WEBHOOK_TIMEOUT": "2",
    "OCRDESK_WEBHOOK_MAX_ATTEMPTS": "100",
    "OCRDESK_EVENTS_POLL_INTERVAL": "0.05",
    "OCRDESK_SSE_HEARTBEAT_SECONDS": "0.5",
    "OCRDESK_POLL_INTERVAL": "0.1",
}


@pytest.fixture
def fast_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FAST.items():
        monkeypatch.setenv(name, value)


def _upload(client: httpx.Client, project_id: str, text: str, **kw: Any) -> httpx.Response:
    return client.post(f"{API}/upload", files={"file": (f"{text}.pdf", tiny_pdf(text), "application/pdf")},
                       data={"projectId": project_id}, **kw)


def test_sse_stream_scope_heartbeat_and_resume(tmp_path: Path, fast_env: None) -> None:
    data = tmp_path / "data"
    server = Server(data, 1)
    try:
        org_key = server.key()
        with httpx.Client(base_url=server.base, headers={"X-API-Key": org_key}, timeout=30) as client:
            project_id = client.get(f"{API}/projects").json()[0]["id"]
            other = ocrdesk_cli("admin", "create-project", "second", "--data-dir", str(data))
            other_id = __import__("json").loads(other.stdout)["id"]
            project_key = ocrdesk_cli("admin", "create-key", "--data-dir", str(data), "--project", project_id).stdout.strip()
            other_key = ocrdesk_cli("admin", "create-key", "--data-dir", str(data), "--project", other_id).stdout.strip()

            with open_stream(client, f"{API}/events") as org_stream, \
                    open_stream(client, f"{API}/events", headers={"X-API-Key": other_key}) as other_stream, \
                    open_stream(client, f"{API}/events", params={"projectId": project_id}) as narrowed:
                assert org_stream.status_code == 200 and org_stream.headers["content-type"].startswith("text/event-stream")
                response = _upload(client, project_id, "Hello events")
                assert response.status_code == 201
                record_id = response.json()["processingHistoryId"]
                comments: list[str] = []
                got = sse_events(org_stream.iter_lines(), 2, timeout=30, comments=comments)
                assert [e["event"] for e in got] == ["document.uploaded", "document.processed"]
                assert all(e["data"]["payload"]["id"] == record_id and e["id"] == e["data"]["eventId"] for e in got)
                assert got[1]["data"]["payload"]["status"] == "completed"
                assert [e["event"] for e in sse_events(narrowed.iter_lines(), 2, timeout=30)] == ["document.uploaded", "document.processed"]
                # The other project's stream gets only its own events, and heartbeats meanwhile.
                assert _upload(client, other_id, "Other project").status_code == 201
                other_comments: list[str] = []
                other_lines = other_stream.iter_lines()  # one iterator per stream: it buffers
                [own] = sse_events(other_lines, 1, timeout=30, comments=other_comments)
                assert own["event"] == "document.uploaded" and own["data"]["projectId"] == other_id
                more = sse_events(other_lines, 1, timeout=30, comments=other_comments)
                assert more[0]["event"] == "document.processed" and more[0]["data"]["projectId"] == other_id
                # Idle now: heartbeat comments keep the stream alive.
                started = time.monotonic()
                assert next(line for line in other_lines if line.startswith(":")) == ": ping"
                assert time.monotonic() - started < 5

            # Resume: everything after the given event, then live ones.
            with open_stream(client, f"{API}/events", headers={"X-API-Key": project_key, "Last-Event-ID": got[0]["id"]}) as resumed:
                resumed_lines = resumed.iter_lines()
                [again] = sse_events(resumed_lines, 1, timeout=30)
                assert again["id"] == got[1]["id"]
                assert _upload(client, project_id, "After resume").status_code == 201
                [live] = sse_events(resumed_lines, 1, timeout=30)
                assert live["event"] == "document.uploaded"

            # Scope errors are ordinary error bodies.
            assert client.get(f"{API}/events", headers={"X-API-Key": project_key}, params={"projectId": other_id}).status_code == 401
            assert client.get(f"{API}/events", headers={"X-API-Key": "ocr_" + "x" * 40}).status_code == 401
    finally:
        server.stop()


def test_webhooks_lose_nothing_across_kill_9(tmp_path: Path, fast_env: None) -> None:
    up = threading.Event()
    receiver = Receiver(lambda n, body: 200 if up.is_set() else 500)
    data = tmp_path / "data"
    server = Server(data, 1)
    n = 4
    try:
        key = server.key()
        with httpx.Client(base_url=server.base, headers={"X-API-Key": key}, timeout=30) as client:
            project_id = client.get(f"{API}/projects").json()[0]["id"]
            hook = client.post(f"{API}/webhooks", json={"url": receiver.url, "events": ["document.uploaded", "document.processed"],
                                                         "secret": "kill-nine-secret"})
            assert hook.status_code == 201, hook.text
            ids = [_upload(client, project_id, f"Doc {i}").json()["processingHistoryId"] for i in range(n)]
            deadline = time.monotonic() + 30
            while client.get(f"{API}/processing-history/stats", params={"projectId": project_id}).json()["completed"] < n:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            while len(receiver.hits) < 3:  # the receiver is failing: deliveries are being retried
                assert time.monotonic() < deadline
                time.sleep(0.05)
        server.stop(signal.SIGKILL)
        db = sqlite3.connect(data / "ocrdesk.db")
        pending = db.execute("SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'").fetchone()[0]
        db.close()
        assert pending == 2 * n, pending

        up.set()
        restarted = Server(data, 1)
        try:
            hits = receiver.wait_for(lambda hits: len({h.json["eventId"] for h in hits}) >= 2 * n, timeout=30)
        finally:
            restarted.stop()
        for hit in receiver.hits:
            check_signature(hit, "kill-nine-secret")
        envelopes = first_receipts(hits)
        per_doc = {i: [e["eventType"] for e in envelopes if e["payload"]["id"] == i] for i in ids}
        assert all(v == ["document.uploaded", "document.processed"] for v in per_doc.values()), per_doc
        db = sqlite3.connect(data / "ocrdesk.db")
        states = dict(db.execute("SELECT status, count(*) FROM webhook_deliveries GROUP BY status").fetchall())
        db.close()
        assert states == {"delivered": 2 * n}, states
    finally:
        receiver.close()


def test_idempotency_key_races_create_one_record(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = Server(data, 0)
    try:
        key = server.key()
        with httpx.Client(base_url=server.base, headers={"X-API-Key": key}, timeout=30) as client:
            project_id = client.get(f"{API}/projects").json()[0]["id"]
        pdf = tiny_pdf("Idempotent")
        results: list[httpx.Response] = []
        lock = threading.Lock()
        start = threading.Barrier(8)

        def send(path: str, idem: str, files: Any) -> None:
            with httpx.Client(base_url=server.base, headers={"X-API-Key": key, "Idempotency-Key": idem}, timeout=30) as c:
                start.wait()
                r = c.post(f"{API}{path}", files=files, data={"projectId": project_id})
            with lock:
                results.append(r)

        for path, files in [("/upload", {"file": ("same.pdf", pdf, "application/pdf")}),
                            ("/batch/upload", [("files", ("a.pdf", pdf, "application/pdf")), ("files", ("b.pdf", pdf, "application/pdf"))])]:
            results.clear()
            threads = [threading.Thread(target=send, args=(path, f"race-{path}", files)) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert [r.status_code for r in results] == [201] * 8, [r.text for r in results]
            assert len({r.content for r in results}) == 1  # every answer is the first one
            with httpx.Client(base_url=server.base, headers={"X-API-Key": key, "Idempotency-Key": f"race-{path}"}, timeout=30) as c:
                different = c.post(f"{API}{path}", files={"file" if path == "/upload" else "files": ("other.pdf", tiny_pdf("Other"), "application/pdf")},
                                   data={"projectId": project_id})
                assert different.status_code == 409, different.text
        db = sqlite3.connect(data / "ocrdesk.db")
        assert db.execute("SELECT count(*) FROM processing_history").fetchone()[0] == 3
        assert db.execute("SELECT count(*) FROM batches").fetchone()[0] == 1
        assert db.execute("SELECT event_type, count(*) FROM events GROUP BY 1 ORDER BY 1").fetchall() == [
            ("batch.uploaded", 1), ("document.uploaded", 3)]
        db.close()
    finally:
        server.stop()
