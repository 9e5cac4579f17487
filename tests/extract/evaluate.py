"""Scoring extraction results against invoicegen truths (shared by tests and the bench)."""

from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Any

import invoicegen

__all__ = ["score", "run_one"]


def _norm(text: Any) -> str:
    t = unicodedata.normalize("NFKC", str(text)).lower()
    return re.sub(r"[\W_]+", "", t)


def score(kind: str, truth: dict[str, Any], result: dict[str, Any]) -> dict[str, bool]:
    """field -> correct? for the five benchmark fields."""
    got = {truth_key: result.get(prop) for prop, truth_key in invoicegen.SCHEMA_FIELDS[kind].items()}
    out = {}
    out["invoice_number"] = got["invoice_number"] is not None and _norm(got["invoice_number"]) == _norm(truth["invoice_number"])
    out["date"] = got["date"] == truth["date"]
    out["total"] = isinstance(got["total"], (int, float)) and abs(got["total"] - truth["total"]) < 0.005
    out["currency"] = got["currency"] == truth["currency"]
    v, t = _norm(got["vendor"] or ""), _norm(truth["vendor"])
    out["vendor"] = bool(v) and (v == t or difflib.SequenceMatcher(None, v, t).ratio() >= 0.9)
    return out


def run_one(generated: "invoicegen.Generated") -> tuple[dict[str, Any], dict[str, bool]]:
    import ocrdesk
    from ocrdesk.extract import extract

    doc = ocrdesk.ocr(generated.data, lang=generated.ocr_lang)
    kind = generated.spec.kind
    result = extract(doc, invoicegen.SCHEMAS[kind], extractor="offline")
    return result, score(kind, generated.truth, result)
