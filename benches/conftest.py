"""Benchmark set-up: import order, shared documents, and the side-by-side summary.

Every bench times ocrdesk and what a user would otherwise use (tesserocr, pypdfium2,
OCRmyPDF, pdftoppm) in the same run, asserts each contender's output is right, and
records its timings here. At the end of the session the summary prints medians, ratios
and the issue's targets, and is written to ``bench-results/summary.txt`` (git-ignored).

Run: ``make bench`` (= ``.venv/bin/python -m pytest benches -q -s``); ``-m "not slow"``
skips the peak-memory bench. ``OCRDESK_BENCH_STRICT=1`` turns a missed target into a
failing exit status (off by default: a busy machine misses targets without a regression).
"""

from __future__ import annotations

import contextlib
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# ocrdesk first: its import sets OMP_THREAD_LIMIT=1 before libtesseract (and the OpenMP
# runtime, which reads the variable once, when it loads) are loaded. tesserocr, imported
# later by a bench, links the same Debian libtesseract and so runs under the same limit.
if "tesserocr" in sys.modules:  # pragma: no cover - guards a future edit of this file
    raise RuntimeError("benches/conftest.py must import ocrdesk before tesserocr")
import ocrdesk  # noqa: E402

if os.environ.get("OMP_THREAD_LIMIT") != "1":
    raise pytest.UsageError(
        f"OMP_THREAD_LIMIT={os.environ.get('OMP_THREAD_LIMIT')!r}: the benches compare "
        "engines at OMP_THREAD_LIMIT=1 (DESIGN.md, Performance rules); unset it and rerun"
    )

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = REPO_DIR / "bench-results"
sys.path.insert(0, str(REPO_DIR / "tests"))

import docgen  # noqa: E402  (needs the sys.path line above)

CORES = os.cpu_count() or 1


# --------------------------------------------------------------------------- documents


@pytest.fixture(scope="session")
def scanned_20() -> tuple[bytes, list[list[str]]]:
    """20 scanned A4 pages (300 dpi, 30 lines of lorem each) and their lines."""
    pages = [docgen.lorem_lines(30, seed=1000 + i) for i in range(20)]
    return docgen.scanned_pdf(pages, dpi=300), pages


@pytest.fixture(scope="session")
def born_digital_20() -> tuple[bytes, list[list[str]]]:
    """20 born-digital A4 pages (text layer, 30 lines each) and their lines."""
    pages = [docgen.lorem_lines(30, seed=3000 + i) for i in range(20)]
    return docgen.text_pdf(pages), pages


@pytest.fixture(scope="session")
def born_digital_200() -> tuple[bytes, list[list[str]]]:
    """200 born-digital A4 pages (text layer, 30 lines each) and their lines."""
    pages = [docgen.lorem_lines(30, seed=2000 + i) for i in range(200)]
    return docgen.text_pdf(pages), pages


# --------------------------------------------------------------------------- recording


def _busy_seconds() -> float:
    """CPU seconds all processes on this machine have used since boot (from /proc/stat)."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()[1:]
    except OSError:
        return float("nan")
    ticks = [int(v) for v in fields]
    # user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait
    busy = sum(ticks[:3]) + sum(ticks[5:8])
    return busy / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    """CPU seconds of this process (all threads) and its waited-for children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


@dataclass
class Entry:
    group: str
    name: str
    times: list[float]
    pages: int
    own_cores: float  # CPU seconds of ours (and children) per wall second
    other_cores: float  # CPU used meanwhile by other processes on the machine
    cpu_per_page: float  # CPU seconds of ours (and children) per page processed
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.median


@dataclass
class Recorder:
    # One A6 page at 200 dpi is 827 x 1165 px = 941 KiB of gray pixels: a pipeline that kept
    # every page's bitmap would grow that much per page. The memory bench allows a quarter.
    growth_limit_kib_per_page = 235

    entries: dict[tuple[str, str], Entry] = field(default_factory=dict)
    facts: dict[str, list[str]] = field(default_factory=dict)  # group -> extra lines
    # memory bench: pages -> {"peak_mib", "import_mib", "seconds"}
    memory: dict[int, dict[str, float]] = field(default_factory=dict)
    load_start: str = ""

    def run(
        self,
        benchmark,
        group: str,
        name: str,
        fn: Callable[[], object],
        *,
        pages: int,
        rounds: int,
        setup: Callable[[], None] | None = None,
        note: str = "",
    ):
        """Time ``fn`` for ``rounds`` rounds (pytest-benchmark pedantic), record it, and
        return its last result for the caller to check."""
        times: list[float] = []
        last: list[object] = []

        # Each round's result is dropped (untimed) before the next round starts. Kept alive,
        # as pytest-benchmark's loop would keep it, it changes what the allocator does with
        # the next round's big buffers: measured twice as fast for 20 pages of 8.7 MB
        # bitmaps. A user calls, uses the result and drops it; so do we.
        def before_round():
            last.clear()
            if setup is not None:
                setup()

        def timed() -> None:
            start = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - start)
            last.append(out)

        benchmark.group = group
        benchmark.name = name
        busy0, own0, wall0 = _busy_seconds(), _own_seconds(), time.perf_counter()
        benchmark.pedantic(
            timed,
            setup=before_round,
            rounds=rounds,
            iterations=1,
            warmup_rounds=0,
        )
        wall = time.perf_counter() - wall0
        busy, own = _busy_seconds() - busy0, _own_seconds() - own0
        # Wall time includes the untimed setup calls; close enough for a load indicator.
        self.entries[(group, name)] = Entry(
            group,
            name,
            times,
            pages,
            own_cores=own / wall,
            other_cores=max(0.0, (busy - own) / wall),
            cpu_per_page=own / (len(times) * pages),
            note=note,
        )
        return last[0]

    @contextlib.contextmanager
    def load(self):
        """Measure the enclosed block's CPU use: yields a dict that gets "own_cores" (this
        process and its waited-for children) and "other_cores" (everyone else)."""
        box: dict[str, float] = {}
        busy0, own0, wall0 = _busy_seconds(), _own_seconds(), time.perf_counter()
        yield box
        wall = time.perf_counter() - wall0
        busy, own = _busy_seconds() - busy0, _own_seconds() - own0
        box["own_cores"] = own / wall
        box["other_cores"] = max(0.0, (busy - own) / wall)

    def fact(self, group: str, line: str) -> None:
        self.facts.setdefault(group, []).append(line)

    def get(self, group: str, name: str) -> Entry | None:
        return self.entries.get((group, name))


RECORDER = Recorder()


@pytest.fixture(scope="session")
def record() -> Recorder:
    return RECORDER


def pytest_sessionstart(session):
    RECORDER.load_start = _loadavg()


# --------------------------------------------------------------------------- summary

# Groups (in print order) and the contender every ratio is taken against.
GROUPS = {
    "ocr-scanned": ("Forced OCR: 20 scanned A4 pages, 300 dpi, 30 lines each", "ocrdesk"),
    "rasterize": ("Rasterise at 300 dpi, gray: 20 born-digital A4 pages", "ocrdesk"),
    "auto-text": ("auto mode: 200 born-digital A4 pages (text layer, no OCR)", "ocrdesk"),
    "memory": ("Peak memory: OCR of scanned A6 pages, 200 dpi, in a fresh process", None),
}


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _tool_version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "not found"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else "?"


def _versions() -> str:
    parts = [f"ocrdesk {ocrdesk.__version__}"]
    try:
        import pypdfium2

        parts.append(f"pypdfium2 {pypdfium2.PYPDFIUM_INFO} (pdfium {pypdfium2.PDFIUM_INFO})")
    except Exception:  # noqa: BLE001 - only a label
        pass
    if "tesserocr" in sys.modules:
        tess = sys.modules["tesserocr"]
        parts.append(f"tesserocr {getattr(tess, '__version__', '?')} on "
                     + tess.tesseract_version().splitlines()[0])
    parts.append(f"ocrmypdf {_tool_version(['ocrmypdf', '--version'])}")
    parts.append(_tool_version(["pdftoppm", "-v"]))
    return ", ".join(parts)


def _fmt(x: float, digits: int = 2) -> str:
    return "-" if x != x else f"{x:.{digits}f}"  # NaN -> "-"


# Above this many cores used by other processes during a contender's rounds, its wall
# times (and any ratio built on them) are marked as disturbed.
BUSY_CORES = 0.15


def _targets() -> list[tuple[str, str, str]]:
    """(target, measured, verdict) for the issue's targets.

    verdict: "met" / "MISSED", with "(disturbed)" when another process used CPU during a
    contender's rounds, or "-" when not run.
    """
    out: list[tuple[str, str, str]] = []
    g = RECORDER.get

    def verdict(ok: bool, *entries: Entry | None) -> str:
        word = "met" if ok else "MISSED"
        if any(e is not None and e.other_cores > BUSY_CORES for e in entries):
            word += " (disturbed)"
        return word

    ours = g("ocr-scanned", "ocrdesk")
    for other, want in (("tesserocr", 1.8), ("ocrmypdf", 3.0)):
        theirs = g("ocr-scanned", other)
        label = f"forced OCR >= {want}x {other} pages/s"
        if ours and theirs:
            ratio = theirs.median / ours.median
            out.append((label, f"{ratio:.2f}x", verdict(ratio >= want, ours, theirs)))
        else:
            out.append((label, "not run", "-"))

    ours = g("rasterize", "ocrdesk")
    pdfium_ = g("rasterize", "pypdfium2")
    pdftoppm = g("rasterize", "pdftoppm")
    label = "rasterise within 10% of pypdfium2"
    if ours and pdfium_:
        slower = ours.median / pdfium_.median - 1
        out.append((label, f"{slower:+.1%} time", verdict(slower <= 0.10, ours, pdfium_)))
    else:
        out.append((label, "not run", "-"))
    label = "rasterise >= 5x pdftoppm"
    if ours and pdftoppm:
        ratio = pdftoppm.median / ours.median
        out.append((label, f"{ratio:.2f}x", verdict(ratio >= 5.0, ours, pdftoppm)))
    else:
        out.append((label, "not run", "-"))

    auto = g("auto-text", "ocrdesk")
    label = "auto mode >= 100 pages/s"
    if auto:
        out.append((label, f"{auto.pages_per_s:.0f} pages/s",
                    verdict(auto.pages_per_s >= 100, auto)))
    else:
        out.append((label, "not run", "-"))

    # Memory does not depend on other load: no "disturbed" mark.
    mem = RECORDER.memory.get(500)
    small = RECORDER.memory.get(100)
    label = "peak RSS, 500 pages < 1 GiB"
    if mem:
        out.append((label, f"{mem['peak_mib']:.0f} MiB", verdict(mem["peak_mib"] < 1024)))
    else:
        out.append((label, "not run", "-"))
    label = f"no growth (< {RECORDER.growth_limit_kib_per_page} KiB/page, 100 -> 500 pages)"
    if mem and small:
        growth = mem["peak_mib"] - small["peak_mib"]
        per_page = growth * 1024 / 400
        out.append((label, f"{growth:+.0f} MiB = {per_page:+.0f} KiB/page",
                    verdict(per_page < RECORDER.growth_limit_kib_per_page)))
    else:
        out.append((label, "not run", "-"))
    return out


def summary_text() -> str:
    lines = [
        "ocrdesk benchmarks - " + time.strftime("%Y-%m-%d %H:%M:%S"),
        f"machine: {CORES} cores, {platform.machine()}, Python {platform.python_version()}; "
        f"load average at start {RECORDER.load_start}, at end {_loadavg()}",
        f"OMP_THREAD_LIMIT={os.environ.get('OMP_THREAD_LIMIT')}, ocrdesk pool threads "
        f"{ocrdesk._core.threads()}",
        _versions(),
        "Columns: median and min of the rounds; speed-up = contender's median / ocrdesk's "
        "median (how many times faster ocrdesk is); cpu ms/pg = CPU milliseconds per page of the "
        "contender with its subprocesses, and cpu x = that over ocrdesk's (both hardly move "
        "with other load: on an idle machine the speed-up is about cpu x times the ratio "
        "of cores each contender keeps busy); cores = its CPU "
        "seconds per wall second; other = cores used by other processes on the machine "
        f"meanwhile (above {BUSY_CORES} the wall times, and most of all parallel-vs-sequential "
        "ratios, are disturbed).",
    ]
    for group, (title, anchor) in GROUPS.items():
        entries = [e for (g, _), e in RECORDER.entries.items() if g == group]
        if not entries and group not in RECORDER.facts:
            continue
        lines += ["", f"## {title}"]
        if entries:
            base = RECORDER.get(group, anchor) if anchor else None
            lines.append(f"{'contender':<58} {'median s':>9} {'min s':>8} {'pages/s':>8} "
                         f"{'speed-up':>8} {'rounds':>6} {'cpu ms/pg':>9} {'cpu x':>6} "
                         f"{'cores':>5} {'other':>5}")
            for e in entries:
                ratio = f"{e.median / base.median:.2f}x" if base else "-"
                cpu_x = f"{e.cpu_per_page / base.cpu_per_page:.2f}x" if base else "-"
                label = e.name + (f" ({e.note})" if e.note else "")
                lines.append(f"{label:<58} {e.median:>9.3f} {min(e.times):>8.3f} "
                             f"{e.pages_per_s:>8.1f} {ratio:>8} {len(e.times):>6} "
                             f"{e.cpu_per_page * 1000:>9.1f} {cpu_x:>6} {_fmt(e.own_cores):>5} "
                             f"{_fmt(e.other_cores):>5}")
        for fact in RECORDER.facts.get(group, []):
            lines.append("  " + fact)
    busy = [e for e in RECORDER.entries.values() if e.other_cores > BUSY_CORES]
    if busy:
        lines += ["", "WARNING: other processes used CPU during " + ", ".join(
            f"{e.group}/{e.name} ({e.other_cores:.2f} cores)" for e in busy
        ) + ": rerun on an idle machine before trusting those ratios."]
    lines += ["", "## Targets (issue 2)"]
    for label, measured, verdict in _targets():
        lines.append(f"  {label:<58} {measured:>26}  {verdict}")
    return "\n".join(lines) + "\n"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not RECORDER.entries and not RECORDER.memory:
        return
    text = summary_text()
    terminalreporter.write_sep("=", "ocrdesk benchmark summary")
    terminalreporter.write(text)
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "summary.txt").write_text(text)
    terminalreporter.write_line(f"(written to {RESULTS_DIR / 'summary.txt'})")


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("OCRDESK_BENCH_STRICT") == "1" and exitstatus == 0:
        if any(verdict.startswith("MISSED") for _, _, verdict in _targets()):
            session.exitstatus = 1
