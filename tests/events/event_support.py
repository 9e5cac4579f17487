"""Helpers of the event tests: a real webhook receiver on loopback and an SSE reader."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator

import httpx

ENVELOPE_KEYS = {"eventType", "eventId", "timestamp", "organizationId", "projectId", "payload"}


@dataclasses.dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


class Receiver:
    """``http.server`` in a thread. ``answer(hit_number, body) -> status`` decides each reply."""

    def __init__(self, answer: Callable[[int, bytes], int] | None = None) -> None:
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        self.answer = answer or (lambda n, body: 200)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    status = receiver.answer(len(receiver.hits), body)
                    receiver.hits.append(Hit(self.path, {k.lower(): v for k, v in self.headers.items()}, body, status))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def accepted(self) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if 200 <= h.status < 300]

    def wait_for(self, predicate: Callable[[list[Hit]], bool], timeout: float = 30) -> list[Hit]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            hits = self.accepted()
            if predicate(hits):
                return hits
            time.sleep(0.05)
        raise AssertionError(f"receiver timed out; got {[(h.json['eventType'], h.status) for h in self.hits]}")


def check_signature(hit: Hit, secret: str) -> None:
    expected = "sha256=" + hmac.new(secret.encode(), hit.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(hit.headers["x-webhook-signature"], expected), hit.headers


def first_receipts(hits: list[Hit]) -> list[dict[str, Any]]:
    """Envelopes in the order first accepted (deliveries are at least once: drop repeats)."""
    seen: set[str] = set()
    out = []
    for hit in hits:
        env = hit.json
        if env["eventId"] not in seen:
            seen.add(env["eventId"])
            out.append(env)
    return out


def sse_events(lines: Iterator[str], count: int, timeout: float, comments: list[str] | None = None) -> list[dict[str, Any]]:
    """Read ``count`` events (id, event, data) from SSE ``lines``."""
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    deadline = time.monotonic() + timeout
    for line in lines:
        if line.startswith(":"):
            if comments is not None:
                comments.append(line)
        elif line == "":
            if "data" in current:
                events.append(current)
                if len(events) >= count:
                    return events
            current = {}
        else:
            field, _, value = line.partition(":")
            current[field] = value[1:] if value.startswith(" ") else value
            if field == "data":
                current["data"] = json.loads(current["data"])
        if time.monotonic() > deadline:
            break
    raise AssertionError(f"got only {len(events)} of {count} events: {events}")


def open_stream(client: httpx.Client, url: str, **kw: Any) -> Any:
    return client.stream("GET", url, timeout=httpx.Timeout(30, read=20), **kw)
