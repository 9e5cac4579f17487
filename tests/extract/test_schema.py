"""Template schemas in both forms, and the presets."""

from __future__ import annotations

import pytest

from ocrdesk.extract import PRESETS, SchemaError, normalize_schema, preset


def test_full_and_bare_forms_agree():
    props = {
        "invoiceNumber": {"type": "string"},
        "total_amount": {"type": "number"},
        "issued": {"type": "string", "format": "date"},
        "items": {"type": "array", "items": {"type": "object", "properties": {"qty": {"type": "integer"}}}},
    }
    full = normalize_schema({"type": "object", "properties": props, "required": ["invoiceNumber"]})
    bare = normalize_schema(props)
    assert [(f.name, f.type, f.concept) for f in full] == [(f.name, f.type, f.concept) for f in bare]
    assert [f.concept for f in full[:3]] == ["doc_number", "total", "date"]
    assert full[0].required and not bare[0].required
    assert full[3].is_table and full[3].properties[0].type == "integer"


@pytest.mark.parametrize(
    ("name", "concept"),
    [("vendorName", "vendor"), ("seller", "vendor"), ("vendorTaxId", "vendor.tax_id"), ("customerAddress", "customer.address"),
     ("amountDue", "total"), ("grandTotal", "total"), ("subTotal", "subtotal"), ("vat", "tax"), ("dueDate", "due_date"),
     ("invoice_no", "doc_number"), ("receiptNumber", "doc_number"), ("currency", "currency"), ("sellerBranch", None)],
)
def test_property_names_name_concepts(name, concept):
    assert normalize_schema({name: {"type": "string"}})[0].concept == concept


def test_description_gives_labels():
    f = normalize_schema({"ref": {"type": "string", "description": 'the value printed after "Our ref"'}})[0]
    assert ("Our ref", 1.0) in f.labels


def test_bad_schemas():
    with pytest.raises(SchemaError):
        normalize_schema([1, 2])
    with pytest.raises(SchemaError):
        normalize_schema({})


@pytest.mark.parametrize("name", PRESETS)
def test_presets_load(name):
    schema = preset(name)
    assert schema["type"] == "object" and normalize_schema(schema)
