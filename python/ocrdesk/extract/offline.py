"""The offline extractor: labels -> nearby values -> typed fields, with confidence and box.

For each field: find every printed label of its concept (and of the field's own name and
description) in the rows, look for a value of the right kind in the rest of the label's
segment, in the next segments of the row, and in the rows just below it; score each
candidate (label strength x where the value sat x how well it parsed x OCR confidence),
keep the best. Fields no label finds fall back on document-wide evidence: the largest
amount on a "total" row, the top-most date, the company name in the header, the currency
the document's amounts are written in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from . import coerce
from .coerce import Habits
from .layout import Layout, Row, Token
from .lexicon import CONCEPTS, TABLE_CONCEPTS, LabelEntry, label_entries, norm_token
from .schema import FieldSpec

__all__ = ["Match", "Found", "Extractor"]


@dataclass
class Match:
    """A label found in a row: tokens [start, end) of ``row``."""

    concept: str
    strength: float
    row: Row
    start: int
    end: int
    sim: float = 1.0
    chars: int = 0

    @property
    def tokens(self) -> list[Token]:
        return self.row.tokens[self.start : self.end]

    @property
    def x0(self) -> float:
        return self.row.tokens[self.start].x0

    @property
    def x1(self) -> float:
        return self.row.tokens[self.end - 1].x1


@dataclass
class Found:
    value: Any
    confidence: float
    tokens: list[Token]
    raw: str = ""

    def meta(self) -> dict[str, Any]:
        if not self.tokens:
            return {"confidence": round(self.confidence, 2), "page": None, "bbox": None}
        page = self.tokens[0].page
        toks = [t for t in self.tokens if t.page == page]
        return {
            "confidence": round(max(0.0, min(1.0, self.confidence)), 2),
            "page": page,
            "bbox": [min(t.bbox[0] for t in toks), min(t.bbox[1] for t in toks), max(t.bbox[2] for t in toks), max(t.bbox[3] for t in toks)],
        }


NOT_FOUND = Found(None, 0.0, [])

_TITLE_WORDS = {
    "invoice", "tax invoice", "receipt", "rechnung", "facture", "quittung", "reçu", "bill", "statement", "purchase order",
    "sales receipt", "credit note", "kassenbon", "ticket", "original", "copy", "page", "ใบกำกับภาษี", "ใบเสร็จรับเงิน",
}
_COMPANY_RE = re.compile(
    r"\b(ltd|limited|inc|incorporated|llc|llp|plc|corp|corporation|co\.?|company|gmbh|ag|kg|ohg|ug|e\.?k|sarl|s\.?a\.?r\.?l|sas|s\.?a|"
    r"sa|eurl|bv|b\.v|nv|oy|ab|as|srl|s\.?r\.?l|spa|pty|pte|sdn\s?bhd|bhd|group|holdings|trading|store|shop|mart|market|restaurant|cafe|café|"
    r"hotel|services|solutions|enterprises|industries|studio|partners|associates)\b\.?",
    re.IGNORECASE,
)
_THAI_COMPANY_RE = re.compile(r"บริษัท|จำกัด|ห้างหุ้นส่วน|หจก|บจก|ร้าน|มหาชน")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE_RE = re.compile(r"(?:\+|\()?\d[\d\s\-().\/]{6,}\d")
_URL_RE = re.compile(r"(?:https?://|www\.)\S+|\S+\.(?:com|net|org|de|fr|co\.th|th|io|eu)\b", re.IGNORECASE)
_ID_TOKEN = re.compile(r"^[#№]?[A-Za-z0-9][A-Za-z0-9\-/._#]*$")
_DIGIT = re.compile(r"\d")


def _sim_vocab(vocab: set[str]) -> dict[str, str]:
    """One-deletion neighbourhoods of the label vocabulary (for edit distance 1 lookups)."""
    out: dict[str, str] = {}
    for word in vocab:
        if len(word) < 4:
            continue
        for i in range(len(word)):
            out.setdefault(word[:i] + word[i + 1 :], word)
    return out


class Extractor:
    """The offline extractor over one document's layout."""

    def __init__(self, layout: Layout, fields: list[FieldSpec]) -> None:
        self.layout = layout
        self.fields = fields
        self.habits: Habits = coerce.habits_of(layout.text)
        extra: dict[str, list[tuple[str, float]]] = {}
        for f in _walk(fields):
            if f.labels:
                extra[f"field:{f.path}"] = f.labels
        self.entries = label_entries(extra)
        self.matches = self._find_matches()
        self.by_concept: dict[str, list[Match]] = {}
        for m in self.matches:
            self.by_concept.setdefault(m.concept, []).append(m)
        self.starts: dict[int, set[int]] = {}  # row -> token indices where a label starts
        for m in self.matches:
            self.starts.setdefault(m.row.index, set()).add(m.start)
        self.header_rows = self._table_header_rows()
        self.cache: dict[str, Found] = {}

    # ------------------------------------------------------------------ label matching
    def _find_matches(self) -> list[Match]:
        vocab = {t for e in self.entries if not e.thai for t in e.tokens}
        near = _sim_vocab(vocab)
        by_first: dict[str, list[LabelEntry]] = {}
        thai_entries: list[LabelEntry] = []
        for e in self.entries:
            if e.thai:
                thai_entries.append(e)
            else:
                by_first.setdefault(e.tokens[0], []).append(e)
        out: list[Match] = []
        for row in self.layout.rows:
            canon: list[str] = []
            sims: list[float] = []
            for tok in row.tokens:
                n = tok.norm
                if n in vocab or len(n) < 4 or tok.conf >= 99.5 or _DIGIT.search(n):
                    canon.append(n)
                    sims.append(1.0)
                    continue
                hit = near.get(n)
                if hit is None:
                    for i in range(len(n)):
                        hit = near.get(n[:i] + n[i + 1 :]) or (n[:i] + n[i + 1 :] if n[:i] + n[i + 1 :] in vocab else None)
                        if hit:
                            break
                canon.append(hit or n)
                sims.append(0.85 if hit else 1.0)
            found: list[Match] = []
            n_tok = len(row.tokens)
            for i in range(n_tok):
                seg = row.tokens[i].seg
                for e in by_first.get(canon[i], ()):
                    k = len(e.tokens)
                    if i + k > n_tok or any(row.tokens[i + j].seg != seg for j in range(k)):
                        continue
                    if all(canon[i + j] == e.tokens[j] for j in range(k)):
                        sim = min(sims[i : i + k])
                        found.append(Match(e.concept, e.strength, row, i, i + k, sim, sum(len(t) for t in e.tokens)))
                if "\u0e00" <= (row.tokens[i].norm[:1] or " ") <= "\u0e7f":
                    found.extend(self._thai_matches(row, i, thai_entries))
            out.extend(_longest(found))
        return out

    def _thai_matches(self, row: Row, i: int, entries: list[LabelEntry]) -> list[Match]:
        text = row.tokens[i].norm
        joined = text
        spans = [(text, i + 1)]
        for j in range(i + 1, min(len(row.tokens), i + 3)):
            if row.tokens[j].seg != row.tokens[i].seg:
                break
            joined += row.tokens[j].norm
            spans.append((joined, j + 1))
        out = []
        for e in entries:
            label = e.tokens[0] if len(e.tokens) == 1 else "".join(e.tokens)
            for cand, end in spans:
                if cand == label:
                    out.append(Match(e.concept, e.strength, row, i, end, 1.0, len(label) + 1))
                    break
            else:
                if len(label) >= 3 and text.startswith(label) and len(text) > len(label):
                    out.append(Match(e.concept, e.strength, row, i, i + 1, 0.95, len(label)))
                elif len(label) >= 4 and text.endswith(label) and len(text) > len(label):
                    out.append(Match(e.concept, e.strength * 0.9, row, i, i + 1, 0.9, len(label)))
        return out

    def _table_header_rows(self) -> set[int]:
        rows: set[int] = set()
        per_row: dict[int, set[str]] = {}
        for m in self.matches:
            if m.concept in TABLE_CONCEPTS or m.concept == "total":
                per_row.setdefault(m.row.index, set()).add(m.concept)
        for idx, concepts in per_row.items():
            if len(concepts & set(TABLE_CONCEPTS)) >= 2:
                rows.add(idx)
        return rows

    # ------------------------------------------------------------------ value search
    def _label_factor(self, m: Match) -> float:
        """How label-like this occurrence is: starts a segment, ends with a colon."""
        f = 1.0
        first = m.row.tokens[m.start]
        seg_start = m.start == 0 or m.row.tokens[m.start - 1].seg != first.seg
        if not seg_start:
            before = m.row.tokens[m.start - 1].text
            f *= 0.85 if before.endswith((":", "/", "|", ")")) else 0.6
        last = m.row.tokens[m.end - 1].text
        if last.endswith((":", "：")) or (m.end < len(m.row.tokens) and m.row.tokens[m.end].text in (":", "：", "-")):
            f *= 1.1
        return f

    def _stop(self, row: Row, idx: int, concept: str, own: set[str]) -> bool:
        return idx in self.starts.get(row.index, set()) and not any(
            mm.concept in own for mm in self.matches if mm.row is row and mm.start == idx
        )

    def candidates(self, m: Match, own: set[str], below_rows: int = 2) -> list[tuple[list[Token], float, str]]:
        """Token runs that may hold the value of label ``m``: (tokens, place weight, place)."""
        row = m.row
        out: list[tuple[list[Token], float, str]] = []
        # 1. the rest of the label's segment, then the next segments of the row
        toks = row.tokens
        i = m.end
        seg = toks[m.end - 1].seg
        run: list[Token] = []
        while i < len(toks) and toks[i].seg == seg and not self._stop(row, i, m.concept, own):
            run.append(toks[i])
            i += 1
        run = [t for t in run if t.text not in (":", "：", "-", "#", "|")]
        if run:
            out.append((run, 1.0, "right"))
        stopped = i < len(toks) and toks[i].seg == seg
        if not stopped:
            page_w = self.layout.page_size(row.page)[0]
            for k, s in enumerate(range(seg + 1, min(len(row.segments), seg + 3))):
                segtoks = row.segments[s]
                first = segtoks[0]
                if first.idx in self.starts.get(row.index, set()):
                    break
                run = []
                for t in segtoks:
                    if t.idx != first.idx and self._stop(row, t.idx, m.concept, own):
                        break
                    run.append(t)
                run = [t for t in run if t.text not in (":", "：", "-", "#", "|")]
                if run:
                    dist = first.x0 - m.x1
                    w = (0.95 if k == 0 else 0.75) * (0.85 if dist > 0.35 * page_w else 1.0)
                    out.append((run, w, "right"))
                if run and not out[:-1]:
                    pass
        # the rest of the row as one run: values a wide-spaced font split into segments
        rest = []
        for t in toks[m.end :]:
            if self._stop(row, t.idx, m.concept, own):
                break
            rest.append(t)
        if len(rest) > 1 and rest[-1].seg != rest[0].seg:
            out.append(([t for t in rest if t.text not in (":", "：", "-", "#", "|")], 0.85, "right"))
        # 2. below: rows under the label, the segment overlapping the label's span
        h = max(row.h, 1.0)
        lx0, lx1 = m.x0 - 0.5 * h, max(m.x1, m.x0 + 4 * h)
        taken = 0
        for r in self.layout.rows[row.index + 1 : row.index + 8]:
            if r.page != row.page or r.y0 - row.y1 > h * (2.2 + 1.6 * taken):
                break
            hits = [seg for seg in r.segments if seg[-1].x1 >= lx0 and seg[0].x0 <= lx1]
            if not hits:
                continue
            segtoks = min(hits, key=lambda s: abs(s[0].x0 - m.x0))
            if segtoks[0].idx in self.starts.get(r.index, set()):
                break  # another label: the block below is someone else's
            run = []
            for t in segtoks:
                if t.idx != segtoks[0].idx and self._stop(r, t.idx, m.concept, own):
                    break
                run.append(t)
            out.append((run, 0.85 if taken == 0 else 0.6, "below"))
            taken += 1
            if taken >= below_rows:
                break
        return out

    # ------------------------------------------------------------------ parsing runs
    def parse(self, kind: str, toks: list[Token], spec: FieldSpec | None) -> tuple[Any, list[Token], float] | None:
        """(value, the tokens it came from, parse quality) or None when the run holds no such value."""
        text = " ".join(t.text for t in toks)
        if not text.strip():
            return None
        if kind == "amount":
            spans = _char_spans(toks)
            amounts = [a for a in coerce.find_amounts(text, self.habits) if not a.percent]
            if not amounts:
                return None
            dec = [a for a in amounts if a.has_decimals]
            a = dec[-1] if dec else amounts[-1]
            q = 1.0 if a.has_decimals else 0.8
            return a.value, _covering(spans, a.start, a.end) or toks, q
        if kind == "date":
            dates = coerce.find_dates(text, self.habits)
            if not dates:
                return None
            d = dates[0]
            return d.value.isoformat(), _covering(_char_spans(toks), d.start, d.end) or toks, 0.9 if d.ambiguous else 1.0
        if kind == "currency":
            code = coerce.parse_currency(text)
            if code is None:
                return None
            return code, toks, 1.0
        if kind == "email":
            mm = _EMAIL_RE.search(text)
            return (mm.group(0), _covering(_char_spans(toks), mm.start(), mm.end()) or toks, 1.0) if mm else None
        if kind == "phone":
            mm = _PHONE_RE.search(coerce.thai_digits(text))
            if not mm or len(re.sub(r"\D", "", mm.group(0))) < 6:
                return None
            return mm.group(0).strip(), _covering(_char_spans(toks), mm.start(), mm.end()) or toks, 1.0
        if kind in ("id", "taxid"):
            if spec is not None and spec.pattern:
                try:
                    mm = re.search(spec.pattern.strip("^$"), text)
                except re.error:
                    mm = None
                if mm:
                    return mm.group(0), _covering(_char_spans(toks), mm.start(), mm.end()) or toks, 1.0
                return None
            if kind == "taxid":
                mm = re.search(r"[A-Z]{0,4}[\s\-]?\d[\d\s\-./]{4,}\d", coerce.thai_digits(text))
                if mm:
                    return mm.group(0).strip(), _covering(_char_spans(toks), mm.start(), mm.end()) or toks, 1.0
                return None
            for t in toks[:4]:
                raw = coerce.thai_digits(t.text).strip(":;,.()[]")
                raw = raw.lstrip("#№").strip()
                if len(raw) < 2 or not _DIGIT.search(raw) or not _ID_TOKEN.match(raw):
                    continue
                if coerce.find_dates(raw, self.habits) and not re.search(r"[A-Za-z]", raw):
                    continue
                if re.fullmatch(r"\d{1,3}([,.]\d{3})*[.,]\d{2}", raw):
                    continue  # an amount
                # Codes printed with spaces ("INV 2024 001") stay split; keep the first piece with digits.
                return raw, [t], 1.0 if len(raw) >= 3 else 0.7
            return None
        if kind == "bool":
            v = coerce.parse_bool(text.split()[0])
            return (v, toks[:1], 1.0) if v is not None else None
        # name / text / address: the run's text
        clean = text.strip(" :-|").strip()
        if not re.search(r"[^\W\d_]", clean):
            return None
        if kind == "name" and (_EMAIL_RE.search(clean) or _URL_RE.fullmatch(clean)):
            return None
        return clean, toks, 1.0

    # ------------------------------------------------------------------ fields
    def find(self, concept: str | None, kind: str, spec: FieldSpec | None) -> Found:
        """The best value for a concept (and the field's own labels)."""
        own = {concept} if concept else set()
        if spec is not None:
            own.add(f"field:{spec.path}")
        best = NOT_FOUND
        cands: list[tuple[float, Found]] = []
        for c in own:
            for m in self.by_concept.get(c, ()):
                if kind == "amount" and m.row.index in self.header_rows:
                    continue
                lf = m.strength * m.sim * self._label_factor(m)
                rows_below = 4 if kind == "address" else 2
                for toks, w, place in self.candidates(m, own, rows_below):
                    parsed = self.parse(kind, toks, spec)
                    if parsed is None:
                        continue
                    value, used, q = parsed
                    conf = sum(t.conf for t in used) / len(used) / 100.0
                    if kind == "address" and place == "below":
                        value, used = self._block_below(m, toks)
                    score = lf * w * q * (0.5 + 0.5 * conf)
                    cands.append((score, Found(value, min(0.99, score * 0.95), used)))
                    break  # the nearest parsable run of a label is its value
        if cands:
            if concept == "total":
                top = max(s for s, _ in cands)
                biggest = max((f.value for s, f in cands if s >= top - 0.25 and isinstance(f.value, float)), default=None)
                cands = [(s + (0.12 if f.value == biggest else 0.0), f) for s, f in cands]
            cands.sort(key=lambda c: -c[0])
            best = cands[0][1]
        return best

    def _block_below(self, m: Match, first: list[Token]) -> tuple[str, list[Token]]:
        """An address: the segment below a label and the aligned rows under it."""
        lines = [first]
        row = self.layout.rows[first[0].row]
        x0 = first[0].x0
        for r in self.layout.rows[row.index + 1 : row.index + 5]:
            if r.page != row.page or r.y0 - row.y1 > 1.2 * row.h * len(lines):
                break
            hits = [s for s in r.segments if abs(s[0].x0 - x0) < 2 * row.h]
            if not hits or hits[0][0].idx in self.starts.get(r.index, set()):
                break
            lines.append(hits[0])
        toks = [t for ln in lines for t in ln]
        return ", ".join(" ".join(t.text for t in ln) for ln in lines), toks

    # ------------------------------------------------------------------ fallbacks
    def fallback(self, concept: str | None, kind: str, spec: FieldSpec | None) -> Found:
        if concept == "total" or (kind == "amount" and concept is None):
            return self._total_fallback()
        if concept == "date" or (kind == "date" and concept in (None, "statement_date")):
            return self._first_date()
        if concept == "currency" or kind == "currency":
            return self._currency()
        if concept in ("vendor", "bank"):
            return self._header_name()
        if concept == "doc_number":
            return self._number_fallback(spec)
        if kind == "email":
            return self._regex_anywhere(_EMAIL_RE, 0.5)
        if kind in ("id", "taxid", "text", "name") and spec is not None and spec.pattern:
            try:
                return self._regex_anywhere(re.compile(spec.pattern.strip("^$")), 0.45)
            except re.error:
                return NOT_FOUND
        return NOT_FOUND

    def _rows_tokens(self, pattern: re.Pattern[str]) -> list[tuple[Row, re.Match[str], list[Token]]]:
        out = []
        for row in self.layout.rows:
            text = " ".join(t.text for t in row.tokens)
            for mm in pattern.finditer(text):
                out.append((row, mm, _covering(_char_spans(row.tokens), mm.start(), mm.end()) or row.tokens))
        return out

    def _regex_anywhere(self, pattern: re.Pattern[str], conf: float) -> Found:
        hits = self._rows_tokens(pattern)
        if not hits:
            return NOT_FOUND
        row, mm, toks = hits[0]
        return Found(mm.group(0), conf, toks)

    def _total_fallback(self) -> Found:
        best: tuple[float, float, list[Token]] | None = None
        total_words = re.compile(r"total|sum|summe|gesamt|betrag|montant|รวม|ยอด|due|payer|zahlen", re.IGNORECASE)
        for row in self.layout.rows:
            if row.index in self.header_rows or not total_words.search(row.text) or re.search(r"sub|zwischen|sous|netto|\bht\b|ก่อน", row.text, re.IGNORECASE):
                continue
            for seg in row.segments:
                parsed = self.parse("amount", seg, None)
                if parsed and (best is None or parsed[0] > best[0]):
                    best = (parsed[0], parsed[2], parsed[1])
        if best is not None:
            return Found(best[0], 0.45, best[2])
        # the largest amount with decimals anywhere
        for row in self.layout.rows:
            for seg in row.segments:
                parsed = self.parse("amount", seg, None)
                if parsed and parsed[2] == 1.0 and (best is None or parsed[0] > best[0]):
                    best = (parsed[0], parsed[2], parsed[1])
        return Found(best[0], 0.25, best[2]) if best else NOT_FOUND

    def _first_date(self) -> Found:
        skip_rows = {m.row.index for c in ("due_date", "other_date", "birth_date", "expiry_date") for m in self.by_concept.get(c, ())}
        for row in self.layout.rows:
            if row.index in skip_rows:
                continue
            for seg in row.segments:
                parsed = self.parse("date", seg, None)
                if parsed:
                    return Found(parsed[0], 0.4, parsed[1])
        return NOT_FOUND

    def _currency(self) -> Found:
        counts: dict[str, list[Token]] = {}
        strength: dict[str, int] = {}
        for row in self.layout.rows:
            for tok in row.tokens:
                for code, _s, _e, st in coerce.find_currencies(tok.text):
                    if st == 1 and len(row.tokens) > 6:
                        continue  # "dollars" in a sentence
                    counts.setdefault(code, []).append(tok)
                    strength[code] = max(strength.get(code, 0), st)
        if counts:
            # near the total first: its currency is the invoice's
            total = self.cache.get("total")
            if total and total.tokens:
                row = self.layout.rows[total.tokens[0].row]
                for code, _s, _e, _st in coerce.find_currencies(row.text):
                    return Found(code, 0.85, [t for t in row.tokens if coerce.find_currencies(t.text)] or total.tokens)
            code = max(counts, key=lambda c: (len(counts[c]) * strength[c], strength[c]))
            if code == "USD" and "$" in self.layout.text and strength[code] == 2:
                pass
            return Found(code, 0.7 if len(counts[code]) > 1 else 0.55, counts[code][:1])
        if self.habits.thai:
            return Found("THB", 0.3, [])
        return NOT_FOUND

    def _number_fallback(self, spec: FieldSpec | None) -> Found:
        rx = re.compile(r"(?<![\w-])(?=[A-Z0-9\-/]*\d)(?=[A-Z0-9\-/]*[A-Z])[A-Z]{1,5}[\-/]?[A-Z0-9\-/]{3,}(?![\w-])")
        rows = [r for r in self.layout.rows if r.page == self.layout.rows[0].page][:15] if self.layout.rows else []
        for row in rows:
            for seg in row.segments:
                text = " ".join(t.text for t in seg)
                mm = rx.search(text)
                if mm and not coerce.find_dates(mm.group(0), self.habits):
                    toks = _covering(_char_spans(seg), mm.start(), mm.end()) or seg
                    return Found(mm.group(0), 0.35, toks)
        return NOT_FOUND

    def _header_name(self) -> Found:
        """The issuer's name: a prominent, company-like line near the top of the first page."""
        if not self.layout.rows:
            return NOT_FOUND
        page = self.layout.rows[0].page
        page_h = self.layout.page_size(page)[1]
        rows = [r for r in self.layout.rows if r.page == page]
        heights = sorted(r.h for r in rows)
        typical = heights[len(heights) // 2] if heights else 1
        # rows under a customer label belong to the customer
        customer_zone: list[tuple[float, float, float, float]] = []
        for m in self.by_concept.get("customer", []):
            if m.row.page == page:
                customer_zone.append((m.x0 - typical * 2, m.row.y0 - 1, m.x0 + page_h, m.row.y1 + typical * 6))
        best: tuple[float, list[Token], str] | None = None
        cutoff = rows[0].y0 + 0.4 * page_h
        for rank, row in enumerate(rows):
            if row.y0 > cutoff:
                break
            for seg in row.segments:
                if seg[0].idx in self.starts.get(row.index, set()):
                    # a labelled segment: only its own label may make it the vendor
                    ms = [m for m in self.matches if m.row is row and m.start == seg[0].idx]
                    if not any(m.concept == "vendor" for m in ms):
                        continue
                    continue
                text = " ".join(t.text for t in seg).strip(" :-|")
                letters = len(re.findall(r"[^\W\d_]", text))
                if letters < 3 or letters < 0.5 * len(text.replace(" ", "")):
                    continue
                if _EMAIL_RE.search(text) or _URL_RE.search(text) or norm_token(text) in _TITLE_WORDS:
                    continue
                if any(z[0] <= seg[0].x0 <= z[2] and z[1] <= row.y0 <= z[3] for z in customer_zone):
                    continue
                score = 1.0 - 0.04 * rank
                h = max(t.h for t in seg)
                score += 0.5 * min(1.5, h / max(typical, 1) - 1)
                if _COMPANY_RE.search(text) or _THAI_COMPANY_RE.search(text):
                    score += 0.6
                if len(text) > 60 or coerce.find_dates(text, self.habits):
                    score -= 0.5
                if re.search(r"\d", text):
                    score -= 0.3
                if best is None or score > best[0]:
                    best = (score, seg, text)
        if best is None:
            return NOT_FOUND
        return Found(best[2], max(0.3, min(0.8, 0.35 + best[0] * 0.2)), best[1])


def _walk(fields: list[FieldSpec]):
    for f in fields:
        yield f
        yield from _walk(f.properties)


def _longest(found: list[Match]) -> list[Match]:
    """Longest labels first; a shorter label inside a longer one's tokens is dropped,
    but different concepts with exactly the same span all stay."""
    found.sort(key=lambda m: (-(m.end - m.start), -m.chars, -m.strength))
    kept: list[Match] = []
    for m in found:
        clash = False
        for k in kept:
            if m.start < k.end and k.start < m.end:
                if (k.start, k.end, k.chars) == (m.start, m.end, m.chars) and k.concept != m.concept:
                    continue
                clash = True
                break
        if not clash:
            kept.append(m)
    return kept


def _char_spans(toks: list[Token]) -> list[tuple[int, int, Token]]:
    out = []
    pos = 0
    for t in toks:
        out.append((pos, pos + len(t.text), t))
        pos += len(t.text) + 1
    return out


def _covering(spans: list[tuple[int, int, Token]], start: int, end: int) -> list[Token]:
    return [t for s, e, t in spans if s < end and start < e]


KIND_OF: Callable[[str | None], str] = lambda c: CONCEPTS[c].kind if c in CONCEPTS else "text"  # noqa: E731
