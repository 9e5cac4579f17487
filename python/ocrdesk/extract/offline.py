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
_TITLE_WORDS_SPLIT = {  # document titles, as single words
    "invoice", "receipt", "rechnung", "facture", "quittung", "kassenbon", "reçu", "invoice/receipt",
    "ใบกำกับภาษี", "ใบเสร็จรับเงิน", "ใบแจ้งหนี้", "ใบกำกับภาษี/ใบเสร็จรับเงิน", "ใบส่งของ",
}
_COMPANY_RE = re.compile(
    r"\b(ltd|limited|inc|incorporated|llc|llp|plc|corp|corporation|co\.?|company|gmbh|ag|kg|ohg|ug|e\.?k|sarl|s\.?a\.?r\.?l|sas|s\.?a|"
    r"sa|eurl|bv|b\.v|nv|oy|ab|as|srl|s\.?r\.?l|spa|pty|pte|sdn\s?bhd|bhd|group|holdings|trading|store|shop|mart|market|restaurant|cafe|café|"
    r"hotel|services|solutions|enterprises|industries|studio|partners|associates)\b\.?",
    re.IGNORECASE,
)
_THAI_COMPANY_RE = re.compile(r"บริษัท|จำกัด|ห้างหุ้นส่วน|หจก|บจก|ร้าน|มหาชน")
_STREET_WORDS = (
    r"street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|court|ct|highway|hwy|suite|floor|building|bldg|"
    r"straße|strasse|str|weg|platz|gasse|allee|ring|damm|ufer|rue|chemin|place|quai|impasse|allée|route|cours|via|piazza|calle|"
    r"soi|moo|road|tambon|amphoe"
)
_ADDRESS_RE = re.compile(
    r"^\s*\d+(?-i:[a-z])?(?:/\d+)?,?\s+\S"  # a house number first: "12 Market", "99/1 Sukhumvit"
    r"|\b\d+[a-z]?,?\s+(?:" + _STREET_WORDS + r")\b|\b(?:" + _STREET_WORDS + r")\.?,?\s+\d"  # number next to a street word
    r"|(?:^|[\s,])\d{4,6}\s+[^\W\d_]{2,}|[^\W\d_]{2,},?\s+(?:[A-Z]{2}\s+)?\d{4,6}(?:-\d{4})?\s*$"  # postcode and city
    r"|ถนน|ซอย|แขวง|ตำบล|อำเภอ|จังหวัด|หมู่ที่|เลขที่\s*\d",
    re.IGNORECASE,
)
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
                        if sim < 1.0 and k == 1 and not _label_shaped(row, i):
                            continue  # "Supplies Group" is not "Supplier: Group"
                        found.append(Match(e.concept, e.strength, row, i, i + k, sim, sum(len(t) for t in e.tokens)))
                    elif k >= 2 and all(canon[i + j] == e.tokens[j] for j in range(k - 1)) and _one_off(canon[i + k - 1], e.tokens[k - 1]):
                        # a second look: the short last word misread ("Rechnung Ne", "Invoice N0")
                        sim = min(sims[i : i + k - 1]) * 0.8
                        found.append(Match(e.concept, e.strength, row, i, i + k, sim, sum(len(t) for t in e.tokens) - 1))
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
        skel_spans = [(_thai_skeleton(c), end) for c, end in spans]
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
                else:
                    # OCR drops and confuses Thai vowel and tone marks ("วันที" for "วันที่"): a
                    # second look compares the words without them
                    sk = _thai_skeleton(label)
                    if len(sk) < 3:
                        continue
                    hit = next((end for cand, end in skel_spans if cand == sk), None)
                    if hit is None and skel_spans[0][0].startswith(sk) and len(skel_spans[0][0]) > len(sk):
                        hit = i + 1
                    if hit is None and len(label) >= 6:
                        # one character lost at a blur ("ลขที่ใบเสร็จ:" for "เลขที่ใบเสร็จ:"), in a
                        # label-shaped word (a colon after it)
                        dels = {label[:k] + label[k + 1 :] for k in range(len(label))}
                        hit = next((end for cand, end in spans if cand in dels and row.tokens[end - 1].text.endswith((":", "："))), None)
                    if hit is not None:
                        out.append(Match(e.concept, e.strength, row, i, hit, 0.88, len(label)))
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
            for k, t in enumerate(toks[:4]):
                raw = _clean_id(t.text)
                if len(raw) < 2 or not _DIGIT.search(raw) or not _ID_TOKEN.match(raw):
                    continue
                if coerce.find_dates(raw, self.habits) and not re.search(r"[A-Za-z]", raw):
                    continue
                if re.fullmatch(r"\d{1,3}([,.]\d{3})*[.,]\d{2}", raw):
                    continue  # an amount
                # Codes printed with spaces ("INV 2024 001") stay split; keep the first piece with
                # digits. But OCR also splits one code at a blur ("TX8561 33", "A-98 1804"): a
                # digit run glued on at less than a narrow space, by a word read with low
                # confidence, is the same code.
                used = [t]
                for nxt in toks[k + 1 : k + 3]:
                    prev = used[-1]
                    gap = nxt.x0 - prev.x1
                    more = _clean_id(nxt.text)
                    if not re.fullmatch(r"\d{1,6}", more) or gap > 0.45 * max(prev.h, 1) or min(prev.conf, nxt.conf) >= 90:
                        break
                    raw += more
                    used.append(nxt)
                q = 1.0 if len(raw) >= 3 else 0.7
                fixed = _id_confusions(raw)
                if fixed != raw:
                    raw, q = fixed, q * 0.95
                return raw, used, q
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
                if kind == "name" and self._inside_name(m):
                    continue  # "Silverstone Store": the label word ends a name, it labels nothing
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
                    if kind == "name" and _address_like(str(value)):
                        score *= 0.45  # the address under a name label, not the name
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

    def _inside_name(self, m: Match) -> bool:
        """A label word with no colon right after a word of the same line ("Blue Harbor Store",
        "Hartmann | Store"): the end of a name rather than a label."""
        last = m.row.tokens[m.end - 1].text
        if last.endswith((":", "：")) or (m.end < len(m.row.tokens) and m.row.tokens[m.end].text in (":", "：")):
            return False
        if m.start == 0:
            return False
        prev = m.row.tokens[m.start - 1]
        first = m.row.tokens[m.start]
        return first.x0 - prev.x1 < 2.5 * max(first.h, 1) and bool(re.search(r"[^\W\d_]{2}", prev.text)) and not prev.text.endswith((":", "：", "/", "|"))

    def check_total(self, total: Found) -> Found:
        """Check a total against subtotal + tax, allowing for the usual OCR misreadings.

        A currency sign read as a digit ("฿1,106.81" -> "81,106.81") or one wrong digit makes
        the three disagree. When another reading of the printed numbers (leading sign-like
        character dropped) makes subtotal + tax = total, take that reading; when the total
        differs from subtotal + tax in one digit and was read with less confidence than
        both, take the sum. Otherwise the total stays as found."""
        if not isinstance(total.value, float) or not total.tokens:
            return total
        if total.value < 0 and min(t.conf for t in total.tokens) < 60 and not any(
            a.value < 0 for r in self.layout.rows if r.index != total.tokens[0].row for a in coerce.find_amounts(r.text, self.habits)
        ):
            # a grand total is negative on credit notes, whose other amounts are negative too;
            # alone and read with low confidence, the minus is a speck
            total = Found(-total.value, total.confidence * 0.9, total.tokens)
        sub = self.cache.get("subtotal") or self.find("subtotal", "amount", None)
        tax = self.cache.get("tax") or self.find("tax", "amount", None)
        self.cache.setdefault("subtotal", sub)
        self.cache.setdefault("tax", tax)
        if not isinstance(sub.value, float) or not isinstance(tax.value, float) or not sub.tokens or not tax.tokens:
            return total
        if sub.tokens[0].row == total.tokens[0].row or tax.tokens[0].row == total.tokens[0].row or sub.value <= 0 or tax.value < 0:
            return total
        if abs(sub.value + tax.value - total.value) < 0.005:
            return total
        if total.value < 0 and abs(sub.value + tax.value + total.value) < 0.005:
            return Found(-total.value, total.confidence, total.tokens)  # a speck read as a minus
        # Witnesses that pick between consistent readings: the tax rate printed on the tax row
        # (tax = rate x subtotal), and the total printed again elsewhere (paid, cash).
        tax_row = self.layout.rows[tax.tokens[0].row]
        rates = [a.value for a in coerce.find_amounts(tax_row.text, self.habits) if a.percent and 0 < a.value < 30]
        used_rows = {sub.tokens[0].row, tax.tokens[0].row, total.tokens[0].row}
        elsewhere = {
            round(a.value, 2) for r in self.layout.rows if r.index not in used_rows for a in coerce.find_amounts(r.text, self.habits) if a.has_decimals
        }
        best = None
        for i, a in enumerate(self._readings(sub)):
            for j, b in enumerate(self._readings(tax)):
                for k, c in enumerate(self._readings(total)):
                    if abs(a + b - c) >= 0.005:
                        continue
                    support = any(abs(a * r / 100 - b) < 0.015 for r in rates) + (round(c, 2) in elsewhere)
                    key = (-support, i + j + k)
                    if best is None or key < best[0]:
                        best = (key, c)
        if best is not None and best[1] != total.value:
            return Found(best[1], total.confidence * 0.9, total.tokens)
        expect = round(sub.value + tax.value, 2)
        conf = lambda f: min(t.conf for t in f.tokens)  # noqa: E731
        if _one_digit_apart(f"{expect:.2f}", f"{total.value:.2f}") and conf(total) < min(conf(sub), conf(tax)):
            return Found(expect, total.confidence * 0.8, total.tokens)
        return total

    def _readings(self, found: Found) -> list[float]:
        """The value as read, then as read without a leading 8/B (a currency sign misread)."""
        out = [found.value]
        text = " ".join(t.text for t in found.tokens)
        mm = re.search(r"(?<![\d.,])[8B](?=\d)", text)
        if mm:
            alt = coerce.parse_amount(text[: mm.start()] + text[mm.end() :], self.habits)
            if alt is not None and alt != found.value:
                out.append(alt)
        return out

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
            if len(row.segments) > 1:
                # a wide-spaced font cuts a date into segments: "November 14, | 2025"
                parsed = self.parse("date", row.tokens, None)
                if parsed:
                    return Found(parsed[0], 0.35, parsed[1])
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
                # a document title OCR ran into the name's segment ("ใบกำกับภาษี บริษัท ... จำกัด") goes
                while len(seg) > 1 and norm_token(seg[0].text) in _TITLE_WORDS_SPLIT:
                    seg = seg[1:]
                while len(seg) > 1 and norm_token(seg[-1].text) in _TITLE_WORDS_SPLIT:
                    seg = seg[:-1]
                seg = _drop_specks(seg)
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
                address = _address_like(text)
                if (_COMPANY_RE.search(text) or _THAI_COMPANY_RE.search(text)) and not address:
                    score += 0.6
                if len(text) > 60 or coerce.find_dates(text, self.habits):
                    score -= 0.5
                if address:
                    score -= 0.8  # "12 Market Street", "10115 Berlin": where the issuer is, not who
                elif re.search(r"\d", text):
                    score -= 0.3
                if best is None or score > best[0]:
                    best = (score, seg, text)
        if best is None:
            return NOT_FOUND
        seg, text = self._whole_name(best[1], rows, typical)
        return Found(text, max(0.3, min(0.8, 0.35 + best[0] * 0.2)), seg)

    def _whole_name(self, seg: list[Token], rows: list[Row], typical: float) -> tuple[list[Token], str]:
        """A name OCR broke in two: the piece in the row just above or below, in the same big
        type and overlapping it across ("Blue Harbor Supplies" / "Group"), joins it; stray
        low-confidence specks at its ends go."""
        seg = _drop_specks(seg)
        h = max(t.h for t in seg)
        row = self.layout.rows[seg[0].row]
        x0, x1 = min(t.x0 for t in seg), max(t.x1 for t in seg)
        pieces = [seg]
        if h > 1.15 * typical:  # only names set larger than the body text
            for r in (self.layout.rows[row.index - 1] if row.index > 0 else None, self.layout.rows[row.index + 1] if row.index + 1 < len(self.layout.rows) else None):
                if r is None or r.page != row.page:
                    continue
                gap = max(r.y0 - row.y1, row.y0 - r.y1)
                if gap > 0.6 * h:
                    continue
                for other in r.segments:
                    oh = max(t.h for t in other)
                    ox0, ox1 = min(t.x0 for t in other), max(t.x1 for t in other)
                    text = " ".join(t.text for t in other)
                    if not (0.7 * h <= oh <= 1.4 * h) or ox1 < x0 - 2 * h or ox0 > x1 + 2 * h:
                        continue
                    if other[0].idx in self.starts.get(r.index, set()) or re.search(r"\d", text) or len(re.findall(r"[^\W\d_]", text)) < 2:
                        continue
                    if norm_token(text) in _TITLE_WORDS:
                        continue
                    pieces.append(other)
        # the same line cut at a wide gap ("Hartmann   Store", "บริษัท ...   จำกัด (มหาชน)"): the
        # neighbouring segments in the same type, close by, join
        si = next((k for k, sg in enumerate(row.segments) if sg and sg[0] is seg[0]), None)
        if si is not None:
            for step in (1, -1):
                k = si + step
                while 0 <= k < len(row.segments):
                    other = _drop_specks(row.segments[k])
                    text = " ".join(t.text for t in other)
                    oh = max(t.h for t in other)
                    # measured from the name so far: a word of it OCR put on the next row may fill the gap
                    gap = other[0].x0 - max(p[-1].x1 for p in pieces) if step > 0 else min(p[0].x0 for p in pieces) - other[-1].x1
                    if not (0.75 * h <= oh <= 1.33 * h) or gap > 2.5 * h or re.search(r"\d", text) or len(re.findall(r"[^\W\d_]", text)) < 2:
                        break
                    if norm_token(text) in _TITLE_WORDS or any(norm_token(t.text) in _TITLE_WORDS_SPLIT for t in other):
                        break
                    if other[0].idx in self.starts.get(row.index, set()) and not any(
                        m.concept == "vendor" and self._inside_name(m) for m in self.matches if m.row is row and m.start == other[0].idx
                    ):
                        break
                    pieces.append(other)
                    k += step
        if len(pieces) > 1 and all(
            p[-1].x1 <= q[0].x0 or q[-1].x1 <= p[0].x0 for a, p in enumerate(pieces) for q in pieces[a + 1 :]
        ):
            pieces.sort(key=lambda p: p[0].x0)  # side by side: left to right
        elif len(pieces) > 1:
            # same line (rows overlapping in height): left to right; else top to bottom
            pieces.sort(key=lambda p: (round(p[0].y0 / h) if all(abs(q[0].y0 - p[0].y0) > 0.5 * h for q in pieces if q is not p) else 0, p[0].x0))
        toks = [t for p in pieces for t in p]
        while len(toks) > 1 and toks[0].conf < 40 and len(toks[0].norm) <= 3:
            toks = toks[1:]
        while len(toks) > 1 and toks[-1].conf < 40 and len(toks[-1].norm) <= 3:
            toks = toks[:-1]
        return toks, " ".join(t.text for t in toks).strip(" :-|")


_THAI_MARKS_RE = re.compile("[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]")


_LEAD_DIGIT_AS_LETTER = {"1": "I", "0": "O", "5": "S", "8": "B", "|": "I", "!": "I"}


def _drop_specks(seg: list[Token]) -> list[Token]:
    """A segment without the specks OCR read among big type: one or two characters under
    two fifths of the height of the rest ("บริษัท พัฒนา... ๕")."""
    h = max(t.h for t in seg)
    kept = [t for t in seg if not (t.h < 0.4 * h and len(t.norm) <= 2)]
    return kept or seg


def _address_like(text: str) -> bool:
    """A line of a postal address rather than a name: a house number first, a number next to a
    street word, a postcode next to a city, Thai address words ("12 Market Street",
    "10115 Berlin", "8 ถนนนิมมานเหมินท์ เชียงใหม่ 50200")."""
    return bool(_ADDRESS_RE.search(coerce.thai_digits(text)))


def _clean_id(text: str) -> str:
    """A code as OCR gives it, without edge punctuation and stray marks ("..-F2393879" -> "F2393879")."""
    if not text.endswith("]"):  # "[V23-396": the I of a prefix read as a bracket ("[AB-12]" is bracketed)
        text = re.sub(r"^\[(?=[A-HJ-Z][A-Z]{0,2}[\-/.]?\d)", "I", text)
    raw = coerce.thai_digits(text).strip(":;,.()[]'\"`~*_»«“”‘’")
    raw = raw.lstrip("#№-–—=").strip()
    raw = re.sub(r"(?<=[A-Za-z0-9])\+(?=\d)", "-", raw)  # "INV+2023-5662": a hyphen read as a plus
    return raw.rstrip("-–—=")


def _id_confusions(raw: str) -> str:
    """Undo the usual OCR confusions in a code's letter prefix: "1V23-638" -> "IV23-638".

    Only where the code's shape leaves no doubt: one digit that looks like a capital, then
    capitals, then digits (codes starting with a digit and a letter are rare; a letter
    prefix like IV/INV/SO is common)."""
    m = re.fullmatch(r"([1058|!])([A-Z]{1,3})([\-/.]?\d.*)", raw)
    if m:
        return _LEAD_DIGIT_AS_LETTER[m.group(1)] + m.group(2) + m.group(3)
    return raw


def _thai_skeleton(text: str) -> str:
    """Thai text without the vowel and tone marks above and below the line (OCR's weak spot)."""
    return _THAI_MARKS_RE.sub("", text)


def _one_off(got: str, want: str) -> bool:
    """A short word read with one wrong character, its first one right ("ne" for "nr", "n0" for "no")."""
    return 2 <= len(want) <= 3 and len(got) == len(want) and got[:1] == want[:1] and got != want and sum(a != b for a, b in zip(got, want)) == 1 and not got.isdigit()


def _label_shaped(row: Row, i: int) -> bool:
    """A word that reads like a label: ends with a colon, or ends its segment."""
    tok = row.tokens[i]
    if tok.text.endswith((":", "：")):
        return True
    return i + 1 >= len(row.tokens) or row.tokens[i + 1].seg != tok.seg or row.tokens[i + 1].text in (":", "：")


def _one_digit_apart(a: str, b: str) -> bool:
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b)) == 1


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
