"""`ocrdesk admin ...` as a user runs it: output, keys that work, one-line errors."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import httpx
import pytest

from server_support import API, Server, ocrdesk_cli

pytest.importorskip("ocrdesk._core", reason="the compiled core is not built")


def test_admin_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    missing = ocrdesk_cli("admin", "create-project", "x", "--data-dir", str(data))
    assert missing.returncode != 0 and missing.stderr.count("\n") == 1 and "Traceback" not in missing.stderr

    server = Server(data, 0)
    try:
        created = ocrdesk_cli("admin", "create-project", "Invoices", "--data-dir", str(data))
        assert created.returncode == 0, created.stderr
        project = json.loads(created.stdout)
        assert project["name"] == "Invoices" and re.match(r"^[0-9a-f]{24}$", project["id"])

        key_run = ocrdesk_cli("admin", "create-key", "--data-dir", str(data), "--project", project["id"], "--name", "ci", "--expires-days", "1")
        assert key_run.returncode == 0, key_run.stderr
        key = key_run.stdout.strip()
        assert re.match(r"^ocr_[A-Za-z0-9_-]{40}$", key)
        with httpx.Client(base_url=server.base, headers={"X-API-Key": key}) as client:
            assert [p["id"] for p in client.get(f"{API}/projects").json()] == [project["id"]]
            info = client.post(f"{API}/auth/login", json={"token": key}).json()["tokenInfo"]
            assert info["type"] == "project" and info["expiresAt"] is not None

        org_key = ocrdesk_cli("admin", "create-key", "--data-dir", str(data), "--org", "default").stdout.strip()
        with httpx.Client(base_url=server.base, headers={"X-API-Key": org_key}) as client:
            assert len(client.get(f"{API}/projects").json()) == 2

        seeded = ocrdesk_cli("admin", "seed", "--data-dir", str(data), "--records", "500", "--project", project["id"])
        assert seeded.returncode == 0, seeded.stderr
        with httpx.Client(base_url=server.base, headers={"X-API-Key": key}) as client:
            assert client.get(f"{API}/processing-history/stats").json()["completed"] == 500
            page = client.get(f"{API}/processing-history", params={"limit": 100, "page": 5}).json()
            assert len(page["data"]) == 100 and page["pagination"]["pages"] == 5

        for args in [
            ("admin", "create-key", "--data-dir", str(data), "--org", "nope"),
            ("admin", "create-key", "--data-dir", str(data), "--project", "123"),
            ("admin", "create-key", "--data-dir", str(data), "--project", "f" * 24),
            ("admin", "create-project", "x", "--data-dir", str(data), "--org", "nope"),
            ("admin", "seed", "--data-dir", str(data), "--records", "5", "--project", "f" * 24),
        ]:
            run = ocrdesk_cli(*args)
            assert run.returncode != 0 and run.stderr.startswith("ocrdesk: error:"), (args, run.stderr)
            assert "Traceback" not in run.stderr
    finally:
        server.stop()
    # Only hashes are stored.
    db = sqlite3.connect(data / "ocrdesk.db")
    stored = " ".join(str(v) for row in db.execute("SELECT * FROM api_keys") for v in row)
    assert key not in stored and org_key not in stored
