"""Server test helpers: a real app on a real SQLite file in ``tmp_path``, and a small world of
organizations, projects and keys (created through the repositories, like ``ocrdesk admin``)."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import httpx

REPO = Path(__file__).resolve().parents[2]
try:
    import ocrdesk.config  # noqa: F401
except ImportError:  # not installed (no `maturin develop` yet): use the source tree
    sys.path.insert(0, str(REPO / "python"))

from litestar.testing import TestClient  # noqa: E402

from ocrdesk.config import Settings  # noqa: E402
from ocrdesk.server.app import create_app  # noqa: E402
from ocrdesk.store.db import Database  # noqa: E402
from ocrdesk.store.ids import to_iso  # noqa: E402
from ocrdesk.store.repositories import ApiKeys, Organizations, Projects  # noqa: E402

API = "/v1/openapi"


@dataclasses.dataclass
class World:
    org_id: str
    project_id: str  # P1, in org A
    project2_id: str  # P2, in org A
    other_org_id: str
    other_project_id: str  # Q1, in org B
    org_key: str  # organization key of A
    project_key: str  # project key of P1
    project2_key: str  # project key of P2
    other_org_key: str  # organization key of B
    expired_key: str  # organization key of A, expired
    revoked_key: str  # organization key of A, revoked
    org_key_id: str = ""


async def build_world(db_path: Path) -> World:
    async with Database(db_path, readers=1) as db:
        orgs, projects, keys = Organizations(db), Projects(db), ApiKeys(db)
        a = await orgs.create("acme")
        b = await orgs.create("globex")
        p1 = await projects.create(a.id, "invoices")
        p2 = await projects.create(a.id, "receipts")
        q1 = await projects.create(b.id, "other")
        org_key, org_key_rec = await keys.create(name="org", organization_id=a.id)
        project_key, _ = await keys.create(name="p1", organization_id=a.id, project_id=p1.id)
        project2_key, _ = await keys.create(name="p2", organization_id=a.id, project_id=p2.id)
        other_org_key, _ = await keys.create(name="b", organization_id=b.id)
        past = to_iso(dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1))
        expired_key, _ = await keys.create(name="expired", organization_id=a.id, expires_at=past)
        revoked_key, revoked = await keys.create(name="revoked", organization_id=a.id)
        await keys.revoke(revoked.id)
    return World(
        org_id=a.id,
        project_id=p1.id,
        project2_id=p2.id,
        other_org_id=b.id,
        other_project_id=q1.id,
        org_key=org_key,
        project_key=project_key,
        project2_key=project2_key,
        other_org_key=other_org_key,
        expired_key=expired_key,
        revoked_key=revoked_key,
        org_key_id=org_key_rec.id,
    )


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"data_dir": tmp_path / "data", "workers": 0, "rate_limit_per_minute": 0}
    values.update(overrides)
    return Settings.load(values, environ={})


@contextlib.contextmanager
def running_app(settings: Settings) -> Iterator[TestClient[Any]]:
    app = create_app(settings)
    with TestClient(app=app, raise_server_exceptions=False, timeout=60) as client:
        yield client



def h(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def assert_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"statusCode", "message", "error"}, body
    assert body["statusCode"] == status
    assert isinstance(body["message"], (str, list))
    return body


# A tiny but well-formed one-page PDF with the text "Hello ocrdesk" (no fonts needed to build it).
def tiny_pdf(text: str = "Hello ocrdesk") -> bytes:
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def upload(client: Any, key: str, data: bytes | None = None, *, name: str = "doc.pdf", headers: dict[str, str] | None = None, **fields: Any) -> Any:
    files = {"file": (name, tiny_pdf() if data is None else data, "application/pdf")}
    form = {k: str(v) for k, v in fields.items() if v is not None}
    return client.post(f"{API}/upload", files=files, data=form, headers={**h(key), **(headers or {})})


# --- a real `ocrdesk serve` process -----------------------------------------------------
def cli_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "python") + os.pathsep + os.environ.get("PYTHONPATH", "")}


def ocrdesk_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ocrdesk.cli ARGS`` and capture its output."""
    return subprocess.run([sys.executable, "-m", "ocrdesk.cli", *args], capture_output=True, text=True, env=cli_env(), timeout=60)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])

class Server:
    def __init__(self, data_dir: Path, workers: int = 1, *extra_args: str) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = cli_env()
        self.log = open(data_dir.parent / f"serve-{self.port}.log", "w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ocrdesk.cli", "serve", "--data-dir", str(data_dir), "--port", str(self.port),
             "--workers", str(workers), "--rate-limit", "0", *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT, env=env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.output()
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("server did not start: " + self.output())

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def key(self) -> str:
        match = re.search(r"(?<![A-Za-z0-9_-])ocr_[A-Za-z0-9_-]{40}(?![A-Za-z0-9_-])", self.output())  # keys may end in "-"
        assert match, self.output()
        return match.group(0)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        self.log.close()

