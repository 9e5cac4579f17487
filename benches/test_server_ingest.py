"""Ingestion: POST /upload of a ~100 KB PDF over 32 concurrent connections, workers off.

Target (issue 3): >= 60% of the uploads/s of a bare Litestar multipart endpoint on granian that
only reads the body (anchor_upload_app.py), measured in the same run, with no errors. Every
upload is made unique (a trailing PDF comment) so content addressing cannot skip the write.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import uuid
from pathlib import Path

import httpx
import pytest

import docgen
from server_bench import API, Load, Process, ms, ocrdesk_serve, post_request, run_load, write_result

CONNECTIONS = 32
SECONDS = float(os.environ.get("OCRDESK_BENCH_SECONDS", "10"))  # per side
ROUNDS = 4
TARGET = 0.60
STRICT = os.environ.get("OCRDESK_BENCH_STRICT") == "1"
BOUNDARY = "ocrdeskbenchboundary7f3a"


@pytest.fixture(scope="module")
def pdf_100k() -> bytes:
    # A scanned page with mild noise compresses to about 100 KB.
    pdf = docgen.scanned_pdf([docgen.lorem_lines(30, seed=7)], dpi=150, noise=0.02, seed=7)
    assert pdf.startswith(b"%PDF") and 50_000 <= len(pdf) <= 200_000, len(pdf)
    return pdf


def multipart(fields: dict[str, str], file_bytes: bytes, name: str) -> bytes:
    out = bytearray()
    for k, v in fields.items():
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    out += (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/pdf\r\n\r\n").encode()
    out += file_bytes + f"\r\n--{BOUNDARY}--\r\n".encode()
    return bytes(out)


def test_upload_throughput(pdf_100k: bytes, tmp_path: Path) -> None:
    content_type = f"multipart/form-data; boundary={BOUNDARY}"

    def unique(i: int) -> bytes:
        return pdf_100k + f"\n% {uuid.uuid4().hex} {i}\n".encode()

    granian = str(Path(sys.executable).with_name("granian"))
    anchor = Process([granian, "--interface", "asgi", "--host", "127.0.0.1", "--port", "{port}", "--workers", "1",
                      "--no-ws", "--log-level", "warning", "benches.anchor_upload_app:app"], tmp_path / "anchor.log")
    data_dir = tmp_path / "data"
    server = ocrdesk_serve(data_dir, workers=0, log=tmp_path / "serve.log")
    bare_runs: list[Load] = []
    our_runs: list[Load] = []
    cpu = {"bare": 0.0, "ours": 0.0}
    try:
        probe = httpx.post(anchor.base + "/upload", files={"file": ("a.pdf", pdf_100k, "application/pdf")},
                           data={"projectId": "x"})
        assert probe.status_code == 201 and probe.json() == {"fileSize": len(pdf_100k)}
        key = server.key()
        assert key
        headers = {"X-API-Key": key}
        project = httpx.get(server.base + API + "/projects", headers=headers).json()[0]["id"]
        path = API + "/upload"
        # Alternate short rounds of each, so a change in the machine's load hits both alike.
        for _ in range(ROUNDS):
            start = anchor.cpu_seconds()
            bare_runs.append(run_load(anchor.port, connections=CONNECTIONS, duration=SECONDS / ROUNDS, expect={201},
                                      make=lambda i: post_request("/upload", {}, multipart({"projectId": "x"}, unique(i),
                                                                                           "a.pdf"), content_type)))
            cpu["bare"] += anchor.cpu_seconds() - start
            start = server.cpu_seconds()
            our_runs.append(run_load(server.port, connections=CONNECTIONS, duration=SECONDS / ROUNDS, expect={201},
                                     make=lambda i: post_request(path, headers, multipart({"projectId": project}, unique(i),
                                                                                          f"scan-{i}.pdf"), content_type)))
            cpu["ours"] += server.cpu_seconds() - start
    finally:
        anchor.stop()
        server.stop()
    bare, ours = merge(bare_runs), merge(our_runs)
    assert not bare.errors and set(bare.statuses) == {201}, (bare.statuses, bare.errors)
    assert not ours.errors and set(ours.statuses) == {201}, (ours.statuses, ours.errors)
    for _status, body in ours.samples:
        doc = json.loads(body)
        assert doc["status"] == "uploaded" and doc["mimeType"] == "application/pdf"
        assert int(doc["fileSize"]) > len(pdf_100k)
    db = sqlite3.connect(data_dir / "ocrdesk.db")
    stored = db.execute("SELECT count(*), count(DISTINCT sha256) FROM uploads").fetchone()
    queued = db.execute("SELECT count(*) FROM processing_history WHERE status = 'queued'").fetchone()[0]
    db.close()
    assert stored == (ours.ok, ours.ok) and queued == ours.ok, (stored, queued, ours.ok)
    files = [p for p in (data_dir / "files").rglob("*") if p.is_file() and "tmp" not in p.relative_to(data_dir).parts]
    assert len(files) == ours.ok

    ratio = ours.rate / bare.rate
    met = ratio >= TARGET
    line = (f"{ours.rate:.0f} uploads/s vs bare Litestar+granian {bare.rate:.0f}/s = {ratio:.0%} "
            f"(target >= {TARGET:.0%}: {'met' if met else 'MISSED'}); server CPU per upload "
            f"{cpu['ours'] / ours.ok * 1000:.2f} ms vs {cpu['bare'] / bare.ok * 1000:.2f} ms; {CONNECTIONS} connections, "
            f"{ROUNDS} alternating rounds, {SECONDS:.0f} s each side, {len(pdf_100k) / 1000:.0f} KB PDF; p50 {ms(ours.p50)} "
            f"p99 {ms(ours.p99)} (anchor p50 {ms(bare.p50)} p99 {ms(bare.p99)}); errors 0")
    write_result("ingest", line)
    if STRICT:
        assert met, line


def merge(runs: list[Load]) -> Load:
    out = Load()
    for run in runs:
        out.latencies += run.latencies
        out.errors += run.errors
        out.seconds += run.seconds
        out.samples += run.samples
        for status, n in run.statuses.items():
            out.statuses[status] = out.statuses.get(status, 0) + n
    return out
