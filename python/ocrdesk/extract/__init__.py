"""Template-driven structured extraction: ``extract(document, schema) -> dict``.

A pure function of the OCR'd document and the template's JSON Schema (SPEC §5): no
database, no network (unless the optional llm extractor is configured, see
:mod:`ocrdesk.extract.llm`). The result has one key per schema property, typed as the
schema says (``None`` when not found), plus ``_meta``::

    {"invoiceNumber": "INV-001", "total": 1070.0, ...,
     "_meta": {"extractor": "offline",
               "fields": {"invoiceNumber": {"confidence": 0.93, "page": 1, "bbox": [x0, y0, x1, y1]}, ...}}}

Presets (ready-made schemas for common documents) are in :func:`preset` / :data:`PRESETS`.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

from . import coerce
from .layout import build_layout
from .lexicon import CONCEPTS
from .offline import NOT_FOUND, Extractor, Found
from .schema import FieldSpec, SchemaError, normalize_schema
from .tables import extract_table

__all__ = ["extract", "extract_offline", "free_text", "ocr_lang", "preset", "PRESETS", "SchemaError", "normalize_schema"]

PRESETS = ("invoice", "receipt", "purchase_order", "thai_tax_invoice", "id_card", "bank_statement")


@cache
def _preset_text(name: str) -> str:
    return resources.files(__name__).joinpath("presets", f"{name}.json").read_text(encoding="utf-8")


def preset(name: str) -> dict[str, Any]:
    """A shipped template schema (a fresh copy): one of :data:`PRESETS`."""
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; presets: {', '.join(PRESETS)}")
    return json.loads(_preset_text(name))


_LANG_RE = re.compile(r"[A-Za-z_]{3,}(?:\+[A-Za-z_]{3,})*")
_THAI_RE = re.compile(r"[\u0e01-\u0e5b]")


def ocr_lang(schema: Any, default: str = "eng") -> str:
    """The OCR language(s) for documents of a template: the schema's ``"x-lang"``
    (``"eng+tha"``, Tesseract names joined by ``+``) when it has one; otherwise ``default``,
    with ``+tha`` added when the template itself is written with Thai labels or
    descriptions (its documents are Thai). Born-digital pages ignore it (text layer)."""
    if isinstance(schema, str):
        try:
            schema = json.loads(schema)
        except ValueError:
            return default
    if not isinstance(schema, dict):
        return default
    lang = schema.get("x-lang")
    if isinstance(lang, str) and _LANG_RE.fullmatch(lang.strip()):
        return lang.strip()
    if "tha" not in default.split("+") and _THAI_RE.search(json.dumps(schema, ensure_ascii=False)):
        return f"{default}+tha"
    return default


def free_text(doc: Any) -> dict[str, Any]:
    """The free-text result (templates with resultFormat text/pdf/docx/xml/html, or no template)."""
    return {
        "text": doc.text,
        "pages": [
            {"page": p.number, "source": p.source, "text": p.text, "confidence": round(float(p.confidence), 2)} for p in doc.pages
        ],
    }


def extract(doc: Any, schema: Any, *, instructions: str | None = None, extractor: str | None = None) -> dict[str, Any]:
    """Fill ``schema``'s properties from ``doc`` (an :class:`ocrdesk.Document`).

    ``extractor``: ``"offline"`` (the built-in, default), ``"llm"`` (the configured
    OpenAI-compatible model, falling back to offline on any failure) or ``None`` = llm when
    ``OCRDESK_LLM_BASE_URL`` and ``OCRDESK_LLM_MODEL`` are set and the schema does not say
    ``"x-extractor": "offline"``, offline otherwise.
    """
    fields = normalize_schema(schema)
    choice = extractor
    if choice is None and isinstance(schema, dict) and schema.get("x-extractor") in ("offline", "llm"):
        choice = schema["x-extractor"]
    if choice in (None, "llm"):
        from . import llm

        config = llm.LlmConfig.from_env()
        if config is not None and choice is None or choice == "llm":
            if config is None:
                result = extract_offline(doc, schema, fields=fields)
                result["_meta"]["note"] = "llm extractor requested but not configured (OCRDESK_LLM_BASE_URL, OCRDESK_LLM_MODEL)"
                return result
            return llm.extract_llm(doc, schema, fields, config, instructions=instructions)
    return extract_offline(doc, schema, fields=fields)


def extract_offline(doc: Any, schema: Any, *, fields: list[FieldSpec] | None = None) -> dict[str, Any]:
    """The built-in extractor: labels, word boxes and typed coercion; no model, no network."""
    fields = fields if fields is not None else normalize_schema(schema)
    layout = build_layout(doc)
    ex = Extractor(layout, fields)
    result: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    # currency last: it looks next to the total when it can
    order = sorted(fields, key=lambda f: 1 if f.concept == "currency" else 0)
    for f in order:
        value, found_meta = _field_value(ex, f, None)
        result[f.name] = value
        meta[f.name] = found_meta
    out = {f.name: result[f.name] for f in fields}
    out["_meta"] = {"extractor": "offline", "fields": {f.name: meta[f.name] for f in fields}}
    return out


# --------------------------------------------------------------------------- fields


def _kind(f: FieldSpec) -> str:
    concept_kind = CONCEPTS[f.concept].kind if f.concept in CONCEPTS else None
    if f.concept and "." in f.concept:
        concept_kind = CONCEPTS[f.concept.split(".", 1)[1]].kind
    if f.format in ("date", "date-time"):
        return "date"
    if f.type == "boolean":
        return "bool"
    if f.type in ("number", "integer"):
        return "id" if concept_kind == "id" and f.type == "integer" else "amount"
    if f.format == "email":
        return "email"
    if concept_kind:
        return concept_kind
    if f.enum:
        return "text"
    return "text"


def _field_value(ex: Extractor, f: FieldSpec, party: str | None) -> tuple[Any, dict[str, Any]]:
    if f.type == "object":
        sub: dict[str, Any] = {}
        sub_meta: dict[str, Any] = {}
        for p in f.properties:
            v, m = _field_value(ex, p, f.concept if f.concept in ("vendor", "customer") else party)
            sub[p.name] = v
            sub_meta[p.name] = m
        confs = [m.get("confidence", 0) for m in sub_meta.values() if isinstance(m, dict)]
        return sub, {"confidence": round(max(confs, default=0.0), 2), "page": None, "bbox": None, "fields": sub_meta}
    if f.type == "array":
        if f.is_table:
            found = extract_table(ex, f)
            meta = found.meta()
            meta["rows"] = len(found.value or [])
            return found.value or [], meta
        found = _find(ex, f)
        if found.value is None:
            return [], found.meta()
        return [_typed(ex, f, found.value, f.item_type or "string")], found.meta()
    found = _find(ex, f)
    value = _typed(ex, f, found.value, f.type)
    if value is None:
        return None, NOT_FOUND.meta()
    return value, found.meta()


def _find(ex: Extractor, f: FieldSpec) -> Found:
    kind = _kind(f)
    concept = f.concept
    if concept and "." in concept:
        return _party_field(ex, f, concept, kind)
    if f.enum and kind == "text" and concept != "currency":
        return _enum(ex, f)
    key = concept or f"field:{f.path}"
    if key in ex.cache and concept is not None:
        return ex.cache[key]
    found = ex.find(concept, kind, f)
    if found.value is None or found.confidence < 0.25:
        fb = ex.fallback(concept, kind, f)
        if fb.value is not None and fb.confidence > found.confidence:
            found = fb
    if concept == "total" and found.value is not None:
        found = ex.check_total(found)
    if concept == "currency" and found.value is None:
        found = ex.fallback("currency", "currency", f)
    if concept is not None:
        ex.cache[key] = found
    if f.enum and found.value is not None:
        found = _to_enum(f, found)
    return found


def _party_field(ex: Extractor, f: FieldSpec, concept: str, kind: str) -> Found:
    """vendor.address / customer.phone...: look in the party's block first, then labels."""
    party, sub = concept.split(".", 1)
    name = ex.cache.get(party) or _find(ex, FieldSpec(name=party, path=party, type="string", concept=party))
    ex.cache[party] = name
    if name.tokens:
        row = ex.layout.rows[name.tokens[0].row]
        x0 = name.tokens[0].x0
        block = []
        for r in ex.layout.rows[row.index + 1 : row.index + 7]:
            if r.page != row.page or r.y0 - row.y1 > row.h * 2.0 * (len(block) + 1):
                break
            segs = [s for s in r.segments if abs(s[0].x0 - x0) < 3 * row.h]
            if not segs:
                continue
            block.append(segs[0])
        if sub == "address":
            lines = [s for s in block if not _is_contact(" ".join(t.text for t in s))]
            if lines:
                lines = lines[:3]
                return Found(", ".join(" ".join(t.text for t in s) for s in lines), 0.6, [t for s in lines for t in s])
        else:
            for s in block:
                parsed = ex.parse(kind, s, f)
                if parsed:
                    return Found(parsed[0], 0.7, parsed[1])
    found = ex.find(sub, kind, f)
    return found


def _is_contact(text: str) -> bool:
    return bool(re.search(r"@|\b(tel|phone|fax|e-?mail|www|vat|tax|ust|tva|iban|โทร|เลขประจำตัว)\b", text, re.IGNORECASE)) or bool(
        re.fullmatch(r"[\d\s+()\-./]{7,}", text)
    )


def _enum(ex: Extractor, f: FieldSpec) -> Found:
    found = ex.find(f.concept, "text", f)
    if found.value is not None:
        mapped = _to_enum(f, found)
        if mapped.value is not None:
            return mapped
    # any enum value printed anywhere: the first one
    for row in ex.layout.rows:
        low = row.text.lower()
        for option in f.enum or []:
            if isinstance(option, str) and option and re.search(r"(?<!\w)" + re.escape(option.lower()) + r"(?!\w)", low):
                return Found(option, 0.5, row.tokens)
    return NOT_FOUND


def _to_enum(f: FieldSpec, found: Found) -> Found:
    options = f.enum or []
    if found.value in options:
        return found
    text = str(found.value).lower()
    for option in options:
        if str(option).lower() == text:
            return Found(option, found.confidence, found.tokens)
    for option in options:
        if isinstance(option, str) and option and re.search(r"(?<!\w)" + re.escape(option.lower()) + r"(?!\w)", text):
            return Found(option, found.confidence * 0.9, found.tokens)
    code = coerce.parse_currency(str(found.value))
    if code in options:
        return Found(code, found.confidence, found.tokens)
    return Found(None, 0.0, [])


def _typed(ex: Extractor, f: FieldSpec, value: Any, type_: str) -> Any:
    """The found value as the schema's type (None when it cannot be)."""
    if value is None:
        return None
    if type_ in ("number", "integer"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        else:
            number = coerce.parse_amount(str(value), ex.habits)
            if number is None:
                return None
        return int(round(number)) if type_ == "integer" else number
    if type_ == "boolean":
        return value if isinstance(value, bool) else coerce.parse_bool(str(value))
    if f.format == "date" and isinstance(value, str):
        return coerce.parse_date(value, ex.habits) or value
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)
