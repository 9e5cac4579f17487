"""Text -> typed values: amounts, dates, currencies, integers, booleans.

Every parser takes the raw text a value search found and returns the typed value or
``None``; none of them raises on bad input. Document-wide habits (decimal comma or point,
day-first or month-first dates, Thai Buddhist-era years) come in as a :class:`Habits`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "Habits",
    "parse_amount",
    "find_amounts",
    "parse_date",
    "find_dates",
    "parse_currency",
    "find_currencies",
    "parse_int",
    "parse_bool",
    "thai_digits",
    "habits_of",
]

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")


def thai_digits(text: str) -> str:
    return text.translate(_THAI_DIGITS).translate(_ARABIC_DIGITS)


@dataclass
class Habits:
    decimal_comma: bool = False  # "1.234,56"
    day_first: bool = True  # 03/04/2024 = 3 April
    thai: bool = False  # Thai script in the document: 2-digit/BE years are Buddhist era
    currency: str | None = None  # the currency the document talks in, when clear


# --------------------------------------------------------------------------- currency

CURRENCY_SYMBOLS: dict[str, str] = {
    "US$": "USD", "U.S.$": "USD", "USD$": "USD", "A$": "AUD", "AU$": "AUD", "C$": "CAD", "CA$": "CAD", "NZ$": "NZD",
    "HK$": "HKD", "S$": "SGD", "SG$": "SGD", "R$": "BRL", "MX$": "MXN", "NT$": "TWD", "RM": "MYR", "Rp": "IDR",
    "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "￥": "JPY", "円": "JPY", "元": "CNY", "₹": "INR", "₩": "KRW", "₫": "VND",
    "₱": "PHP", "฿": "THB", "₺": "TRY", "₽": "RUB", "₪": "ILS", "₦": "NGN", "zł": "PLN", "Kč": "CZK", "kr": "SEK", "Fr.": "CHF",
    "บาท": "THB", "บ.": "THB",
}
CURRENCY_WORDS: dict[str, str] = {
    "baht": "THB", "thb": "THB", "euro": "EUR", "euros": "EUR", "eur": "EUR", "dollar": "USD", "dollars": "USD",
    "pound": "GBP", "pounds": "GBP", "sterling": "GBP", "yen": "JPY", "rupee": "INR", "rupees": "INR", "franc": "CHF", "francs": "CHF",
    "ringgit": "MYR", "yuan": "CNY", "renminbi": "CNY", "rmb": "CNY", "won": "KRW", "dong": "VND", "peso": "PHP", "pesos": "PHP",
}
ISO_CURRENCIES = frozenset(
    """USD EUR GBP JPY CNY THB INR KRW VND PHP SGD MYR IDR AUD NZD CAD CHF HKD TWD SEK NOK DKK PLN CZK HUF RON BGN
    TRY RUB ILS AED SAR QAR KWD BHD OMR EGP ZAR NGN KES MXN BRL ARS CLP COP PEN LAK KHR MMK BDT PKR LKR NPR""".split()
)
_SYMBOL_RE = re.compile(
    "|".join(re.escape(s) for s in sorted((k for k in CURRENCY_SYMBOLS if not k.isalpha()), key=len, reverse=True))
)
_ISO_RE = re.compile(r"(?<![A-Za-z])(" + "|".join(sorted(ISO_CURRENCIES)) + r")(?![A-Za-z])")
_WORD_RE = re.compile(r"(?<![A-Za-z])(" + "|".join(CURRENCY_WORDS) + r")(?![A-Za-z])", re.IGNORECASE)
_THAI_CUR_RE = re.compile(r"บาท")
_DOUBLE_DOLLAR_RE = re.compile(r"(?<![\w$])S?\$\$(?=\s?\d)")


def find_currencies(text: str) -> list[tuple[str, int, int, int]]:
    """Every currency mention: (ISO code, start, end, strength 3=ISO code, 2=symbol, 1=word)."""
    out: list[tuple[str, int, int, int]] = []
    for m in _ISO_RE.finditer(text):
        out.append((m.group(1), m.start(), m.end(), 3))
    # OCR reads the S of "S$" as a second dollar sign ("$$12.50", "S$$12.50"): no currency is
    # written with two dollar signs, so that is Singapore's
    doubled = [(m.start(), m.end()) for m in _DOUBLE_DOLLAR_RE.finditer(text)]
    for s, e in doubled:
        out.append(("SGD", s, e, 2))
    for m in _SYMBOL_RE.finditer(text):
        if any(s <= m.start() < e for s, e in doubled):
            continue
        out.append((CURRENCY_SYMBOLS[m.group(0)], m.start(), m.end(), 2))
    for m in _WORD_RE.finditer(text):
        out.append((CURRENCY_WORDS[m.group(1).lower()], m.start(), m.end(), 1))
    for m in _THAI_CUR_RE.finditer(text):
        out.append(("THB", m.start(), m.end(), 2))
    out.sort(key=lambda c: c[1])
    return out


def parse_currency(text: str | None) -> str | None:
    """'€' / 'eur' / 'Euro' / 'THB' / 'บาท' -> ISO 4217 code."""
    if not text:
        return None
    found = find_currencies(text.strip())
    if not found:
        return None
    return max(found, key=lambda c: c[3])[0]


# --------------------------------------------------------------------------- amounts

# A number as printed: optional sign/parenthesis, digit groups with , . space ' separators.
_NUM_RE = re.compile(
    r"(?P<neg1>[-−–(])?\s?"
    r"(?P<num>\d{1,3}(?:[,.'’ \u00a0\u202f]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,3})?)"
    r"(?P<neg2>-|\)|\s?CR\b)?"
)
_OCR_DIGIT = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1", "S": "5", "B": "8"})


def _clean_number_text(text: str) -> str:
    text = thai_digits(unicodedata.normalize("NFKC", text))
    # "363. 82", "140 .76": a decimal part split off by a wide-spaced font or OCR
    text = re.sub(r"(?<=\d)\s?([.,])\s(?=\d{2}(?!\d))|(?<=\d)\s([.,])(?=\d{2}(?!\d))", lambda m: m.group(1) or m.group(2), text)
    # OCR letters inside digit runs: "1,2O0.00" -> "1,200.00" (only between digits/separators)
    text = re.sub(r"(?<=[\d,.])[OoDlI|SB](?=[\d,.])", lambda m: m.group(0).translate(_OCR_DIGIT), text)
    return text


def _to_float(num: str, habits: Habits) -> float | None:
    s = num.replace("\u00a0", " ").replace("\u202f", " ").replace("’", "'")
    s = re.sub(r"(?<=\d)[ '](?=\d{3})", "", s)
    has_c, has_d = "," in s, "." in s
    if has_c and has_d:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
    elif has_c:
        parts = s.split(",")
        if len(parts) > 2:
            dec = "."  # 1,234,567
        elif len(parts[1]) == 3 and not (habits.decimal_comma and len(parts[0]) <= 3 and parts[0] == "0"):
            dec = "," if (habits.decimal_comma and parts[0] == "0") else "."
        else:
            dec = ","
    elif has_d:
        parts = s.split(".")
        if len(parts) > 2:
            dec = ","  # 1.234.567
        elif len(parts[1]) == 3 and habits.decimal_comma:
            dec = ","
        else:
            dec = "."
    else:
        dec = "."
    if dec == ",":
        s = s.replace(".", "").replace(",", ".")
    else:
        s = s.replace(",", "")
    try:
        return float(s)
    except ValueError:
        return None


@dataclass
class Amount:
    value: float
    start: int
    end: int
    has_decimals: bool
    currency: str | None
    percent: bool


def _is_currency_word(word: str) -> bool:
    return word.upper() in ISO_CURRENCIES or word in CURRENCY_SYMBOLS or word.lower() in CURRENCY_WORDS or word == "บาท"


def find_amounts(text: str, habits: Habits | None = None) -> list[Amount]:
    """Every number in ``text`` that could be money, in order (percentages flagged)."""
    habits = habits or Habits()
    clean = _clean_number_text(text)
    out: list[Amount] = []
    for m in _NUM_RE.finditer(clean):
        num = m.group("num")
        left, right = clean[: m.start()], clean[m.end("num") :]
        glued_left = re.search(r"[^\W\d_]+$", clean[: m.start("num")])
        baht_b = glued_left is not None and glued_left.group(0) == "B" and habits.thai and "," in num  # "฿975,136.90" read "B975,136.90"
        if glued_left and not _is_currency_word(glued_left.group(0)) and not baht_b:
            continue  # A12, INV2024
        glued_right = re.match(r"[^\W\d_]+", right)
        if glued_right and not (_is_currency_word(glued_right.group(0)) or glued_right.group(0).upper() == "CR"):
            continue  # 12B, 3rd
        if m.group("neg1") == "-" and left[-1:].isalnum():
            continue  # INV-2024-001: a hyphen inside a code
        adjacent = clean[: m.start("num")] if m.group("neg1") is None else left
        if re.match(r"[/\-.:]\d", right) or (adjacent[-1:] in "/:-" and adjacent[-2:-1].isalnum()):
            continue  # part of a date, a code or a time
        value = _to_float(num, habits)
        if value is None:
            continue
        neg = bool(m.group("neg1") and m.group("neg1") in "-−–(" and (m.group("neg1") != "(" or m.group("neg2") == ")"))
        neg = neg or bool(m.group("neg2") and m.group("neg2").strip() in ("-", "CR"))
        if m.group("neg1") == "-" and m.start() > 0 and clean[m.start() - 1].isalnum():
            neg = False  # a hyphen inside a token
        rest = clean[m.end() : m.end() + 2].strip()
        percent = rest.startswith("%")
        cur = parse_currency(clean[max(0, m.start() - 4) : m.start()] + " " + clean[m.end() : m.end() + 5])
        decimals = bool(re.search(r"[.,]\d{1,2}$", num))
        out.append(Amount(-value if neg else value, m.start(), m.end(), decimals, cur, percent))
    return out


def parse_amount(text: str | None, habits: Habits | None = None) -> float | None:
    """The money amount in ``text`` ('$1,234.50', '1.234,50 €', '(12.00)', '฿ ๑๒๐') or None."""
    if not text:
        return None
    amounts = [a for a in find_amounts(text, habits) if not a.percent]
    if not amounts:
        return None
    with_dec = [a for a in amounts if a.has_decimals]
    return (with_dec or amounts)[-1 if with_dec else 0].value


def parse_int(text: str | None, habits: Habits | None = None) -> int | None:
    value = parse_amount(text, habits)
    if value is None:
        return None
    return int(round(value))


_TRUE = {"yes", "true", "y", "x", "✓", "✔", "☑", "ja", "oui", "ใช่", "1", "paid", "bezahlt", "payé"}
_FALSE = {"no", "false", "n", "☐", "nein", "non", "ไม่", "0", "unpaid"}


def parse_bool(text: str | None) -> bool | None:
    if text is None:
        return None
    t = text.strip().lower().strip(".:")
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    return None


# --------------------------------------------------------------------------- dates

_MONTHS: dict[str, int] = {}


def _months(names: str, *, prefix: int = 0) -> None:
    for i, group in enumerate(names.split(";"), start=1):
        for name in group.split(","):
            name = name.strip().lower()
            if name:
                _MONTHS[name] = i


_months("january,jan;february,feb;march,mar;april,apr;may;june,jun;july,jul;august,aug;september,sep,sept;october,oct;november,nov;december,dec")
_months("januar,jän,jaen;februar,feber;märz,maerz,mrz,mär;april;mai;juni;juli;august;september;oktober,okt;november;dezember,dez")
_months("janvier,janv;février,fevrier,févr,fevr,fév;mars;avril,avr;mai;juin;juillet,juil;août,aout,aoû;septembre;octobre;novembre;décembre,decembre,déc")
_months("enero,ene;febrero;marzo;abril,abr;mayo;junio;julio;agosto,ago;septiembre,setiembre;octubre;noviembre;diciembre,dic")
_months("gennaio,gen;febbraio;marzo;aprile;maggio,mag;giugno,giu;luglio,lug;agosto;settembre,set;ottobre,ott;novembre;dicembre")
_months("januari;februari;maart,mrt;april;mei;juni;juli;augustus;september;oktober;november;december")
_months(
    "มกราคม,ม.ค.,มค;กุมภาพันธ์,ก.พ.,กพ;มีนาคม,มี.ค.,มีค;เมษายน,เม.ย.,เมย;พฤษภาคม,พ.ค.,พค;มิถุนายน,มิ.ย.,มิย;"
    "กรกฎาคม,ก.ค.,กค;สิงหาคม,ส.ค.,สค;กันยายน,ก.ย.,กย;ตุลาคม,ต.ค.,ตค;พฤศจิกายน,พ.ย.,พย;ธันวาคม,ธ.ค.,ธค"
)
_MONTH_ALT = "|".join(re.escape(m) for m in sorted(_MONTHS, key=len, reverse=True))
_SEP = r"[./\-]"
_DATE_PATTERNS = [
    # 2024-03-12, 2024/3/12, 2567-03-12
    ("ymd", re.compile(r"(?<!\d)(\d{4})\s?[./\-]\s?(\d{1,2})\s?[./\-]\s?(\d{1,2})(?!\d)")),
    # 12/03/2024, 3.12.24, 12-03-2567
    ("dmy?", re.compile(r"(?<![\d.,])(\d{1,2})\s?([./\-])\s?(\d{1,2})\s?\2\s?(\d{4}|\d{2})(?!(?!\d{1,2}:\d{2})(?:\d|,(?![\s]|$))|\.\d)")),  # a time glued on by OCR may follow; "13/02/2024, 10:39"
    # 12 March 2024, 12. März 2024, 1er mars 2024, 12-Mar-2024, 12 มี.ค. 67
    ("d_mon_y", re.compile(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th|er|\.)?[\s\-/.,:;]*(" + _MONTH_ALT + r")\.?[\s\-/.,]*('?\d{4}|'?\d{2})(?!\d)", re.IGNORECASE)),
    # March 12, 2024 / Mar 12 2024
    ("mon_d_y", re.compile(r"(?<![A-Za-z])(" + _MONTH_ALT + r")\.?\s*(\d{1,2})(?:st|nd|rd|th)?,?\s*(\d{4})(?!\d)", re.IGNORECASE)),
    # 20240312
    ("compact", re.compile(r"(?<!\d)(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?!\d)")),
]


@dataclass
class FoundDate:
    value: dt.date
    start: int
    end: int
    ambiguous: bool  # day and month could be swapped


def _year(y: str, habits: Habits, thai_month: bool = False) -> int | None:
    y = y.lstrip("'")
    n = int(y)
    if len(y) == 2:
        if habits.thai or thai_month:
            # Thai 2-digit years are Buddhist era: 67 -> 2567 -> 2024 (CE 2-digit years from 60 are unlikely)
            n = 2500 + n - 543 if n >= 40 else 2000 + n
        else:
            n = 2000 + n if n < 70 else 1900 + n
    elif n >= 2400:
        n -= 543  # Buddhist era
    if not 1900 <= n <= 2100:
        return None
    return n


def _mk(y: int | None, m: int, d: int) -> dt.date | None:
    if y is None:
        return None
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def find_dates(text: str, habits: Habits | None = None) -> list[FoundDate]:
    """Every date in ``text`` (in order of position); overlapping matches keep the first pattern's."""
    habits = habits or Habits()
    clean = thai_digits(unicodedata.normalize("NFKC", text))
    clean = re.sub(r"(?<=[\u0e01-\u0e2e]\.)\s+(?=[\u0e01-\u0e2e]{1,2}\.)", "", clean)  # "ต. ค." -> "ต.ค."
    clean = re.sub(r"(?<=[\u0e01-\u0e2e][\u0e31-\u0e3a\u0e47-\u0e4e]\.)\s+(?=[\u0e01-\u0e2e]\.?)", "", clean)  # "มิ. ย." -> "มิ.ย."
    # OCR reads a date's dots as colons or commas: "07:12:2023", "06.01:2024" (four-digit years only)
    clean = re.sub(r"(?<![\d.,:])(\d{1,2})[.:,;](\d{1,2})(?:[.:,;]|[,;]\.)(\d{4})(?![\d,]|\.\d)", r"\1.\2.\3", clean)  # "15;12,.2022"
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []
    for kind, rx in _DATE_PATTERNS:
        for m in rx.finditer(clean):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            g = m.groups()
            value: dt.date | None = None
            ambiguous = False
            if kind == "ymd":
                value = _mk(_year(g[0], habits), int(g[1]), int(g[2]))
            elif kind == "dmy?":
                a, b, y = int(g[0]), int(g[2]), g[3]
                year = _year(y, habits)
                if a > 12 and b <= 12:
                    value = _mk(year, b, a)
                elif b > 12 and a <= 12:
                    value = _mk(year, a, b)
                else:
                    ambiguous = a != b
                    value = _mk(year, b, a) if habits.day_first else _mk(year, a, b)
            elif kind == "d_mon_y":
                mon = g[1].lower()
                month = _MONTHS.get(mon) or _MONTHS.get(mon.rstrip("."))
                thai_month = any("\u0e00" <= c <= "\u0e7f" for c in mon)
                if month:
                    value = _mk(_year(g[2], habits, thai_month), month, int(g[0]))
            elif kind == "mon_d_y":
                month = _MONTHS.get(g[0].lower())
                if month:
                    value = _mk(_year(g[2], habits), month, int(g[1]))
            elif kind == "compact":
                value = _mk(int(g[0]), int(g[1]), int(g[2]))
            if value is not None:
                found.append(FoundDate(value, m.start(), m.end(), ambiguous))
                taken.append((m.start(), m.end()))
    found.sort(key=lambda f: f.start)
    return found


def parse_date(text: str | None, habits: Habits | None = None) -> str | None:
    """The first date in ``text`` as ISO ``YYYY-MM-DD`` or None."""
    if not text:
        return None
    dates = find_dates(text, habits)
    return dates[0].value.isoformat() if dates else None


def habits_of(text: str) -> Habits:
    """Guess the document's number and date habits from its whole text."""
    clean = thai_digits(text)
    comma = len(re.findall(r"\d\.\d{3},\d{2}(?!\d)|(?<![\d.,])\d{1,3},\d{2}(?![\d.,%])", clean))
    point = len(re.findall(r"\d,\d{3}\.\d{2}(?!\d)|(?<![\d.,])\d{1,3}\.\d{2}(?![\d.,%])", clean))
    habits = Habits(decimal_comma=comma > point)
    habits.thai = bool(re.search(r"[\u0e01-\u0e2e]", text))
    day_first = month_first = 0
    for m in re.finditer(r"(?<!\d)(\d{1,2})[./\-](\d{1,2})[./\-](\d{2,4})(?!\d)", clean):
        a, b = int(m.group(1)), int(m.group(2))
        if a > 12 >= b:
            day_first += 1
        elif b > 12 >= a:
            month_first += 1
    curs = [c for c in find_currencies(clean) if c[3] >= 2]
    if curs:
        counts: dict[str, int] = {}
        for code, *_ in curs:
            counts[code] = counts.get(code, 0) + 1
        habits.currency = max(counts, key=lambda k: counts[k])
    if day_first or month_first:
        habits.day_first = day_first >= month_first
    else:
        # No telling date: US-style documents (US dollar amounts, English only) write month
        # first; the other dollars (S$, A$, HK$, C$, NZ$...) are day-first countries.
        us = habits.currency == "USD" and not habits.thai and not re.search(r"[€£฿]|EUR|GBP|THB|CAD|AUD|SGD|HKD|NZD", clean)
        habits.day_first = not us
    return habits
