"""GET /processing-history/{id}/result and /batch/{id}/result in every format, through
the real app, the real worker and the real OCR core."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sys
import time
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from server_support import API, World, assert_error, build_world, h, make_settings, running_app, upload  # noqa: E402

import ocrdesk  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def wait_done(client: Any, key: str, record_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        record = client.get(f"{API}/processing-history/{record_id}", headers=h(key)).json()
        if record["status"] in ("completed", "failed"):
            return record
        time.sleep(0.1)
    raise AssertionError("not processed")


def test_record_and_batch_exports(tmp_path: Path, page_png_bytes: bytes, text_pdf_bytes: bytes, sample_pages: list[list[str]]) -> None:
    settings = make_settings(tmp_path, workers=2, poll_interval=0.1)
    settings.ensure_dirs()
    world: World = asyncio.run(build_world(settings.db_path))
    key = world.project_key
    with running_app(settings) as client:
        files = [("files", ("scan ไทย.png", page_png_bytes, "image/png")), ("files", ("a.pdf", text_pdf_bytes, "application/pdf"))]
        batch = client.post(f"{API}/batch/upload", files=files, headers=h(key)).json()
        ids = []
        for upload_id in batch["uploadIds"]:
            page = client.get(f"{API}/processing-history", params={"batchId": batch["id"]}, headers=h(key)).json()
            ids = [r["id"] for r in page["data"]]
        records = [wait_done(client, key, i) for i in ids]
        assert all(r["status"] == "completed" for r in records)
        png = next(r for r in records if r["fileName"].endswith(".png"))
        url = f"{API}/processing-history/{png['id']}/result"

        for fmt, ctype, ext in [
            ("json", "application/json", "json"), ("text", "text/plain; charset=utf-8", "txt"),
            ("xml", "application/xml", "xml"), ("html", "text/html; charset=utf-8", "html"),
            ("csv", "text/csv; charset=utf-8", "csv"), ("pdf", "application/pdf", "pdf"),
            ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
            ("hocr", "text/html; charset=utf-8", "hocr"), ("alto", "application/xml", "xml"),
            ("tsv", "text/tab-separated-values; charset=utf-8", "tsv"),
        ]:
            r = client.get(url, params={"format": fmt}, headers=h(key))
            assert r.status_code == 200, (fmt, r.text)
            assert r.headers["content-type"] == ctype, fmt
            assert r.headers["content-disposition"].startswith(f'attachment; filename="scan .{ext}"'), r.headers["content-disposition"]
            assert "filename*=UTF-8''scan%20%E0%B9%84%E0%B8%97%E0%B8%A2." + ext in r.headers["content-disposition"]
        first_word = sample_pages[0][0].split()[0]
        assert first_word in client.get(url, params={"format": "text"}, headers=h(key)).text
        ET.fromstring(client.get(url, params={"format": "xml"}, headers=h(key)).content)
        ET.fromstring(client.get(url, params={"format": "alto"}, headers=h(key)).content)
        tsv = client.get(url, params={"format": "tsv"}, headers=h(key)).text
        assert any(line.split("\t")[-1] == first_word for line in tsv.splitlines())  # real word boxes kept
        pdf = tmp_path / "r.pdf"
        pdf.write_bytes(client.get(url, params={"format": "pdf"}, headers=h(key)).content)
        import subprocess

        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert first_word in text
        images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True).stdout
        assert len(images.splitlines()) == 3  # header, rule, one page image

        err = assert_error(client.get(url, params={"format": "yaml"}, headers=h(key)), 400)
        assert "json, text, xml, html, csv, pdf, docx, hocr, alto, tsv" in str(err["message"])

        burl = f"{API}/batch/{batch['id']}/result"
        body = json.loads(client.get(burl, headers=h(key)).content)
        assert len(body["records"]) == 2
        rows = list(csv.reader(io.StringIO(client.get(burl, params={"format": "csv"}, headers=h(key)).content.decode("utf-8-sig"))))
        assert rows[0][:4] == ["id", "fileName", "status", "error"] and len(rows) > 3
        root = ET.fromstring(client.get(burl, params={"format": "xml"}, headers=h(key)).content)
        assert len(root.findall("record")) == 2
        d = client.get(burl, params={"format": "docx"}, headers=h(key))
        assert zipfile.ZipFile(io.BytesIO(d.content)).testzip() is None
        assert d.headers["content-disposition"].startswith("attachment; filename=")
        p = client.get(burl, params={"format": "pdf"}, headers=h(key))
        assert p.content.startswith(b"%PDF") and p.headers["content-type"] == "application/pdf"
        assert_error(client.get(burl, params={"format": "hocr"}, headers=h(key)), 400)


def test_not_completed_is_409(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, workers=0)
    settings.ensure_dirs()
    world: World = asyncio.run(build_world(settings.db_path))
    with running_app(settings) as client:
        rec = upload(client, world.project_key).json()
        r = client.get(f"{API}/processing-history/{rec['processingHistoryId']}/result", params={"format": "pdf"}, headers=h(world.project_key))
        assert_error(r, 409)
