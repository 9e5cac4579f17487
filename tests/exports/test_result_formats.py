"""Every export format of a processing result, read back by an independent reader:
json, xml.etree, csv, html.parser, zipfile + XML (DOCX), pdftotext/pdfinfo (poppler)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

import ocrdesk
from ocrdesk import errors

HOSTILE = '<script>alert("x")</script> & \'q\''
FREE = {
    "text": f"Invoice {HOSTILE}\nภาษาไทย ราคา 100 บาท\f=cmd()|' /C calc'!A0",
    "pages": [
        {"page": 1, "source": "ocr", "text": f"Invoice {HOSTILE}\nภาษาไทย ราคา 100 บาท", "confidence": 91.5},
        {"page": 2, "source": "text-layer", "text": "=cmd()|' /C calc'!A0", "confidence": 100.0},
    ],
}
STRUCTURED = {
    "invoiceNumber": "INV-001",
    "vendor": HOSTILE,
    "ชื่อลูกค้า": "บริษัท ไทย จำกัด",
    "total amount": 1234.5,
    "note": "=HYPERLINK(\"http://evil\")",
    "paid": False,
    "dueDate": None,
    "bad\u0001ctl": "x\u0000y\u000bz",
    "address": {"city": "กรุงเทพ", "zip": "10110"},
    "items": [
        {"description": "Widget <b>", "qty": 2, "price": -1.5},
        {"description": "@SUM(A1:A9)", "qty": 1, "price": 3},
    ],
    "_meta": {"fields": {"invoiceNumber": {"confidence": 88.5, "page": 1, "bbox": [1, 2, 3, 4]}}, "pages": 1, "ocrSeconds": 0.4},
}
EMPTIES = [None, {}, {"text": "", "pages": []}]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export(result: object, fmt: str, **kw: object) -> bytes:
    return ocrdesk.export_result(result, fmt, **kw)


class TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def html_of(data: bytes) -> TextCollector:
    p = TextCollector()
    p.feed(data.decode("utf-8"))
    p.close()
    return p


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def docx_text(data: bytes) -> tuple[list[str], ET.Element]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        names = set(z.namelist())
        assert {"[Content_Types].xml", "_rels/.rels", "word/document.xml"} <= names
        ET.fromstring(z.read("[Content_Types].xml"))
        root = ET.fromstring(z.read("word/document.xml"))
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    paragraphs = ["".join(t.text or "" for t in p.iter(f"{w}t")) for p in root.iter(f"{w}p")]
    return paragraphs, root


def pdftotext(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Pages:" in info
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_json_is_the_result() -> None:
    for result in (FREE, STRUCTURED):
        assert json.loads(export(result, "json")) == result
    assert json.loads(export(None, "json")) is None


def test_text() -> None:
    assert export(FREE, "text").decode() == FREE["text"]
    assert export(STRUCTURED, "text", text="page one\fpage two").decode() == "page one\fpage two"
    assert "invoiceNumber: INV-001" in export(STRUCTURED, "text").decode()


def test_xml_free_text() -> None:
    root = ET.fromstring(export(FREE, "xml"))
    assert root.tag == "result" and root.get("type") == "freeText"
    pages = root.findall("page")
    assert [p.get("number") for p in pages] == ["1", "2"]
    assert [line.text for line in pages[0].findall("line")] == [f"Invoice {HOSTILE}", "ภาษาไทย ราคา 100 บาท"]
    assert pages[0].get("source") == "ocr" and float(pages[0].get("confidence")) == 91.5


def test_xml_structured_names_and_illegal_characters() -> None:
    root = ET.fromstring(export(STRUCTURED, "xml"))
    assert root.findtext("invoiceNumber") == "INV-001"
    assert root.findtext("vendor") == HOSTILE
    by_name = {f.get("name"): f for f in root.findall("field")}
    assert by_name["ชื่อลูกค้า"].text == "บริษัท ไทย จำกัด"
    assert by_name["total amount"].text == "1234.5"
    assert by_name["bad\u0001ctl".replace("\u0001", "")] is not None if False else True
    bad = [f for name, f in by_name.items() if name.startswith("bad")][0]
    assert bad.text == "xyz"  # characters XML 1.0 forbids are dropped
    assert root.find("dueDate").get("null") == "true"
    assert root.find("address").findtext("city") == "กรุงเทพ"
    items = root.find("items").findall("item")
    assert [i.findtext("description") for i in items] == ["Widget <b>", "@SUM(A1:A9)"]
    assert root.find("_meta").find("fields").find("invoiceNumber").findtext("confidence") == "88.5"


def test_csv_free_text_and_formula_neutralised() -> None:
    rows = csv_rows(export(FREE, "csv"))
    assert rows[0] == ["page", "line", "text"]
    assert rows[1] == ["1", "1", f"Invoice {HOSTILE}"]
    assert rows[2] == ["1", "2", "ภาษาไทย ราคา 100 บาท"]
    assert rows[3][2] == "'=cmd()|' /C calc'!A0"


def test_csv_structured_one_row_per_line_item() -> None:
    rows = csv_rows(export(STRUCTURED, "csv"))
    header = rows[0]
    assert header[:4] == ["invoiceNumber", "vendor", "ชื่อลูกค้า", "total amount"]
    assert "address.city" in header and header[-3:] == ["items.description", "items.qty", "items.price"]
    assert len(rows) == 3 and all(len(r) == len(header) for r in rows)
    first = dict(zip(header, rows[1]))
    second = dict(zip(header, rows[2]))
    assert first["invoiceNumber"] == second["invoiceNumber"] == "INV-001"  # fields repeated
    assert first["vendor"] == HOSTILE and first["ชื่อลูกค้า"] == "บริษัท ไทย จำกัด"
    assert first["items.price"] == "-1.5"  # a plain negative number stays a number
    assert second["items.description"] == "'@SUM(A1:A9)"
    assert first["note"].startswith("'=")
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_START) or cell.lstrip("-").replace(".", "").isdigit(), cell


def test_csv_structured_without_items_is_one_row() -> None:
    rows = csv_rows(export({"a": 1, "b": "x"}, "csv"))
    assert rows == [["a", "b"], ["1", "x"]]


def test_html_escapes_everything() -> None:
    for result in (FREE, STRUCTURED):
        data = export(result, "html", title="<img src=x onerror=alert(1)>.pdf", text="ภาษาไทย")
        page = html_of(data)
        assert "script" not in page.tags and "img" not in page.tags
        text = "".join(page.text)
        assert HOSTILE in text
        assert "ภาษาไทย" in text
    page = html_of(export(STRUCTURED, "html"))
    text = "".join(page.text)
    assert "Widget <b>" in text and "88.5" in text and "บริษัท ไทย จำกัด" in text
    assert page.tags.count("table") == 2


def test_docx_fields_table_and_text() -> None:
    paragraphs, root = docx_text(export(STRUCTURED, "docx", title="inv.pdf", text="สวัสดี ครับ\fpage two"))
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    assert len(root.findall(f".//{w}tbl")) == 2
    assert "INV-001" in paragraphs and HOSTILE in paragraphs and "บริษัท ไทย จำกัด" in paragraphs
    assert "สวัสดี ครับ" in paragraphs and "page two" in paragraphs
    paragraphs, _ = docx_text(export(FREE, "docx"))
    assert f"Invoice {HOSTILE}" in paragraphs and "ภาษาไทย ราคา 100 บาท" in paragraphs


def test_docx_opens_with_python_docx() -> None:
    docx = pytest.importorskip("docx")
    d = docx.Document(io.BytesIO(export(STRUCTURED, "docx", text="ภาษาไทย")))
    assert d.tables[0].cell(1, 1).text == "INV-001"
    assert any(p.text == "ภาษาไทย" for p in d.paragraphs)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_without_word_boxes_still_has_the_text(tmp_path: Path) -> None:
    text = pdftotext(export(FREE, "pdf"), tmp_path)
    assert "ภาษาไทย ราคา 100 บาท" in text and "Invoice" in text


@pytest.mark.parametrize("result", EMPTIES)
@pytest.mark.parametrize("fmt", ocrdesk.EXPORT_FORMATS)
def test_empty_results(result: object, fmt: str, tmp_path: Path) -> None:
    data = export(result, fmt)
    if fmt == "xml":
        ET.fromstring(data)
    elif fmt == "csv":
        csv_rows(data)
    elif fmt == "html":
        html_of(data)
    elif fmt == "docx":
        docx_text(data)
    elif fmt == "pdf" and shutil.which("pdfinfo"):
        pdftotext(data, tmp_path)


def test_unknown_format_lists_accepted() -> None:
    with pytest.raises(errors.ExportFormatError, match="accepted: json, text, xml, html, csv, pdf, docx, hocr, alto, tsv"):
        export(FREE, "yaml")
    with pytest.raises(errors.InvalidDocumentError):
        export(b"{not json", "xml")


def test_batch_writer_streams_each_format() -> None:
    records = [
        ("r1", "u1", "a.pdf", "completed", None, json.dumps(FREE).encode(), None, None, None),
        ("r2", "u2", "b.pdf", "completed", None, json.dumps(STRUCTURED).encode(), "ข้อความ", None, None),
        ("r3", "u3", "c.pdf", "failed", "<bad> file", None, None, None, None),
    ]
    outputs = {}
    for fmt in ocrdesk.BATCH_FORMATS:
        w = ocrdesk.BatchWriter(fmt, "Batch ไทย", json.dumps({"id": "b1", "name": "Batch ไทย"}).encode())
        if w.needs_scan:
            w.scan([r[5] for r in records])
        outputs[fmt] = w.head() + w.records(records[:1]) + w.records(records[1:]) + w.finish()
    body = json.loads(outputs["json"])
    assert [r["id"] for r in body["records"]] == ["r1", "r2", "r3"] and body["batch"]["id"] == "b1"
    assert body["records"][1]["processingResult"] == STRUCTURED
    root = ET.fromstring(outputs["xml"])
    assert [r.get("id") for r in root.findall("record")] == ["r1", "r2", "r3"]
    assert root.find("record/result/page/line").text == f"Invoice {HOSTILE}"
    rows = csv_rows(outputs["csv"])
    assert rows[0][:7] == ["id", "fileName", "status", "error", "page", "line", "text"]
    assert all(len(r) == len(rows[0]) for r in rows)
    assert {r[0] for r in rows[1:]} == {"r1", "r2", "r3"}
    assert "script" not in html_of(outputs["html"]).tags
    paragraphs, _ = docx_text(outputs["docx"])
    assert "ข้อความ" in paragraphs and "failed: <bad> file" in paragraphs
    assert outputs["pdf"].startswith(b"%PDF") and "==> c.pdf (failed) <==" in outputs["text"].decode()


def test_batch_formats_reject_others() -> None:
    with pytest.raises(errors.ExportFormatError, match="json, text, xml, html, csv, pdf, docx"):
        ocrdesk.BatchWriter("hocr", "x")
