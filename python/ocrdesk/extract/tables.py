"""Line items: a header row whose cells name the item schema's columns, rows until the totals.

Columns are placed from the header cells (boundaries halfway across the gaps between
them); each body token goes to the column its centre falls in. A row with no number in
any numeric column continues the previous item's description. Receipts often print no
header at all: then every row between the header block and the first total row that ends
in an amount is an item (text on the left, quantity from "2 x 3.50" or a leading count).
"""

from __future__ import annotations

import re
from typing import Any

from . import coerce
from .lexicon import CONCEPTS
from .offline import Extractor, Found, Match
from .schema import FieldSpec

__all__ = ["extract_table"]

_STOP_CONCEPTS = ("total", "subtotal", "tax", "discount", "paid", "terms", "closing_balance")
_NUMERIC = ("qty", "unit_price", "line_amount", "debit", "credit", "balance")


def _column_concept(prop: FieldSpec) -> str:
    c = prop.concept
    words = set(prop.words)
    if words & {"balance", "saldo", "solde"}:
        return "balance"
    if c in ("debit", "credit", "item_code"):
        return c
    if words & {"code", "sku", "ref", "reference"}:
        return "item_code"
    if c in ("total", "subtotal") or (words & {"amount", "total", "sum", "betrag", "montant"} and not words & {"unit", "price"}):
        return "line_amount"
    if c in ("qty", "unit_price", "description", "line_amount", "date", "tax"):
        return c
    if words & {"name", "item", "product", "description", "service", "article", "details", "desc", "title", "text", "memo", "narrative"}:
        return "description"
    if c == "other_date" or prop.format == "date":
        return "date"
    return f"field:{prop.path}"


def _value(ex: Extractor, prop: FieldSpec, concept: str, toks: list[Any]) -> Any:
    if not toks:
        return None
    text = " ".join(t.text for t in toks)
    if prop.type in ("number", "integer") or concept in _NUMERIC:
        amount = coerce.parse_amount(text, ex.habits)
        if amount is None:
            return None
        return int(round(amount)) if prop.type == "integer" else amount
    if prop.format == "date" or concept == "date":
        return coerce.parse_date(text, ex.habits) or text
    if prop.type == "boolean":
        return coerce.parse_bool(text)
    return text.strip()


def extract_table(ex: Extractor, spec: FieldSpec) -> Found:
    props = spec.properties
    concepts = {p.path: _column_concept(p) for p in props}
    wanted = set(concepts.values())
    # candidate header rows
    by_row: dict[int, list[Match]] = {}
    for m in ex.matches:
        c = m.concept
        if c == "total":
            c = "line_amount"
        if c in wanted or m.concept in wanted:
            m2 = Match(c if c in wanted else m.concept, m.strength, m.row, m.start, m.end, m.sim, m.chars)
            by_row.setdefault(m.row.index, []).append(m2)
    headers = []
    for idx, ms in by_row.items():
        distinct = {m.concept for m in ms}
        if len(distinct) >= 2 and distinct & {"description", "line_amount", "unit_price", "qty", "debit", "credit"}:
            headers.append((idx, ms))
    items: list[dict[str, Any]] = []
    used_toks: list[Any] = []
    confs: list[float] = []
    seen_pages: set[int] = set()
    for idx, ms in sorted(headers):
        row = ex.layout.rows[idx]
        if row.page in seen_pages:
            continue
        seen_pages.add(row.page)
        got = _rows_under(ex, props, concepts, idx, ms)
        for item, toks in got:
            items.append(item)
            used_toks.extend(toks)
            confs.append(sum(t.conf for t in toks) / max(1, len(toks)) / 100.0)
    if not items and {"description", "line_amount"} & wanted:
        for item, toks in _headerless(ex, props, concepts):
            items.append(item)
            used_toks.extend(toks)
            confs.append(0.6 * sum(t.conf for t in toks) / max(1, len(toks)) / 100.0)
    if not items:
        return Found([], 0.0, [])
    conf = 0.85 * sum(confs) / len(confs)
    return Found(items, conf, used_toks)


def _rows_under(ex: Extractor, props: list[FieldSpec], concepts: dict[str, str], idx: int, ms: list[Match]):
    header = ex.layout.rows[idx]
    # one header cell per column concept: the leftmost match of it
    cells: dict[str, tuple[float, float]] = {}
    for m in sorted(ms, key=lambda m: m.x0):
        if m.concept not in cells:
            # widen to the whole header segment (e.g. "Unit price (EUR)")
            seg = header.segments[header.tokens[m.start].seg]
            cells[m.concept] = (min(m.x0, seg[0].x0), max(m.x1, seg[-1].x1))
    cols = sorted(cells.items(), key=lambda kv: kv[1][0])
    bounds: list[tuple[str, float, float]] = []
    for i, (c, (x0, x1)) in enumerate(cols):
        left = -1e9 if i == 0 else (cols[i - 1][1][1] + x0) / 2
        right = 1e9 if i == len(cols) - 1 else (x1 + cols[i + 1][1][0]) / 2
        bounds.append((c, left, right))
    out: list[tuple[dict[str, Any], list[Any]]] = []
    pending_desc: list[Any] = []
    last_y = header.y1
    h = header.h
    for row in ex.layout.rows[idx + 1 :]:
        if row.page != header.page or row.y0 - last_y > 4.5 * h:
            break
        first = row.tokens[0]
        starts = [m for m in ex.matches if m.row is row and m.start == 0]
        if any(m.concept in _STOP_CONCEPTS for m in starts):
            break
        cells_tokens: dict[str, list[Any]] = {c: [] for c, _, _ in bounds}
        for t in row.tokens:
            for c, left, right in bounds:
                if left <= t.cx < right:
                    cells_tokens[c].append(t)
                    break
        numeric = any(
            coerce.find_amounts(" ".join(t.text for t in cells_tokens.get(c, [])), ex.habits) for c in _NUMERIC if c in cells_tokens
        )
        if not numeric:
            if any(m.concept in _STOP_CONCEPTS for m in ex.matches if m.row is row):
                break
            desc = cells_tokens.get("description") or row.tokens
            if out and row.y0 - last_y < 1.2 * h:
                item, toks = out[-1]
                for p in props:
                    if concepts[p.path] == "description" and isinstance(item.get(p.name), str):
                        item[p.name] = item[p.name] + " " + " ".join(t.text for t in desc)
                toks.extend(desc)
            else:
                pending_desc = list(desc)
            last_y = row.y1
            continue
        item: dict[str, Any] = {}
        toks_all: list[Any] = []
        for p in props:
            c = concepts[p.path]
            toks = cells_tokens.get(c, [])
            if c == "description" and pending_desc:
                toks = pending_desc + toks
            item[p.name] = _value(ex, p, c, toks)
            toks_all.extend(toks)
        pending_desc = []
        _fill_missing_numbers(item, props, concepts)
        out.append((item, toks_all or list(row.tokens)))
        last_y = row.y1
        del first
    return out


def _fill_missing_numbers(item: dict[str, Any], props: list[FieldSpec], concepts: dict[str, str]) -> None:
    """qty x unit price = amount: fill the one that is missing when the other two are there."""
    names = {concepts[p.path]: p for p in props}
    q, u, a = (names.get(c) for c in ("qty", "unit_price", "line_amount"))
    if not (q and u and a):
        return
    qv, uv, av = item.get(q.name), item.get(u.name), item.get(a.name)
    try:
        if av is None and qv is not None and uv is not None:
            item[a.name] = round(qv * uv, 2)
        elif uv is None and qv and av is not None:
            item[u.name] = round(av / qv, 2)
        elif qv is None and uv and av is not None and abs(av / uv - round(av / uv)) < 1e-6:
            item[q.name] = int(round(av / uv)) if q.type == "integer" else float(round(av / uv))
    except (TypeError, ZeroDivisionError):
        pass


_QTY_X = re.compile(r"(?<![\d.,])(\d+(?:[.,]\d+)?)\s*(?:x|×|@|X)\s*")


def _headerless(ex: Extractor, props: list[FieldSpec], concepts: dict[str, str]):
    rows = ex.layout.rows
    if not rows:
        return []
    stop = len(rows)
    for m in ex.matches:
        if m.concept in ("total", "subtotal") and m.start == 0 and m.row.index < stop:
            stop = m.row.index
    start = 0
    for m in ex.matches:
        if m.concept in ("doc_number", "date", "customer", "vendor", "phone", "tax_id", "address") and m.row.index < stop:
            start = max(start, m.row.index + 1)
    out = []
    for row in rows[start:stop]:
        text = row.text
        if any(m.row is row and m.start == 0 and m.concept not in ("description",) for m in ex.matches):
            continue
        last = row.segments[-1]
        amount = coerce.parse_amount(" ".join(t.text for t in last), ex.habits)
        if amount is None or len(row.segments) < 2 and len(row.tokens) < 2:
            continue
        desc_toks = [t for t in row.tokens if t not in last and re.search(r"[^\W\d_]{2,}", t.text)]
        if not desc_toks:
            continue
        qty = None
        mm = _QTY_X.search(text)
        if mm:
            qty = coerce.parse_amount(mm.group(1), ex.habits)
        elif re.match(r"^\d{1,3}\s", text) and len(row.tokens) > 2:
            qty = float(row.tokens[0].text)
        item: dict[str, Any] = {}
        for p in props:
            c = concepts[p.path]
            if c == "description":
                item[p.name] = " ".join(t.text for t in desc_toks)
            elif c == "line_amount":
                item[p.name] = int(round(amount)) if p.type == "integer" else amount
            elif c == "qty":
                item[p.name] = (int(qty) if p.type == "integer" else qty) if qty is not None else None
            elif c == "unit_price":
                nums = [a.value for a in coerce.find_amounts(text, ex.habits) if not a.percent]
                item[p.name] = nums[-2] if qty is not None and len(nums) >= 3 else (amount if qty in (None, 1) else None)
            else:
                item[p.name] = None
        _fill_missing_numbers(item, props, concepts)
        out.append((item, list(row.tokens)))
    return out


del CONCEPTS
