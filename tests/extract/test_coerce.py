"""Typed coercion: amounts, dates, currencies as printed on real documents."""

from __future__ import annotations

import pytest

from ocrdesk.extract.coerce import Habits, find_amounts, habits_of, parse_amount, parse_currency, parse_date, parse_int


@pytest.mark.parametrize(
    ("text", "habits", "want"),
    [
        ("$1,234.50", Habits(), 1234.5),
        ("1.234,50 €", Habits(decimal_comma=True), 1234.5),
        ("1 234,56 EUR", Habits(decimal_comma=True), 1234.56),
        ("(12.00)", Habits(), -12.0),
        ("-45.00", Habits(), -45.0),
        ("฿ ๑๒๐.๕๐", Habits(), 120.5),
        ("12,50", Habits(), 12.5),
        ("1,000", Habits(), 1000.0),
        ("Total: 99.90 EUR", Habits(), 99.9),
        ("VAT 7% 70.00", Habits(), 70.0),
        ("CHF 1'250.00", Habits(), 1250.0),
        ("INV-2024-001", Habits(), None),
        ("no amount here", Habits(), None),
    ],
)
def test_amounts(text, habits, want):
    assert parse_amount(text, habits) == want


def test_percent_is_flagged_and_codes_are_not_money():
    amounts = find_amounts("VAT 7% on 1,000.00 ref A12 INV-2024-001 12:30")
    assert [(a.value, a.percent) for a in amounts] == [(7.0, True), (1000.0, False)]
    assert parse_int("12 pcs") == 12


@pytest.mark.parametrize(
    ("text", "habits", "want"),
    [
        ("12/03/2024", Habits(day_first=True), "2024-03-12"),
        ("03/12/2024", Habits(day_first=False), "2024-03-12"),
        ("25/12/2024", Habits(day_first=False), "2024-12-25"),  # unambiguous wins over habit
        ("2024-03-12", Habits(), "2024-03-12"),
        ("March 12, 2024", Habits(), "2024-03-12"),
        ("12 Mar 2024", Habits(), "2024-03-12"),
        ("12. März 2024", Habits(), "2024-03-12"),
        ("1er mars 2024", Habits(), "2024-03-01"),
        ("12.03.24", Habits(), "2024-03-12"),
        ("12 มีนาคม 2567", Habits(thai=True), "2024-03-12"),  # Buddhist era
        ("12 มี.ค. 67", Habits(thai=True), "2024-03-12"),
        ("๑๒/๐๓/๒๕๖๗", Habits(thai=True), "2024-03-12"),  # Thai digits
        ("no date", Habits(), None),
        # OCR damage: dots read as colons/commas, a stray colon, a time glued on, split Thai abbreviations
        ("07:12:2023", Habits(), "2023-12-07"),
        ("06.01:2024", Habits(), "2024-01-06"),
        ("23: Nov. 2025", Habits(), "2025-11-23"),
        ("14, September 2024", Habits(), "2024-09-14"),
        ("07/12/202519:01", Habits(), "2025-12-07"),
        ("25 มิ. ย. 66", Habits(thai=True), "2023-06-25"),
        ("10:57 12,50", Habits(), None),  # a time and an amount are no date
    ],
)
def test_dates(text, habits, want):
    assert parse_date(text, habits) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [("€", "EUR"), ("US$", "USD"), ("$", "USD"), ("£", "GBP"), ("฿", "THB"), ("บาท", "THB"), ("Baht", "THB"), ("EUR", "EUR"), ("S$", "SGD"), ("xyz", None)],
)
def test_currencies(text, want):
    assert parse_currency(text) == want


def test_document_habits():
    assert habits_of("Summe 1.234,56 € Datum 25.03.2024").decimal_comma
    assert not habits_of("Total $1,234.56 on 03/25/2024").day_first
    assert habits_of("Total £1,234.56 on 03/04/2024").day_first
    th = habits_of("ยอดรวม 1,070.00 บาท")
    assert th.thai and th.currency == "THB"


def test_baht_sign_read_as_b():
    from ocrdesk.extract.coerce import parse_amount

    assert parse_amount("B975,136.90", Habits(thai=True)) == 975136.90
    assert parse_amount("B975", Habits()) is None  # a code, not money


def test_ocr_readings_of_singapore_dollars_and_date_order():
    """OCR reads "S$" as "$$": still Singapore dollars, and a day-first document."""
    assert parse_currency("$$31.49") == "SGD" and parse_currency("S$$5,765.36") == "SGD"
    assert parse_currency("$31.49") == "USD"
    assert habits_of("Date 12/07/2025 Total $$524.12").day_first
    assert habits_of("Date 12/07/2025 Total S$524.12").day_first
    assert not habits_of("Date 12/07/2025 Total $524.12").day_first
    assert parse_date("13/02/2024, 10:39", Habits()) == "2024-02-13"
    assert parse_date("15;12,.2022", Habits()) == "2022-12-15"
