"""Serialising 10,000 records' results (the batch export) vs Python's json, csv and
xml.etree and orjson, from the same stored result JSON, each output checked.

Targets (issue 4): CSV and XML >= 5x Python's csv / xml.etree; JSON >= 3x Python's json
and within 1.5x of orjson. Prints the medians and ratios."""

from __future__ import annotations

import csv
import io
import json
import statistics
import time
from xml.etree import ElementTree as ET

import pytest

import ocrdesk

N = 10_000


def make_result(i: int) -> dict:
    return {
        "invoiceNumber": f"INV-{i:06d}",
        "vendor": "บริษัท ตัวอย่าง จำกัด" if i % 2 else 'ACME "Widgets" & Co, Ltd.',
        "date": "2024-03-01",
        "total": 1234.5 + i,
        "vat": 80.77,
        "paid": i % 3 == 0,
        "note": None,
        "items": [
            {"description": f"ค่าบริการ รายการที่ {k}", "qty": k + 1, "price": 99.5 * (k + 1)} for k in range(3)
        ],
        "_meta": {"fields": {"total": {"confidence": 91.2, "page": 1, "bbox": [10, 20, 300, 60]}}, "pages": 1, "ocrSeconds": 0.8},
    }


@pytest.fixture(scope="module")
def stored() -> list[tuple]:
    return [
        (f"{i:024x}", f"{i:024x}", f"scan-{i}.pdf", "completed", None,
         json.dumps(make_result(i), ensure_ascii=False, separators=(",", ":")).encode(), None, None, None)
        for i in range(N)
    ]


def best(fn, repeat: int = 5) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def ours(fmt: str, stored: list[tuple]) -> bytes:
    w = ocrdesk.BatchWriter(fmt, "bench", b'{"id":"b"}')
    if w.needs_scan:
        w.scan([r[5] for r in stored])
    return w.head() + w.records(stored) + w.finish()


def py_json(stored: list[tuple]) -> bytes:
    records = [{"id": r[0], "uploadId": r[1], "fileName": r[2], "status": r[3], "error": r[4],
                "processingResult": json.loads(r[5])} for r in stored]
    return json.dumps({"batch": {"id": "b"}, "records": records}, ensure_ascii=False, separators=(",", ":")).encode()


def py_orjson(stored: list[tuple]) -> bytes:
    import orjson

    records = [{"id": r[0], "uploadId": r[1], "fileName": r[2], "status": r[3], "error": r[4],
                "processingResult": orjson.loads(r[5])} for r in stored]
    return orjson.dumps({"batch": {"id": "b"}, "records": records})


def cell(v: object) -> object:
    # JSON's spelling of null and booleans, as ours writes them.
    return "" if v is None else "true" if v is True else "false" if v is False else v


def py_csv(stored: list[tuple]) -> bytes:
    """The same file as ours (BOM, CRLF, the same header, rows and cells) for these results,
    except that it takes the header from the first record instead of scanning all of them,
    and does no formula neutralisation (no cell here starts with = + - @ tab or CR)."""
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf)
    header = None
    for r in stored:
        res = json.loads(r[5])
        scalars = {k: v for k, v in res.items() if k not in ("items", "_meta")}
        if header is None:
            header = ["id", "fileName", "status", "error", *scalars, "items.description", "items.qty", "items.price"]
            w.writerow(header)
        for item in res["items"]:
            w.writerow([r[0], r[2], r[3], r[4] or "", *(cell(v) for v in scalars.values()),
                        item["description"], item["qty"], item["price"]])
    return buf.getvalue().encode()


def py_xml(stored: list[tuple]) -> bytes:
    root = ET.Element("batch", id="b")

    def add(parent: ET.Element, name: str, value: object) -> None:
        el = ET.SubElement(parent, name)
        if isinstance(value, dict):
            for k, v in value.items():
                add(el, k, v)
        elif isinstance(value, list):
            for v in value:
                add(el, "item", v)
        elif value is None:
            el.set("null", "true")
        else:
            el.text = str(value)

    for r in stored:
        rec = ET.SubElement(root, "record", id=r[0], fileName=r[2], status=r[3])
        res = ET.SubElement(rec, "result", type="structured")
        for k, v in json.loads(r[5]).items():
            add(res, k, v)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def report(name: str, ours_s: float, other: str, other_s: float, target: float) -> float:
    ratio = other_s / ours_s
    print(f"\n[export bench] {name}: ocrdesk {ours_s*1000:.1f} ms, {other} {other_s*1000:.1f} ms -> {ratio:.1f}x (target {target}x)")
    return ratio


def test_json(stored: list[tuple]) -> None:
    t_ours, out = best(lambda: ours("json", stored))
    t_json, ref = best(lambda: py_json(stored))
    t_orjson, ref2 = best(lambda: py_orjson(stored))
    assert json.loads(out) == json.loads(ref) == json.loads(ref2)
    report("JSON vs json", t_ours, "json", t_json, 3)
    print(f"[export bench] JSON vs orjson: ocrdesk {t_ours*1000:.1f} ms, orjson {t_orjson*1000:.1f} ms -> ocrdesk/orjson = {t_ours/t_orjson:.2f} (target <= 1.5)")


def test_csv(stored: list[tuple]) -> None:
    t_ours, out = best(lambda: ours("csv", stored))
    t_py, ref = best(lambda: py_csv(stored))
    rows = list(csv.reader(io.StringIO(out.decode("utf-8-sig"), newline="")))
    assert len(rows) == 1 + 3 * N
    assert rows[-1][rows[0].index("items.description")] == "ค่าบริการ รายการที่ 2"
    assert out == ref  # byte for byte: same header, rows, cells, quoting, BOM and CRLF
    report("CSV vs csv", t_ours, "csv", t_py, 5)


def test_xml(stored: list[tuple]) -> None:
    t_ours, out = best(lambda: ours("xml", stored))
    t_py, ref = best(lambda: py_xml(stored))
    a, b = ET.fromstring(out), ET.fromstring(ref)
    assert len(a.findall("record")) == len(b.findall("record")) == N
    assert a.find("record/result/vendor").text == b.find("record/result/vendor").text
    report("XML vs xml.etree", t_ours, "xml.etree", t_py, 5)
