"""Optional extractor: an OpenAI-compatible chat-completions endpoint fills the schema.

Off unless configured: ``OCRDESK_LLM_BASE_URL`` (e.g. ``http://127.0.0.1:11434/v1``) and
``OCRDESK_LLM_MODEL`` must both be set; ``OCRDESK_LLM_API_KEY`` (sent as a Bearer token)
and ``OCRDESK_LLM_TIMEOUT`` (seconds, default 60) are optional. The request carries the
template's JSON Schema as ``response_format`` (``json_schema``), the template's
``instructions`` and the OCR text. A timeout, an HTTP error or output that is not a JSON
object of the schema falls back to the offline extractor, with the reason in
``_meta.note``. Values the model gives are located in the word boxes for ``page``/``bbox``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

from .schema import FieldSpec

__all__ = ["LlmConfig", "extract_llm"]

_MAX_TEXT_CHARS = 24000


@dataclass(frozen=True)
class LlmConfig:
    base_url: str
    model: str
    api_key: str | None = None
    timeout: float = 60.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "LlmConfig | None":
        env = dict(os.environ) if env is None else env
        base, model = env.get("OCRDESK_LLM_BASE_URL", "").strip(), env.get("OCRDESK_LLM_MODEL", "").strip()
        if not base or not model:
            return None
        try:
            timeout = float(env.get("OCRDESK_LLM_TIMEOUT", "60"))
        except ValueError:
            timeout = 60.0
        return cls(base.rstrip("/"), model, env.get("OCRDESK_LLM_API_KEY") or None, timeout)


def _json_schema(schema: Any) -> dict[str, Any]:
    from .schema import properties_of

    props, required = properties_of(schema)
    clean = {k: v for k, v in props.items() if not k.startswith("x-")}
    return {"type": "object", "properties": clean, "required": required}


def _request(config: LlmConfig, schema: Any, text: str, instructions: str | None) -> dict[str, Any]:
    system = (
        "You extract structured data from OCR text of a business document. Answer with one JSON object "
        "that follows the given JSON Schema: every property present, null when the document does not "
        "contain it, dates as YYYY-MM-DD, numbers without currency symbols or thousands separators, "
        "currencies as ISO 4217 codes."
    )
    if instructions:
        system += "\n\nInstructions from the template:\n" + instructions
    return {
        "model": config.model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": "OCR text:\n\n" + text[:_MAX_TEXT_CHARS]},
        ],
        "response_format": {"type": "json_schema", "json_schema": {"name": "extraction", "schema": _json_schema(schema)}},
    }


def _parse_content(content: str) -> dict[str, Any]:
    content = content.strip()
    fenced = re.match(r"^```(?:json)?\s*(.*?)\s*```$", content, re.DOTALL)
    if fenced:
        content = fenced.group(1)
    value = json.loads(content)
    if not isinstance(value, dict):
        raise ValueError("the model's answer is not a JSON object")
    return value


def extract_llm(doc: Any, schema: Any, fields: list[FieldSpec], config: LlmConfig, *, instructions: str | None = None) -> dict[str, Any]:
    """Ask the model; fall back to the offline extractor on any failure (noted in ``_meta``)."""
    import httpx

    from . import extract_offline

    headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
    try:
        response = httpx.post(
            f"{config.base_url}/chat/completions",
            json=_request(config, schema, doc.text, instructions),
            headers=headers,
            timeout=config.timeout,
        )
        response.raise_for_status()
        content = response.json()["choices"][0]["message"]["content"]
        answer = _parse_content(content)
    except httpx.TimeoutException:
        return _fallback(doc, schema, fields, "llm timed out")
    except httpx.HTTPError as exc:
        return _fallback(doc, schema, fields, f"llm request failed: {type(exc).__name__}")
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        return _fallback(doc, schema, fields, f"llm answer invalid: {str(exc)[:120]}")
    try:
        return _typed_result(doc, fields, answer, config)
    except (TypeError, ValueError) as exc:
        return _fallback(doc, schema, fields, f"llm answer invalid: {str(exc)[:120]}")



def _fallback(doc: Any, schema: Any, fields: list[FieldSpec], note: str) -> dict[str, Any]:
    from . import extract_offline

    result = extract_offline(doc, schema, fields=fields)
    result["_meta"]["note"] = f"{note}; offline extractor used"
    return result


def _typed_result(doc: Any, fields: list[FieldSpec], answer: dict[str, Any], config: LlmConfig) -> dict[str, Any]:
    """Check the answer against the schema types; find each value's box in the OCR words."""
    from . import coerce
    from .layout import build_layout

    layout = build_layout(doc)
    habits = coerce.habits_of(layout.text)
    if not any(f.name in answer for f in fields):
        raise ValueError("no schema property in the answer")
    out: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    for f in fields:
        value = answer.get(f.name)
        value = _coerce(f, value, habits)
        out[f.name] = value
        meta[f.name] = _locate(layout, value)
    out["_meta"] = {"extractor": "llm", "model": config.model, "fields": meta}
    return out


def _coerce(f: FieldSpec, value: Any, habits: Any) -> Any:
    from . import coerce

    if value is None:
        return [] if f.type == "array" else None
    if f.type in ("number", "integer"):
        if isinstance(value, bool):
            raise ValueError(f"{f.name}: boolean for a number")
        number = float(value) if isinstance(value, (int, float)) else coerce.parse_amount(str(value), habits)
        if number is None:
            raise ValueError(f"{f.name}: not a number")
        return int(round(number)) if f.type == "integer" else number
    if f.type == "boolean":
        return value if isinstance(value, bool) else coerce.parse_bool(str(value))
    if f.type == "array":
        if not isinstance(value, list):
            raise ValueError(f"{f.name}: not an array")
        if f.properties:
            return [{p.name: _coerce(p, (row or {}).get(p.name) if isinstance(row, dict) else None, habits) for p in f.properties} for row in value]
        return value
    if f.type == "object":
        if not isinstance(value, dict):
            raise ValueError(f"{f.name}: not an object")
        return {p.name: _coerce(p, value.get(p.name), habits) for p in f.properties}
    if f.format == "date":
        return coerce.parse_date(str(value), habits) or str(value)
    return str(value)


def _locate(layout: Any, value: Any) -> dict[str, Any]:
    if value is None or isinstance(value, (list, dict)) or value == "":
        return {"confidence": 0.0 if value in (None, "", []) else 0.8, "page": None, "bbox": None}
    needle = re.sub(r"\W+", "", str(value)).lower()
    if isinstance(value, float):
        needle = f"{value:.2f}".replace(".", "")
    for row in layout.rows:
        for seg in row.segments:
            hay = re.sub(r"\W+", "", " ".join(t.text for t in seg)).lower()
            if needle and needle in hay:
                return {
                    "confidence": 0.9,
                    "page": row.page,
                    "bbox": [min(t.bbox[0] for t in seg), min(t.bbox[1] for t in seg), max(t.bbox[2] for t in seg), max(t.bbox[3] for t in seg)],
                }
    return {"confidence": 0.7, "page": None, "bbox": None}
