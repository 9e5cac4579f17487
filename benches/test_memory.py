"""Peak memory of OCRing a 500-page scanned PDF, against the same pages cut to 100.

Each run is a fresh ``python -c`` process that OCRs every page (mode="ocr") and reports
its peak RSS as VmHWM from /proc/self/status. Not ru_maxrss: Linux carries it over from
the parent through fork + exec, so a child of pytest starts at pytest's size (measured:
134 MiB reported right after ``import ocrdesk``, whose real peak then is 25 MiB).
Small pages (A6 at 200 dpi, a few lines each) keep 500 pages of OCR to about a minute
on two cores.
Targets (issue 2): under 1 GiB, and no growth with page count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import docgen
import pytest

DPI = 200
A6 = (297.638, 419.528)  # points (105 x 148 mm)
MIN_ACCURACY = 0.95


def small_scanned_pdf(pages: list[list[str]], dpi: int) -> bytes:
    """Scanned A6 pages (one grayscale image each, no text layer).

    docgen.scanned_pdf makes A4 pages only; small pages keep 500 pages of OCR to about a
    minute on two cores while every page still goes through rasterise + OCR.
    """
    from fpdf import FPDF

    pdf = FPDF(unit="pt")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    for lines in pages:
        img = docgen.render_page_image(lines, dpi=dpi, size=A6)
        w_pt, h_pt = img.width * 72.0 / dpi, img.height * 72.0 / dpi
        pdf.add_page(format=(w_pt, h_pt))
        pdf.image(img, x=0, y=0, w=w_pt, h=h_pt)
    return bytes(pdf.output())


CHILD = r"""
import json, resource, sys, time
import ocrdesk

def status_kib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])

path, dpi = sys.argv[1], int(sys.argv[2])
import_mib = status_kib("VmHWM") / 1024
start = time.perf_counter()
doc = ocrdesk.ocr(path, mode="ocr", dpi=dpi)
seconds = time.perf_counter() - start
json.dump({
    # taken while doc is alive: the result counts too
    "peak_mib": status_kib("VmHWM") / 1024,
    "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "import_mib": import_mib,
    "seconds": seconds,
    "sources": sorted({p.source for p in doc.pages}),
    "texts": [p.text for p in doc.pages],
}, sys.stdout)
"""


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[int, tuple[str, list[list[str]]]]:
    pages = [docgen.lorem_lines(3, seed=5000 + i) for i in range(500)]
    folder = tmp_path_factory.mktemp("memory")
    out = {}
    for n in (100, 500):
        path = folder / f"scanned-a6-{n}.pdf"
        path.write_bytes(small_scanned_pdf(pages[:n], dpi=DPI))
        out[n] = (str(path), pages[:n])
    return out


def ocr_in_child(path: str) -> dict:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, path, str(DPI)],
        capture_output=True, text=True, timeout=900, env=env,
    )
    assert proc.returncode == 0, f"child failed ({proc.returncode}):\n{proc.stderr[-2000:]}"
    return json.loads(proc.stdout)


@pytest.mark.slow
def test_peak_memory_does_not_grow_with_pages(record, documents):
    for n in (100, 500):
        path, pages = documents[n]
        with record.load() as load:
            result = ocr_in_child(path)
        assert result["sources"] == ["ocr"], result["sources"]
        texts = result["texts"]
        assert len(texts) == n
        acc = docgen.word_accuracy(docgen.expected_text(pages), "\f".join(texts))
        assert acc >= MIN_ACCURACY, f"{n} pages: word accuracy {acc:.3f}"
        size_mib = os.path.getsize(path) / 2**20
        record.memory[n] = {"peak_mib": result["peak_mib"], "import_mib": result["import_mib"],
                            "seconds": result["seconds"]}
        record.fact(
            "memory",
            f"{n:>3} pages ({size_mib:.1f} MiB file): peak RSS {result['peak_mib']:.0f} MiB "
            f"(after import {result['import_mib']:.0f} MiB; ru_maxrss "
            f"{result['maxrss_mib']:.0f} MiB, inherited from pytest); "
            f"OCR {result['seconds']:.1f} s = "
            f"{n / result['seconds']:.1f} pages/s; word accuracy {acc:.3f}; other load "
            f"{load['other_cores']:.2f} cores",
        )

    small, big = record.memory[100], record.memory[500]
    assert big["peak_mib"] < 1024, f"peak RSS {big['peak_mib']:.0f} MiB for 500 pages"
    per_page_kib = (big["peak_mib"] - small["peak_mib"]) * 1024 / 400
    assert per_page_kib < record.growth_limit_kib_per_page, (
        f"peak RSS grows {per_page_kib:.0f} KiB per page from 100 to 500 pages "
        f"({small['peak_mib']:.0f} -> {big['peak_mib']:.0f} MiB)"
    )
