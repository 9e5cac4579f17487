"""Upload -> queue -> real OCR (Rust core) -> result, inside one app process."""

from __future__ import annotations

import time
from typing import Any

import pytest

from server_support import API, World, build_world, h, make_settings, running_app, upload

pytest.importorskip("ocrdesk._core", reason="the compiled core is not built")


def wait_for(client: Any, key: str, record_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = client.get(f"{API}/processing-history/{record_id}", headers=h(key)).json()
        if record["status"] in ("completed", "failed"):
            return record
        time.sleep(0.1)
    raise AssertionError(f"record {record_id} still {record['status']}")


def test_documents_are_processed(tmp_path: Any, page_png_bytes: bytes, sample_pages: list[list[str]], text_pdf_bytes: bytes, encrypted_pdf_bytes: bytes) -> None:
    import asyncio

    settings = make_settings(tmp_path, workers=2, poll_interval=0.1)
    settings.ensure_dirs()
    world: World = asyncio.run(build_world(settings.db_path))
    with running_app(settings) as client:
        png = upload(client, world.project_key, page_png_bytes, name="page.png").json()
        pdf = upload(client, world.project_key, text_pdf_bytes, name="text.pdf", priority="high").json()
        bad = upload(client, world.project_key, encrypted_pdf_bytes, name="locked.pdf").json()

        record = wait_for(client, world.project_key, png["processingHistoryId"])
        assert record["status"] == "completed", record
        result = record["processingResult"]
        assert set(result) == {"text", "pages"}
        assert result["pages"][0]["source"] == "ocr" and result["pages"][0]["page"] == 1
        assert 50 < result["pages"][0]["confidence"] <= 100
        assert sample_pages[0][0].split()[0] in result["text"]
        assert record["pageCount"] == 1 and record["startedAt"] <= record["completedAt"]

        record = wait_for(client, world.project_key, pdf["processingHistoryId"])
        assert record["status"] == "completed" and record["pageCount"] == 2
        assert [p["source"] for p in record["processingResult"]["pages"]] == ["text-layer", "text-layer"]
        text = client.get(f"{API}/processing-history/{pdf['processingHistoryId']}/result", params={"format": "text"}, headers=h(world.project_key)).text
        assert text.count("\f") == 1 and sample_pages[1][0] in text

        record = wait_for(client, world.project_key, bad["processingHistoryId"])
        assert record["status"] == "failed" and record["error"] and "Traceback" not in record["error"]
        assert record["processingResult"] is None

        stats = client.get(f"{API}/processing-history/stats", headers=h(world.project_key)).json()
        assert stats == {"total": 3, "pending": 0, "processing": 0, "completed": 2, "failed": 1}


def test_batch_completes(tmp_path: Any, page_png_bytes: bytes, text_pdf_bytes: bytes) -> None:
    import asyncio

    settings = make_settings(tmp_path, workers=2, poll_interval=0.1)
    settings.ensure_dirs()
    world: World = asyncio.run(build_world(settings.db_path))
    with running_app(settings) as client:
        files = [("files", ("a.pdf", text_pdf_bytes, "application/pdf")), ("files", ("b.png", page_png_bytes, "image/png"))]
        batch = client.post(f"{API}/batch/upload", files=files, headers=h(world.project_key)).json()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            current = client.get(f"{API}/batch/{batch['id']}", headers=h(world.project_key)).json()
            if current["status"] != "processing":
                break
            time.sleep(0.1)
        assert (current["status"], current["completedFiles"], current["progress"]) == ("completed", 2, 100)
        text = client.get(f"{API}/batch/{batch['id']}/result", params={"format": "text"}, headers=h(world.project_key)).text
        assert "==> a.pdf (completed) <==" in text
