"""End to end: generated invoices and receipts -> ocrdesk.ocr -> extract -> known values."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

pytest.importorskip("ocrdesk._core", reason="the compiled core is not built")

import ocrdesk  # noqa: E402
from ocrdesk.extract import extract, free_text, preset  # noqa: E402

import evaluate  # noqa: E402
import invoicegen  # noqa: E402

# A small, fixed sample of the bench corpus: born-digital documents of every language and
# kind, and two scans. The full corpus runs in benches/test_extract_accuracy.py.
PDF_SEEDS = [2, 4, 6, 8, 10, 12, 14, 20, 22, 28]
SCAN_SEEDS = [1, 5]


@pytest.fixture(scope="module")
def pdf_docs() -> list[invoicegen.Generated]:
    return [invoicegen.build(invoicegen.make_spec(s, scan=False)) for s in PDF_SEEDS]


def test_sample_covers_languages_and_kinds(pdf_docs):
    assert {g.spec.lang for g in pdf_docs} >= {"en", "de", "fr", "th"}
    assert {g.spec.kind for g in pdf_docs} == {"invoice", "receipt"}


def test_born_digital_fields(pdf_docs):
    results = [evaluate.run_one(g) for g in pdf_docs]
    scores = [s for _, s in results]
    per_field = {f: sum(s[f] for s in scores) / len(scores) for f in invoicegen.FIELDS}
    misses = {g.spec.name: [f for f, ok in s.items() if not ok] for g, s in zip(pdf_docs, scores) if not all(s.values())}
    assert min(per_field.values()) >= 0.9, (per_field, misses)


def test_scans_fields():
    docs = [invoicegen.build(invoicegen.make_spec(s, scan=True)) for s in SCAN_SEEDS]
    scores = [evaluate.run_one(g)[1] for g in docs]
    correct = sum(sum(s.values()) for s in scores)
    assert correct >= 0.8 * 5 * len(docs), scores


def test_meta_line_items_and_not_found(pdf_docs):
    g = next(d for d in pdf_docs if d.spec.kind == "invoice" and d.spec.lang == "en")
    doc = ocrdesk.ocr(g.data)
    schema = dict(invoicegen.SCHEMAS["invoice"])
    schema = {**schema, "properties": {**schema["properties"], "ibanNumber": {"type": "string", "pattern": "[A-Z]{2}\\d{2}[A-Z0-9 ]{10,30}"}}}
    result = extract(doc, schema, extractor="offline")
    meta = result["_meta"]
    assert meta["extractor"] == "offline"
    total = meta["fields"]["totalAmount"]
    assert total["page"] == 1 and 0 < total["confidence"] <= 1 and len(total["bbox"]) == 4
    x0, y0, x1, y1 = total["bbox"]
    page = doc.pages[0]
    assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height
    assert result["ibanNumber"] is None and meta["fields"]["ibanNumber"] == {"confidence": 0.0, "page": None, "bbox": None}
    items = result["lineItems"]
    assert [round(i["amount"], 2) for i in items] == [round(i["amount"], 2) for i in g.items]
    assert [i["quantity"] for i in items] == [float(i["quantity"]) for i in g.items]
    assert [i["description"] for i in items] == [i["description"] for i in g.items]


def test_bare_schema_and_types(pdf_docs):
    g = next(d for d in pdf_docs if d.spec.kind == "invoice")
    doc = ocrdesk.ocr(g.data)
    result = extract(doc, {"total": {"type": "integer"}, "paid": {"type": "boolean"}, "currency": {"type": "string", "enum": ["USD", "EUR", "THB", "GBP", "SGD", "AUD", "CHF"]}})
    assert result["total"] == round(g.truth["total"])
    assert result["paid"] is None
    assert result["currency"] == g.truth["currency"]


def test_presets_run(pdf_docs):
    doc = ocrdesk.ocr(pdf_docs[0].data)
    for name in ("invoice", "receipt", "purchase_order", "thai_tax_invoice", "id_card", "bank_statement"):
        result = extract(doc, preset(name), extractor="offline")
        assert set(result) == set(preset(name)["properties"]) | {"_meta"}
        json.dumps(result)


def test_free_text(pdf_docs):
    doc = ocrdesk.ocr(pdf_docs[0].data)
    out = free_text(doc)
    assert out["text"] == doc.text and out["pages"][0]["page"] == 1


def test_worker_contract(tmp_path, pdf_docs):
    """The queue worker calls extract(doc, schema) for structured templates and adds pages/ocrSeconds."""
    import msgspec

    from ocrdesk.config import Settings
    from ocrdesk.queue.worker import process_document

    g = next(d for d in pdf_docs if d.spec.kind == "invoice")
    path = tmp_path / "invoice.pdf"
    path.write_bytes(g.data)
    schema = json.dumps(invoicegen.SCHEMAS["invoice"])
    raw, text, pages = process_document(path, Settings(data_dir=tmp_path), (schema, "structured"))
    result = msgspec.json.decode(raw)
    assert pages == 1 and result["_meta"]["pages"] == 1 and "ocrSeconds" in result["_meta"]
    assert result["totalAmount"] == g.truth["total"]


# --------------------------------------------------------------------------- llm


class _FakeOpenAI(BaseHTTPRequestHandler):
    mode = "ok"
    seen: list[dict[str, Any]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        if self.mode == "slow":
            time.sleep(2)
        content = {
            "ok": json.dumps({"invoiceNumber": "LLM-1", "invoiceDate": "2024-03-12", "totalAmount": "1,070.00", "currency": "EUR", "vendorName": "Model Co", "lineItems": []}),
            "bad": "I am sorry, I cannot do that.",
        }.get(self.mode, "{}")
        data = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass


@pytest.fixture
def fake_llm(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeOpenAI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("OCRDESK_LLM_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}/v1")
    monkeypatch.setenv("OCRDESK_LLM_MODEL", "fake-model")
    monkeypatch.setenv("OCRDESK_LLM_API_KEY", "sk-test")
    monkeypatch.setenv("OCRDESK_LLM_TIMEOUT", "0.5")
    _FakeOpenAI.seen = []
    yield _FakeOpenAI
    server.shutdown()
    server.server_close()


def test_llm_extractor(fake_llm, pdf_docs):
    doc = ocrdesk.ocr(pdf_docs[0].data)
    fake_llm.mode = "ok"
    result = extract(doc, invoicegen.SCHEMAS["invoice"], instructions="Dates as ISO.")
    assert result["_meta"]["extractor"] == "llm"
    assert result["invoiceNumber"] == "LLM-1" and result["totalAmount"] == 1070.0 and result["lineItems"] == []
    request = fake_llm.seen[-1]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == "fake-model" and body["response_format"]["type"] == "json_schema"
    assert "Dates as ISO." in body["messages"][0]["content"] and doc.text[:50] in body["messages"][1]["content"]
    # the schema can opt out
    offline = extract(doc, {**invoicegen.SCHEMAS["invoice"], "x-extractor": "offline"})
    assert offline["_meta"]["extractor"] == "offline"


@pytest.mark.parametrize(("mode", "note"), [("bad", "llm answer invalid"), ("slow", "llm timed out")])
def test_llm_falls_back(fake_llm, pdf_docs, mode, note):
    g = pdf_docs[0]
    doc = ocrdesk.ocr(g.data)
    fake_llm.mode = mode
    result = extract(doc, invoicegen.SCHEMAS[g.spec.kind])
    assert result["_meta"]["extractor"] == "offline"
    assert result["_meta"]["note"].startswith(note)
    assert evaluate.score(g.spec.kind, g.truth, result)["total"]


def test_llm_off_by_default(monkeypatch, pdf_docs):
    monkeypatch.delenv("OCRDESK_LLM_BASE_URL", raising=False)
    monkeypatch.delenv("OCRDESK_LLM_MODEL", raising=False)
    doc = ocrdesk.ocr(pdf_docs[0].data)
    assert extract(doc, invoicegen.SCHEMAS["invoice"])["_meta"]["extractor"] == "offline"


def test_worker_passes_instructions_and_template_lang(tmp_path, pdf_docs, monkeypatch):
    """Instructions reach extract(); a template's "x-lang" (or Thai labels) picks the OCR language."""
    import msgspec

    import ocrdesk.queue.worker as worker
    from ocrdesk.config import Settings
    from ocrdesk.extract import ocr_lang

    seen: dict[str, Any] = {}

    def fake_extract(doc, schema, **kw):
        seen.update(kw, schema=schema)
        return {"_meta": {}}

    langs: list[str] = []
    real_ocr = ocrdesk.ocr
    monkeypatch.setattr(worker, "_extractor", lambda: fake_extract)
    monkeypatch.setattr(ocrdesk, "ocr", lambda path, lang="eng", **kw: langs.append(lang) or real_ocr(path, lang=lang, **kw))
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf_docs[0].data)
    schema = {"type": "object", "x-lang": "eng+tha", "properties": {"total": {"type": "number"}}}
    raw, _, _ = worker.process_document(path, Settings(data_dir=tmp_path), (json.dumps(schema), "structured", "Amounts in baht."))
    assert seen["instructions"] == "Amounts in baht." and seen["schema"] == schema
    assert langs == ["eng+tha"] and msgspec.json.decode(raw)["_meta"]["ocrLang"] == "eng+tha"
    # two-element templates (older callers) still work
    worker.process_document(path, Settings(data_dir=tmp_path), (json.dumps(schema), "structured"))
    assert seen["instructions"] is None

    assert ocr_lang({"total": {"type": "number"}}) == "eng"
    assert ocr_lang({"total": {"type": "number", "description": "รวมทั้งสิ้น"}}) == "eng+tha"
    assert ocr_lang({"x-lang": "deu", "total": {"type": "number"}}, "eng") == "deu"
    assert ocr_lang({"x-lang": "bad lang; rm", "total": {"type": "number"}}) == "eng"
    assert ocr_lang(preset("thai_tax_invoice")) == "eng+tha"
    # settings beside the properties of a bare map are not fields
    assert list(extract(ocrdesk.ocr(pdf_docs[0].data), {"x-lang": "eng", "x-extractor": "offline", "total": {"type": "number"}})) == ["total", "_meta"]


def test_ocr_confusions_in_codes_and_totals():
    """Second looks for scans: a misread code prefix, a code split at a blur, a relaxed label,
    a currency sign read as a digit (settled by subtotal + tax and the VAT rate)."""
    from types import SimpleNamespace as NS

    def doc(rows):
        lines = []
        for y, words in enumerate(rows):
            ws = [NS(text=t, bbox=(x, 100 + y * 60, x + w, 130 + y * 60), confidence=c) for t, x, w, c in words]
            lines.append(NS(words=ws))
        return NS(pages=[NS(number=1, width=2000, height=3000, lines=lines)], text="")

    schema = {"invoiceNumber": {"type": "string"}, "total": {"type": "number"}}
    d = doc([
        [("Rechnung", 100, 200, 90), ("Ne", 310, 50, 60), ("1V23-638", 800, 200, 50)],
        [("Subtotal", 100, 200, 90), ("81,034.40", 800, 200, 80)],
        [("VAT", 100, 80, 90), ("7%", 190, 40, 90), ("872.41", 800, 150, 80)],
        [("Total", 100, 120, 90), ("81,106.81", 800, 200, 70)],
        [("Cash", 100, 120, 90), ("1,106.81", 800, 200, 90)],
    ])
    out = extract(d, schema, extractor="offline")
    assert out["invoiceNumber"] == "IV23-638" and out["total"] == 1106.81
    d = doc([[("Invoice", 100, 160, 90), ("No:", 270, 60, 90), ("TX8561", 800, 150, 40), ("33", 955, 45, 40)]])
    assert extract(d, schema, extractor="offline")["invoiceNumber"] == "TX856133"
    # a real space between two codes keeps them apart
    d = doc([[("Invoice", 100, 160, 90), ("No:", 270, 60, 90), ("TX8561", 800, 150, 99), ("33", 980, 45, 99)]])
    assert extract(d, schema, extractor="offline")["invoiceNumber"] == "TX8561"


def test_vendor_is_a_name_not_an_address():
    """A name ending in a label word ("... Store") labels nothing, an address line is not the
    issuer, and a name cut at a wide gap or spilling onto the next row is joined again."""
    from types import SimpleNamespace as NS

    def doc(rows):
        lines = [NS(words=[NS(text=t, bbox=(x, y, x + w, y + h), confidence=95) for t, x, y, w, h in words]) for words in rows]
        return NS(pages=[NS(number=1, width=2000, height=3000, lines=lines)], text="")

    schema = {"merchantName": {"type": "string"}, "total": {"type": "number"}}
    body = [[("Total", 100, 900, 120, 30), ("12.00", 800, 900, 120, 30)], [("Thanks", 100, 1000, 150, 30)], [("Bye", 100, 1100, 90, 30)]]
    d = doc([[("Silverstone", 100, 100, 300, 50), ("Store", 420, 100, 140, 50)], [("12", 100, 200, 40, 30), ("Market", 150, 200, 150, 30), ("Street,", 310, 200, 120, 30), ("Springfield", 440, 200, 250, 30)], *body])
    assert extract(d, schema, extractor="offline")["merchantName"] == "Silverstone Store"
    d = doc([[("Hartmann", 100, 100, 230, 40), ("Store", 370, 100, 140, 40)], [("Hauptstraße", 100, 200, 230, 30), ("12,", 340, 200, 50, 30), ("10115", 400, 200, 90, 30), ("Berlin", 500, 200, 110, 30)], *body])
    assert extract(d, schema, extractor="offline")["merchantName"] == "Hartmann Store"
    d = doc([[("Atlas", 100, 100, 150, 50), ("Hardware", 260, 100, 250, 50)], [("12", 100, 200, 40, 30), ("Market", 150, 200, 150, 30), ("Street,", 310, 200, 120, 30)], *body])
    assert extract(d, schema, extractor="offline")["merchantName"] == "Atlas Hardware"
