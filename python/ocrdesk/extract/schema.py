"""Template schemas -> a tree of :class:`FieldSpec`, in either form SPEC §5 allows.

``{"type": "object", "properties": {...}, "required": [...]}`` or the bare properties map
``{"invoiceNumber": {"type": "string"}, ...}``. Each field gets the business concept its
name (or description) names, and the printed labels its name, description and an optional
``x-labels`` list suggest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .lexicon import CONCEPTS, concept_for_words, split_name

__all__ = ["FieldSpec", "SchemaError", "normalize_schema", "properties_of"]

_TYPES = {"string", "number", "integer", "boolean", "object", "array", "null"}


class SchemaError(ValueError):
    """The template schema is not a JSON Schema object or properties map."""


@dataclass
class FieldSpec:
    name: str
    path: str  # dotted, for nested objects: "vendor.name"
    type: str
    format: str | None = None
    description: str = ""
    pattern: str | None = None
    enum: list[Any] | None = None
    required: bool = False
    properties: list["FieldSpec"] = field(default_factory=list)  # object, or the items of an array of objects
    item_type: str | None = None  # array of scalars
    concept: str | None = None
    labels: list[tuple[str, float]] = field(default_factory=list)
    words: list[str] = field(default_factory=list)

    @property
    def is_table(self) -> bool:
        return self.type == "array" and bool(self.properties)


def properties_of(schema: Any) -> tuple[dict[str, Any], list[str]]:
    """(properties, required) of a full schema or a bare properties map."""
    if not isinstance(schema, dict):
        raise SchemaError("templateSchema must be a JSON object")
    props = schema.get("properties")
    if isinstance(props, dict) and (
        schema.get("type") in ("object", None)
        and (schema.get("type") == "object" or not _looks_like_property(props) or set(schema) <= {"properties", "required", "title", "description", "$schema", "additionalProperties", "$id", "definitions", "$defs"})
    ):
        required = schema.get("required") or []
        return props, [r for r in required if isinstance(r, str)]
    required = [k for k, v in schema.items() if isinstance(v, dict) and v.get("required") is True]
    # "x-..." settings beside the properties ("x-lang", "x-extractor") are not fields
    return {k: v for k, v in schema.items() if not k.startswith("$") and not (k.startswith("x-") and not isinstance(v, dict))}, required


def _looks_like_property(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("type"), str) and value.get("type") in _TYPES


def _type_of(spec: dict[str, Any]) -> str:
    t = spec.get("type")
    if isinstance(t, list):  # ["string", "null"]
        t = next((x for x in t if x != "null"), "string")
    if t in _TYPES and t != "null":
        return str(t)
    if "properties" in spec:
        return "object"
    if "items" in spec:
        return "array"
    if "enum" in spec and spec["enum"] and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in spec["enum"]):
        return "number"
    return "string"


_QUOTED = re.compile(r"[\"“‘']([^\"”’']{2,40})[\"”’']")


def _labels(words: list[str], spec: dict[str, Any]) -> list[tuple[str, float]]:
    labels: list[tuple[str, float]] = []
    if words:
        labels.append((" ".join(words), 0.9))
    for extra in spec.get("x-labels") or spec.get("x-ocrdesk-labels") or []:
        if isinstance(extra, str) and extra.strip():
            labels.append((extra.strip(), 1.0))
    title = spec.get("title")
    if isinstance(title, str) and 0 < len(title.split()) <= 5:
        labels.append((title, 0.95))
    desc = spec.get("description")
    if isinstance(desc, str):
        for quoted in _QUOTED.findall(desc):
            labels.append((quoted, 1.0))
        short = desc.strip().rstrip(".")
        if 0 < len(short.split()) <= 4:
            labels.append((short, 0.85))
    return labels


def _field(name: str, spec: Any, parent: FieldSpec | None, required: bool) -> FieldSpec:
    if isinstance(spec, str):
        spec = {"type": spec}
    if not isinstance(spec, dict):
        spec = {}
    path = f"{parent.path}.{name}" if parent else name
    words = split_name(name)
    desc = spec.get("description") if isinstance(spec.get("description"), str) else ""
    f = FieldSpec(
        name=name,
        path=path,
        type=_type_of(spec),
        format=spec.get("format") if isinstance(spec.get("format"), str) else None,
        description=desc or "",
        pattern=spec.get("pattern") if isinstance(spec.get("pattern"), str) else None,
        enum=list(spec["enum"]) if isinstance(spec.get("enum"), list) else None,
        required=required,
        words=words,
    )
    # The concept: the name with its parent's words ("vendor" + "name"), the name alone, the description.
    candidates = []
    if parent is not None and parent.type == "object":
        candidates.append(parent.words + words)
    candidates.append(words)
    if desc:
        candidates.append(split_name(desc)[:8])
    for ws in candidates:
        concept = concept_for_words(ws)
        if concept is not None:
            if parent is not None and parent.type == "object" and parent.concept in ("vendor", "customer"):
                concept = _party_field(parent.concept, concept, words)
            f.concept = concept
            break
    party = _party_of(words)
    if party and parent is None:
        f.concept = party
    if f.concept == "none":
        f.concept = None
    if f.format == "date" and (f.concept is None or CONCEPTS[f.concept].kind != "date"):
        f.concept = "date" if f.concept in (None, "doc_number") else f.concept
    f.labels = _labels(words, spec)
    if f.type == "object":
        props, req = properties_of({"type": "object", **spec}) if "properties" in spec else ({}, [])
        f.properties = [_field(k, v, f, k in req) for k, v in props.items()]
    elif f.type == "array":
        items = spec.get("items") if isinstance(spec.get("items"), dict) else {}
        if _type_of(items) == "object" and isinstance(items.get("properties"), dict):
            req = items.get("required") or []
            f.properties = [_field(k, v, f, k in req) for k, v in items["properties"].items()]
        else:
            f.item_type = _type_of(items) if items else "string"
    return f


_VENDOR_WORDS = {"vendor", "seller", "supplier", "merchant", "issuer", "store", "shop", "company", "provider"}
_CUSTOMER_WORDS = {"customer", "buyer", "client", "billto", "recipient", "purchaser"}
_ATTRS = {
    "address": "address", "addr": "address", "phone": "phone", "tel": "phone", "telephone": "phone", "mobile": "phone",
    "email": "email", "mail": "email", "tax": "tax_id", "vat": "tax_id", "taxid": "tax_id", "tin": "tax_id",
}


def _party_of(words: list[str]) -> str | None:
    """``vendorAddress`` -> "vendor.address", ``vendorName`` -> "vendor", ``sellerBranch`` -> None."""
    ws = set(words)
    party = "vendor" if ws & _VENDOR_WORDS else "customer" if ws & _CUSTOMER_WORDS or words[:2] == ["bill", "to"] else None
    if party is None:
        return None
    rest = [w for w in words if w not in _VENDOR_WORDS | _CUSTOMER_WORDS | {"bill", "to", "name", "company", "legal", "registered", "full"}]
    if not rest:
        return party
    attrs = {_ATTRS[w] for w in rest if w in _ATTRS}
    if len(attrs) == 1 and all(w in _ATTRS or w in ("id", "number", "no", "num", "identification") for w in rest):
        return f"{party}.{attrs.pop()}"
    return "none"


def _party_field(party: str, concept: str, words: list[str]) -> str:
    """Fields of a vendor/customer object: its name is the party itself; the rest keep their concept."""
    if concept in ("full_name", "vendor", "customer", "description") or words in (["name"], ["company"], ["company", "name"]):
        return party
    if concept in ("address", "phone", "email", "tax_id"):
        return f"{party}.{concept}"
    return concept


def normalize_schema(schema: Any) -> list[FieldSpec]:
    """The fields of a template schema (either form), in schema order."""
    props, required = properties_of(schema)
    if not props:
        raise SchemaError("templateSchema has no properties")
    return [_field(name, spec, None, name in required) for name, spec in props.items()]
