"""Helpers of the server benches: real server processes, a lean HTTP/1.1 load client, results.

The load client is a few lines of asyncio over raw sockets (keep-alive, Content-Length
bodies only), so that on a 2-core machine the client costs the server as little CPU as
possible; httpx spends several times more per request. Every response's status is
recorded and a bench fails on any unexpected one.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import httpx

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_FILE = REPO_DIR / "bench-results" / "server.txt"
API = "/v1/openapi"
KEY_RE = re.compile(r"ocr_[A-Za-z0-9_-]{40}(?![A-Za-z0-9_-])")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env() -> dict[str, str]:
    out = {**os.environ, "PYTHONPATH": str(REPO_DIR / "python") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out.setdefault("OMP_THREAD_LIMIT", "1")
    return out


class Process:
    """A server subprocess on a free loopback port, ready when ``health`` answers 200."""

    def __init__(self, args: Sequence[str], log: Path, health: str = "/healthz", timeout: float = 60) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self.log = open(log, "w+")
        self.proc = subprocess.Popen([a.replace("{port}", str(self.port)) for a in args], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=env(), cwd=REPO_DIR)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + self.output())
            try:
                if httpx.get(self.base + health, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not start: " + self.output())

    def cpu_seconds(self) -> float:
        """CPU time (user + system, all threads) the server process has used so far."""
        total, todo = 0, [self.proc.pid]
        while todo:  # the process and its children (granian's CLI runs the app in a worker process)
            pid = todo.pop()
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
                for task in Path(f"/proc/{pid}/task").iterdir():
                    todo += [int(c) for c in (task / "children").read_text().split()]
            except (OSError, ValueError):
                continue
        return total / os.sysconf("SC_CLK_TCK")

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def key(self) -> str | None:
        match = KEY_RE.search(self.output())
        return match.group(0) if match else None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def ocrdesk_serve(data_dir: Path, *, workers: int, log: Path) -> Process:
    return Process(
        [sys.executable, "-m", "ocrdesk.cli", "serve", "--data-dir", str(data_dir), "--port", "{port}",
         "--workers", str(workers), "--rate-limit", "0", "--log-level", "warning"],
        log,
    )


# --------------------------------------------------------------------------- load client


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    samples: list[tuple[int, bytes]] = field(default_factory=list)  # a few (status, body) to check

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")

    @property
    def p99(self) -> float:
        return self.pct(0.99)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        lname = name.strip().lower()
        if lname == b"content-length":
            length = int(value.strip())
        elif lname == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        body = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
        return status, bytes(body)
    return status, await reader.readexactly(length) if length else b""


RequestFactory = Callable[[int], bytes]  # request number -> raw HTTP/1.1 request bytes


def get_request(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def post_request(path: str, headers: dict[str, str], body: bytes, content_type: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {content_type}",
             f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _load(port: int, connections: int, duration: float, make: RequestFactory, expect: set[int],
                keep_samples: int) -> Load:
    load = Load()
    counter = iter(range(10**12))
    stop_at = time.perf_counter() + duration

    async def one_connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 24)
        try:
            while time.perf_counter() < stop_at:
                request = make(next(counter))
                start = time.perf_counter()
                writer.write(request)
                await writer.drain()
                status, body = await _read_response(reader)
                elapsed = time.perf_counter() - start
                load.statuses[status] = load.statuses.get(status, 0) + 1
                if status in expect:
                    load.latencies.append(elapsed)
                elif len(load.errors) < 5:
                    load.errors.append(f"{status}: {body[:200]!r}")
                if len(load.samples) < keep_samples:
                    load.samples.append((status, body))
        finally:
            writer.close()

    start = time.perf_counter()
    results = await asyncio.gather(*(one_connection() for _ in range(connections)), return_exceptions=True)
    load.seconds = time.perf_counter() - start
    load.errors += [repr(r) for r in results if isinstance(r, BaseException)]
    return load


def run_load(port: int, *, connections: int, duration: float, make: RequestFactory, expect: set[int] = frozenset({200}),
             keep_samples: int = 3) -> Load:
    return asyncio.run(_load(port, connections, duration, make, set(expect), keep_samples))


# --------------------------------------------------------------------------- results


def write_result(name: str, line: str) -> None:
    """Keep one line per bench in bench-results/server.txt (git-ignored), newest run wins."""
    RESULTS_FILE.parent.mkdir(exist_ok=True)
    lines = RESULTS_FILE.read_text().splitlines() if RESULTS_FILE.exists() else []
    stamp = time.strftime("%Y-%m-%d %H:%M")
    lines = [ln for ln in lines if not ln.startswith(name + ":")] + [f"{name}: {line} [{stamp}, load {loadavg()}]"]
    RESULTS_FILE.write_text("\n".join(sorted(lines)) + "\n")
    print(f"\n{name}: {line}")


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"
