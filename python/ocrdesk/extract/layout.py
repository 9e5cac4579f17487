"""The page as the extractor sees it: tokens in visual rows, rows cut into segments.

OCR lines of different columns at the same height are merged into one *row* (a text layer
already does this; Tesseract splits columns into blocks), tokens are sorted left to right,
and a gap wider than about one character height starts a new *segment* — a table cell, or
the value column of a "label ... value" pair. Small scan skew is measured from the word
boxes of long lines and taken out of the coordinates used for geometry; the boxes reported
to users are always the original ones.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable

from .lexicon import norm_token

__all__ = ["Token", "Row", "Layout", "build_layout"]

Box = tuple[int, int, int, int]


@dataclass
class Token:
    text: str
    norm: str
    bbox: Box  # original page pixels
    x0: float  # deskewed geometry
    y0: float
    x1: float
    y1: float
    conf: float  # 0-100
    page: int  # 1-based
    row: int = -1  # index into Layout.rows
    idx: int = -1  # index in the row
    seg: int = -1  # segment number in the row

    @property
    def h(self) -> float:
        return self.y1 - self.y0

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass
class Row:
    page: int
    tokens: list[Token]
    y0: float = 0
    y1: float = 0
    h: float = 0  # typical token height
    segments: list[list[Token]] = field(default_factory=list)
    index: int = -1

    @property
    def text(self) -> str:
        return " ".join(t.text for t in self.tokens)

    def seg_text(self, seg: int) -> str:
        return " ".join(t.text for t in self.segments[seg])


@dataclass
class Layout:
    rows: list[Row]
    pages: list[tuple[int, int, int]]  # (number, width, height)
    text: str

    def page_size(self, page: int) -> tuple[int, int]:
        for number, w, h in self.pages:
            if number == page:
                return w, h
        return (1, 1)


_THAI = re.compile(r"[\u0e00-\u0e7f]")
# Where one printed word holds a label and its value: "No:123", "Total:$5", "วันที่12/03/2567".
_SPLIT = re.compile(
    r"(?<=[^\W\d_]):(?=\S)"  # after "No:" / "Date:"
    r"|(?<=[\u0e00-\u0e7f])(?=[0-9A-Za-z$€£฿])"  # Thai then Latin/digits
    r"|(?<=[0-9A-Za-z.])(?=[\u0e01-\u0e2e])"  # Latin/digits then a Thai consonant
    r"|(?<=[A-Za-z.])(?=#)"  # "Invoice#123", "No.#"
    r"|(?<=[A-Za-z]{2}\.)(?=[A-Z][a-z]{1,2}[.:#]?$)"  # "Inv.No:", "Rech.Nr." (a missed space)
)


def _pieces(text: str, bbox: Box) -> list[tuple[str, Box]]:
    """Split a word at label/value joints; boxes shared out in proportion to characters."""
    cuts = [m.end() if m.group(0) == ":" else m.start() for m in _SPLIT.finditer(text)]
    if not cuts:
        return [(text, bbox)]
    bounds = [0, *cuts, len(text)]
    x0, y0, x1, y1 = bbox
    width = max(1, x1 - x0)
    out = []
    for a, b in zip(bounds, bounds[1:]):
        piece = text[a:b]
        if piece.strip():
            out.append((piece, (x0 + width * a // len(text), y0, x0 + width * b // len(text), y1)))
    return out


def _skew(lines: list[list[tuple[str, Box, float]]]) -> float:
    """Median slope (dy/dx) of word centres along lines with several words."""
    slopes: list[float] = []
    for words in lines:
        if len(words) < 3:
            continue
        xs = [(b[0] + b[2]) / 2 for _, b, _ in words]
        ys = [b[3] for _, b, _ in words]  # bottoms: baselines are steadier than centres
        span = max(xs) - min(xs)
        if span < 200:
            continue
        n = len(xs)
        mx, my = sum(xs) / n, sum(ys) / n
        den = sum((x - mx) ** 2 for x in xs)
        if den <= 0:
            continue
        slopes.append(sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den)
    if len(slopes) < 3:
        return 0.0
    s = statistics.median(slopes)
    return s if 0.002 < abs(s) < 0.1 else 0.0


def build_layout(doc: Any) -> Layout:
    """Rows and segments of every page of an ``ocrdesk.Document`` (or anything shaped like one)."""
    rows: list[Row] = []
    pages: list[tuple[int, int, int]] = []
    texts: list[str] = []
    for pno, page in enumerate(doc.pages, start=1):
        number = getattr(page, "number", pno) or pno
        pages.append((number, int(page.width), int(page.height)))
        lines: list[list[tuple[str, Box, float]]] = []
        for line in page.lines:
            words = [(w.text, tuple(int(v) for v in w.bbox), float(w.confidence)) for w in line.words if w.text.strip()]
            if words:
                lines.append(words)  # type: ignore[arg-type]
        texts.append("\n".join(" ".join(w[0] for w in ws) for ws in lines))
        slope = _skew(lines)
        tokens: list[Token] = []
        for words in lines:
            for text, bbox, conf in words:
                text = unicodedata.normalize("NFC", text).replace("\u0e4d\u0e32", "\u0e33")
                for piece, box in _pieces(text, bbox):
                    x0, y0, x1, y1 = box
                    dy = slope * (x0 + x1) / 2
                    tokens.append(Token(piece, norm_token(piece), box, x0, y0 - dy, x1, y1 - dy, conf, number))
        tokens = _attach_marks(tokens)
        rows.extend(_rows(tokens, number))
    for i, row in enumerate(rows):
        row.index = i
        for j, tok in enumerate(row.tokens):
            tok.row, tok.idx = i, j
    return Layout(rows, pages, "\n\f".join(texts))


_MARKS = set("\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d\u0e4e")
_TONES = set("\u0e48\u0e49\u0e4a\u0e4b\u0e4c")


def _is_marks(text: str) -> bool:
    return bool(text) and all(c in _MARKS for c in text)


def _attach_marks(tokens: list[Token]) -> list[Token]:
    """Put Thai vowel and tone marks that came out as words of their own back on their letters.

    Some PDF text layers give each mark its own box above or below the line, so it ends up a
    separate word (or row). The mark goes into the word it sits over, at the character
    position its x suggests; the pieces of a word the marks had cut are joined again.
    """
    marks = [t for t in tokens if _is_marks(t.text)]
    if not marks:
        return tokens
    bases = [t for t in tokens if not _is_marks(t.text)]
    inserts: dict[int, list[tuple[float, str]]] = {}
    for mk in marks:
        best, dist = None, 1e9
        for i, b in enumerate(bases):
            if b.x0 - 2 <= mk.cx <= b.x1 + 2 and _THAI.search(b.text):
                d = abs((b.y0 + b.y1) / 2 - (mk.y0 + mk.y1) / 2)
                if d < dist and d < 1.5 * max(b.h, 1):
                    best, dist = i, d
        if best is not None:
            inserts.setdefault(best, []).append((mk.cx, mk.text))
    for i, marks_here in inserts.items():
        b = bases[i]
        chars = list(b.text)
        width = max(1.0, b.x1 - b.x0)
        # right to left so earlier positions stay valid; vowels before tones at one position
        placed: list[tuple[int, int, str]] = []
        for cx, text in marks_here:
            pos = max(1, min(len(chars), int((cx - b.x0) / width * len(chars)) + 1))
            for ch in text:
                placed.append((pos, 1 if ch in _TONES else 0, ch))
        for pos, _, ch in sorted(placed, key=lambda p: (-p[0], -p[1])):
            chars.insert(pos, ch)
        b.text = "".join(chars)
        b.norm = norm_token(b.text)
    return _join_fragments(bases)


def _join_fragments(tokens: list[Token]) -> list[Token]:
    """Thai word pieces touching each other on one line are one word."""
    tokens = sorted(tokens, key=lambda t: (t.page, round((t.y0 + t.y1) / 2 / max(t.h, 1)), t.x0))
    out: list[Token] = []
    for t in tokens:
        prev = out[-1] if out else None
        if (
            prev is not None
            and _THAI.search(prev.text[-1:] or " ")
            and _THAI.search(t.text[:1] or " ")
            and -2 <= t.x0 - prev.x1 <= 0.25 * min(prev.h, t.h)
            and min(prev.y1, t.y1) - max(prev.y0, t.y0) > 0.5 * min(prev.h, t.h)
        ):
            prev.text += t.text
            prev.norm = norm_token(prev.text)
            prev.bbox = (min(prev.bbox[0], t.bbox[0]), min(prev.bbox[1], t.bbox[1]), max(prev.bbox[2], t.bbox[2]), max(prev.bbox[3], t.bbox[3]))
            prev.x1, prev.y0, prev.y1 = max(prev.x1, t.x1), min(prev.y0, t.y0), max(prev.y1, t.y1)
            prev.conf = min(prev.conf, t.conf)
            continue
        out.append(t)
    return out


def _rows(tokens: list[Token], page: int) -> Iterable[Row]:
    """Group tokens into rows by vertical overlap, then cut rows into segments at wide gaps."""
    if not tokens:
        return []
    heights = sorted(t.h for t in tokens)
    typical = heights[len(heights) // 2] or 1.0
    tokens = sorted(tokens, key=lambda t: ((t.y0 + t.y1) / 2, t.x0))
    groups: list[list[Token]] = []
    spans: list[tuple[float, float]] = []
    for tok in tokens:
        c = (tok.y0 + tok.y1) / 2
        placed = False
        # compare with the last few rows only: rows come in order of their centres
        for k in range(len(groups) - 1, max(-1, len(groups) - 4), -1):
            g0, g1 = spans[k]
            h = min(g1 - g0, tok.h, typical * 1.6)
            overlap = min(g1, tok.y1) - max(g0, tok.y0)
            gc = (g0 + g1) / 2
            if overlap >= 0.5 * max(1.0, h) and abs(gc - c) < 0.6 * max(typical, min(g1 - g0, tok.h)):
                groups[k].append(tok)
                spans[k] = (min(g0, tok.y0), max(g1, tok.y1)) if tok.h < typical * 2 else spans[k]
                placed = True
                break
        if not placed:
            groups.append([tok])
            spans.append((tok.y0, tok.y1))
    out: list[Row] = []
    for group in groups:
        group.sort(key=lambda t: t.x0)
        hs = sorted(t.h for t in group)
        h = hs[len(hs) // 2] or typical
        row = Row(page, group, min(t.y0 for t in group), max(t.y1 for t in group), h)
        seg: list[Token] = []
        for tok in group:
            if seg and tok.x0 - seg[-1].x1 > 1.1 * min(h, typical * 1.5):
                row.segments.append(seg)
                seg = []
            tok.seg = len(row.segments)
            seg.append(tok)
        row.segments.append(seg)
        out.append(row)
    out.sort(key=lambda r: (r.y0 + r.y1) / 2)
    return out
