"""Extraction accuracy on the synthetic invoice/receipt corpus (tests/extract/invoicegen.py).

160 documents (English, German, French, Thai; invoices and receipts; four invoice layouts;
a dozen Latin and Thai fonts; many label wordings, date and number formats), half of them
born-digital PDFs and half degraded scans (150-300 dpi, noise, blur, up to 1.2 degrees of
rotation, some JPEG). Each runs through ``ocrdesk.ocr`` and the offline extractor with one
generic template per document kind, and every field is compared with the truth.

Prints a per-field table for born-digital and scans, and writes it to
``bench-results/extract.txt``. Targets (issue 5): >= 95% born-digital, >= 85% scans, for
invoice number, date, total, currency and vendor. ``OCRDESK_BENCH_STRICT=1`` fails the
bench on a missed target; otherwise it fails only far below them (a regression).

Run alone: ``.venv/bin/python -m pytest benches/test_extract_accuracy.py -q -s``;
``OCRDESK_EXTRACT_DOCS=40`` for a quicker, smaller corpus; ``OCRDESK_EXTRACT_SEED=1`` for a
held-out corpus (seeds 100000+, documents no rule was tuned on; the default 0 is the usual
corpus).
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import ocrdesk

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "extract"))
sys.path.insert(0, str(REPO / "tests"))

import evaluate  # noqa: E402
import invoicegen  # noqa: E402
from ocrdesk.extract import extract  # noqa: E402

TARGETS = {"born-digital": 0.95, "scan": 0.85}
FLOORS = {"born-digital": 0.85, "scan": 0.70}


def _run_corpus(n: int, seed: int = 0):
    specs = invoicegen.corpus(n, seed=seed)
    rows = []  # (spec, score, result, seconds)
    batch = 8
    for lang in ("eng", "eng+tha"):
        group = [s for s in specs if ("eng+tha" if s.lang == "th" else "eng") == lang]
        for i in range(0, len(group), batch):
            chunk = [invoicegen.build(s) for s in group[i : i + batch]]
            started = time.perf_counter()
            docs = ocrdesk.ocr_many([g.data for g in chunk], lang=lang, return_exceptions=True)
            ocr_s = (time.perf_counter() - started) / len(chunk)
            for g, doc in zip(chunk, docs):
                if isinstance(doc, Exception):
                    rows.append((g.spec, {f: False for f in invoicegen.FIELDS}, {"error": str(doc)}, ocr_s))
                    continue
                t = time.perf_counter()
                result = extract(doc, invoicegen.SCHEMAS[g.spec.kind], extractor="offline")
                rows.append((g.spec, evaluate.score(g.spec.kind, g.truth, result), result, ocr_s + time.perf_counter() - t, g.truth))
    return rows


def _table(rows) -> tuple[str, dict[str, dict[str, float]]]:
    acc: dict[str, dict[str, float]] = {}
    lines = []
    groups = {"born-digital": [r for r in rows if not r[0].scan], "scan": [r for r in rows if r[0].scan]}
    header = f"{'field':<16}" + "".join(f"{g + f' (n={len(rs)})':>24}" for g, rs in groups.items())
    lines += [header, "-" * len(header)]
    for f in invoicegen.FIELDS:
        cells = []
        for g, rs in groups.items():
            a = sum(r[1][f] for r in rs) / max(1, len(rs))
            acc.setdefault(g, {})[f] = a
            target = TARGETS[g]
            cells.append(f"{a:>17.1%} {'ok' if a >= target else 'MISS':>5}")
        lines.append(f"{f:<16}" + "".join(f"{c:>24}" for c in cells))
    lines.append("")
    lines.append("targets: born-digital >= 95%, scans >= 85% (per field)")
    # breakdown by language and kind, all fields together
    by = defaultdict(lambda: [0, 0])
    for r in rows:
        key = f"{r[0].lang}/{r[0].kind}/{'scan' if r[0].scan else 'pdf'}"
        by[key][0] += sum(r[1].values())
        by[key][1] += len(r[1])
    lines.append("all fields by language/kind/source: " + ", ".join(f"{k} {v[0] / v[1]:.0%}" for k, v in sorted(by.items())))
    secs = [r[3] for r in rows]
    lines.append(f"mean seconds per document (OCR + extract): {sum(secs) / max(1, len(secs)):.2f}")
    misses = [r for r in rows if not all(r[1].values())]
    if misses:
        lines.append("")
        lines.append("misses (document: field truth -> got):")
        for r in misses[:60]:
            spec, sc, result = r[0], r[1], r[2]
            truth = r[4] if len(r) > 4 else {}
            props = {v: k for k, v in invoicegen.SCHEMA_FIELDS[spec.kind].items()}
            bad = ", ".join(f"{f}: {truth.get(f)!r} -> {result.get(props[f])!r}" for f, ok in sc.items() if not ok)
            lines.append(f"  {spec.name}: {bad}")
    return "\n".join(lines) + "\n", acc


def test_extract_accuracy():
    n = int(os.environ.get("OCRDESK_EXTRACT_DOCS", "160"))
    seed = int(os.environ.get("OCRDESK_EXTRACT_SEED", "0"))
    started = time.perf_counter()
    rows = _run_corpus(n, seed)
    text, acc = _table(rows)
    which = f"corpus seed {seed}" + (" (held out)" if seed else "")
    title = f"ocrdesk extraction accuracy - {time.strftime('%Y-%m-%d %H:%M:%S')} - {n} synthetic documents, {which}, {time.perf_counter() - started:.0f} s\n\n"
    print("\n" + title + text)
    (REPO / "bench-results").mkdir(exist_ok=True)
    (REPO / "bench-results" / ("extract.txt" if not seed else f"extract-seed{seed}.txt")).write_text(title + text)
    strict = os.environ.get("OCRDESK_BENCH_STRICT") == "1"
    for group, fields in acc.items():
        for field, a in fields.items():
            floor = TARGETS[group] if strict else FLOORS[group]
            assert a >= floor, f"{group} {field}: {a:.1%} < {floor:.0%}"
