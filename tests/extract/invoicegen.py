"""Synthetic invoices and receipts with known field values, for extraction tests and benches.

Every document is drawn from a :class:`Spec` (a seed decides everything: language, layout,
font, label wordings, date and number formats, currency style, degradation), so a failing
document can be rebuilt exactly. The same page description renders to a born-digital PDF
(fpdf2, fonts embedded) or to a scan (Pillow at 150-300 dpi, then noise, blur and a small
rotation through ``docgen.degrade``), so the true values are known in both cases.

    import invoicegen
    specs = invoicegen.corpus(160)                  # 160 specs, half of them scans
    doc = invoicegen.build(specs[0])                # -> Generated(data, truth, ocr_lang, ...)
    doc.truth["total"], doc.truth["date"]           # 1234.5, "2024-03-12"

Languages: English, German, French and Thai. Kinds: invoices (A4/Letter, four layouts) and
receipts (80 mm till rolls).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import random
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

import docgen

__all__ = ["Spec", "Generated", "corpus", "build", "FIELDS", "SCHEMAS"]

FIELDS = ("invoice_number", "date", "total", "currency", "vendor")

# One generic template per document kind, as a user would write it (not tuned to the generator).
SCHEMAS = {
    "invoice": {
        "type": "object",
        "properties": {
            "invoiceNumber": {"type": "string", "description": "Invoice number"},
            "invoiceDate": {"type": "string", "format": "date"},
            "totalAmount": {"type": "number", "description": "Grand total"},
            "currency": {"type": "string", "description": "ISO currency code"},
            "vendorName": {"type": "string", "description": "Seller company name"},
            "lineItems": {
                "type": "array",
                "items": {"type": "object", "properties": {
                    "description": {"type": "string"}, "quantity": {"type": "number"},
                    "unitPrice": {"type": "number"}, "amount": {"type": "number"}}},
            },
        },
    },
    "receipt": {
        "receiptNumber": {"type": "string"},
        "date": {"type": "string", "format": "date"},
        "total": {"type": "number"},
        "currency": {"type": "string"},
        "merchantName": {"type": "string"},
        "items": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}, "quantity": {"type": "number"}, "amount": {"type": "number"}}}},
    },
}
# schema property -> truth key
SCHEMA_FIELDS = {
    "invoice": {"invoiceNumber": "invoice_number", "invoiceDate": "date", "totalAmount": "total", "currency": "currency", "vendorName": "vendor"},
    "receipt": {"receiptNumber": "invoice_number", "date": "date", "total": "total", "currency": "currency", "merchantName": "vendor"},
}

# --------------------------------------------------------------------------- fonts


@functools.cache
def _fonts() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"latin": [], "thai": [], "mono": []}
    try:
        lines = subprocess.run(["fc-list", "--format=%{file}|%{family[0]}|%{style[0]}|%{lang}\n"], capture_output=True, text=True, timeout=30).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        lines = []
    for line in lines:
        parts = line.split("|")
        if len(parts) < 4:
            continue
        path, family, style, langs = parts[0], parts[1], parts[2], "|".join(parts[3:])
        if not path.endswith((".ttf", ".otf")) or style.lower() not in ("regular", "book", "roman", "light"):
            continue
        if any(s in family for s in ("Symbol", "Math", "Droid", "Z003", "D050000L", "Purisa", "Sawasdee", "Tlwg")):
            continue
        if "th" in langs.split("|"):
            out["thai"].append(path)
        elif "Mono" in family or "Typewriter" in family:
            out["mono"].append(path)
        elif "en" in langs:
            out["latin"].append(path)
    for k in out:
        out[k] = sorted(set(out[k]))
    if not out["latin"]:
        out["latin"] = [docgen.latin_font_path()]
    if not out["thai"]:
        out["thai"] = [docgen.thai_font_path()]
    if not out["mono"]:
        out["mono"] = out["latin"][:1]
    return out


@functools.cache
def _face(path: str, size: int) -> ImageFont.FreeTypeFont:
    engine = ImageFont.Layout.RAQM if docgen._has_raqm() else ImageFont.Layout.BASIC
    return ImageFont.truetype(path, size=size, layout_engine=engine)


def _width(font: str, size: float, text: str) -> float:
    return _face(font, 200).getlength(text) * size / 200.0


# --------------------------------------------------------------------------- content

VENDOR_WORDS = {
    "en": (["Northwind", "Blue Harbor", "Summit", "Greenfield", "Redwood", "Atlas", "Brightline", "Oakridge", "Silverstone", "Maple Leaf", "Crescent", "Pioneer"],
           ["Trading", "Supplies", "Logistics", "Consulting", "Electronics", "Foods", "Print", "Design", "Hardware", "Office Solutions"],
           ["Ltd", "Ltd.", "Inc.", "LLC", "Co., Ltd.", "Corporation", "Group", ""]),
    "de": (["Müller", "Schneider", "Becker", "Hoffmann", "Wagner", "Schäfer", "Krüger", "Zimmermann", "Hartmann", "Lehmann"],
           ["Bürobedarf", "Elektrotechnik", "Logistik", "Maschinenbau", "Druckerei", "Feinkost", "Handel", "Software"],
           ["GmbH", "AG", "KG", "GmbH & Co. KG", "e.K.", "UG"]),
    "fr": (["Dupont", "Lefèvre", "Moreau", "Laurent", "Girard", "Bonnet", "Mercier", "Rousseau", "Fontaine", "Chevalier"],
           ["Boulangerie", "Imprimerie", "Transports", "Informatique", "Bureautique", "Conseil", "Fournitures", "Électricité"],
           ["SARL", "SAS", "SA", "EURL", "& Fils"]),
    "th": (["สยาม", "กรุงเทพ", "ไทยรุ่งเรือง", "เจริญผล", "ศรีสุข", "มั่นคง", "รุ่งโรจน์", "พัฒนา"],
           ["เทค", "การค้า", "ซัพพลาย", "อิเล็กทรอนิกส์", "ฟู้ดส์", "โลจิสติกส์", "เทรดดิ้ง"],
           ["จำกัด", "จำกัด (มหาชน)"]),
}
CUSTOMERS = {
    "en": ["Acme Retail Ltd", "Globex Inc.", "Initech LLC", "Umbrella Stores", "Stark Industries"],
    "de": ["Weber Consulting GmbH", "Fischer & Söhne KG", "Stadtwerke Nord AG", "Bauer Bau GmbH"],
    "fr": ["Martin Distribution SAS", "Petit Commerce SARL", "Garnier Immobilier SA", "Roux Services"],
    "th": ["บริษัท ลูกค้าดี จำกัด", "ห้างหุ้นส่วนจำกัด สมชาย", "บริษัท ไทยพาณิชย์ จำกัด"],
}
STREETS = {
    "en": ["12 Market Street, Springfield", "480 Harbor Road, Portsmouth", "77 King Avenue, Leeds", "1500 Main St, Austin TX 78701"],
    "de": ["Hauptstraße 12, 10115 Berlin", "Bahnhofstr. 5, 80331 München", "Lindenweg 3, 50667 Köln"],
    "fr": ["12 rue de la Paix, 75002 Paris", "4 avenue Jean Jaurès, 69007 Lyon", "9 boulevard Victor Hugo, 06000 Nice"],
    "th": ["99/1 ถนนสุขุมวิท แขวงคลองเตย กรุงเทพฯ 10110", "15 ถนนพระราม 4 เขตปทุมวัน กรุงเทพฯ 10330", "8 ถนนนิมมานเหมินท์ เชียงใหม่ 50200"],
}
ITEMS = {
    "en": ["Printer paper A4", "Ink cartridge black", "USB-C cable", "Consulting hours", "Delivery fee", "Office chair", "Laptop stand", "Coffee beans 1kg", "Monitor 24 inch", "Software license"],
    "de": ["Kopierpapier A4", "Druckerpatrone", "Beratungsstunden", "Versandkosten", "Bürostuhl", "Kaffeebohnen", "Monitor 24 Zoll", "Softwarelizenz"],
    "fr": ["Papier A4", "Cartouche d'encre", "Heures de conseil", "Frais de livraison", "Chaise de bureau", "Café en grains", "Écran 24 pouces", "Licence logicielle"],
    "th": ["กระดาษ A4", "หมึกพิมพ์", "ค่าบริการที่ปรึกษา", "ค่าจัดส่ง", "เก้าอี้สำนักงาน", "เมล็ดกาแฟ", "จอภาพ 24 นิ้ว", "ค่าลิขสิทธิ์ซอฟต์แวร์"],
}
RECEIPT_ITEMS = {
    "en": ["Latte", "Espresso", "Croissant", "Bagel", "Orange juice", "Sandwich", "Muffin", "Water"],
    "de": ["Brötchen", "Kaffee", "Milch", "Butter", "Käse", "Apfelsaft", "Brezel", "Wasser"],
    "fr": ["Baguette", "Café", "Croissant", "Pain au chocolat", "Eau minérale", "Jus d'orange", "Tarte"],
    "th": ["กาแฟเย็น", "ชาไทย", "ข้าวผัด", "น้ำดื่ม", "ขนมปัง", "ผัดไทย", "น้ำส้ม"],
}
TITLE = {
    "invoice": {"en": ["INVOICE", "Invoice", "TAX INVOICE", "Sales Invoice"], "de": ["RECHNUNG", "Rechnung"], "fr": ["FACTURE", "Facture"], "th": ["ใบกำกับภาษี", "ใบแจ้งหนี้", "ใบกำกับภาษี/ใบเสร็จรับเงิน"]},
    "receipt": {"en": ["RECEIPT", "Sales Receipt", ""], "de": ["Kassenbon", "Quittung", ""], "fr": ["Ticket de caisse", "Reçu", ""], "th": ["ใบเสร็จรับเงิน", "ใบเสร็จรับเงิน/ใบกำกับภาษีอย่างย่อ"]},
}
LABELS = {
    "number": {"en": ["Invoice No:", "Invoice #", "Invoice Number:", "Invoice no.", "No.:", "Inv. No:"], "de": ["Rechnungsnummer:", "Rechnungs-Nr.:", "Rechnung Nr.", "Nr.:"], "fr": ["N° de facture :", "Facture n°", "Numéro de facture :", "N° :"], "th": ["เลขที่:", "เลขที่ใบกำกับภาษี:", "เลขที่เอกสาร"]},
    "rnumber": {"en": ["Receipt No:", "Receipt #", "Trans #:", "No."], "de": ["Beleg-Nr.:", "Bon-Nr.", "Belegnummer:"], "fr": ["Ticket n°", "Reçu n° :", "N° :"], "th": ["เลขที่:", "เลขที่ใบเสร็จ:"]},
    "date": {"en": ["Date:", "Invoice Date:", "Issue date:", "Dated"], "de": ["Datum:", "Rechnungsdatum:"], "fr": ["Date :", "Date de facture :", "Date d'émission :"], "th": ["วันที่:", "วันที่", "วันที่ออกใบกำกับภาษี:"]},
    "due": {"en": ["Due Date:", "Payment due:"], "de": ["Fällig am:", "Zahlbar bis:"], "fr": ["Échéance :", "Date d'échéance :"], "th": ["วันครบกำหนด:", "ครบกำหนดชำระ:"]},
    "billto": {"en": ["Bill To:", "Billed to", "Customer:"], "de": ["Rechnungsempfänger:", "Kunde:"], "fr": ["Facturé à :", "Client :"], "th": ["ลูกค้า:", "ผู้ซื้อ:"]},
    "subtotal": {"en": ["Subtotal", "Sub-total", "Net amount"], "de": ["Zwischensumme", "Nettobetrag", "Summe netto"], "fr": ["Sous-total", "Total HT"], "th": ["รวมเงิน", "มูลค่าก่อนภาษี"]},
    "tax": {"en": ["VAT {r}%", "Tax ({r}%)", "Sales tax"], "de": ["MwSt. {r}%", "USt. {r}%", "zzgl. {r}% MwSt."], "fr": ["TVA {r} %", "TVA ({r}%)"], "th": ["ภาษีมูลค่าเพิ่ม {r}%", "VAT {r}%"]},
    "total": {"en": ["Total", "TOTAL", "Grand Total", "Amount Due", "Total Due", "Balance Due"], "de": ["Gesamtbetrag", "Rechnungsbetrag", "Gesamt", "Summe", "Endbetrag"], "fr": ["Total TTC", "Net à payer", "Montant total", "TOTAL"], "th": ["จำนวนเงินรวมทั้งสิ้น", "รวมทั้งสิ้น", "ยอดสุทธิ", "ยอดรวม"]},
    "cols": {"en": [("Description", "Qty", "Unit Price", "Amount"), ("Item", "Quantity", "Rate", "Total"), ("Product", "Qty", "Price", "Line Total")],
             "de": [("Bezeichnung", "Menge", "Einzelpreis", "Gesamtpreis"), ("Artikel", "Anzahl", "Preis", "Betrag")],
             "fr": [("Désignation", "Qté", "Prix unitaire", "Montant"), ("Description", "Quantité", "P.U.", "Total")],
             "th": [("รายการ", "จำนวน", "ราคาต่อหน่วย", "จำนวนเงิน"), ("รายละเอียด", "จำนวน", "หน่วยละ", "ราคารวม")]},
    "cash": {"en": ["Cash", "Card"], "de": ["Bar", "Gegeben"], "fr": ["Espèces", "Payé"], "th": ["เงินสด", "รับเงิน"]},
    "change": {"en": ["Change"], "de": ["Rückgeld"], "fr": ["Rendu"], "th": ["เงินทอน"]},
    "thanks": {"en": ["Thank you for your business!", "Thank you!"], "de": ["Vielen Dank für Ihren Einkauf!", "Vielen Dank!"], "fr": ["Merci de votre visite !", "Merci !"], "th": ["ขอบคุณที่ใช้บริการ"]},
    "terms": {"en": ["Payment terms: 30 days net. Please include the invoice number with your payment."], "de": ["Zahlbar innerhalb von 14 Tagen ohne Abzug."], "fr": ["Paiement à 30 jours. Pénalités de retard : 3 fois le taux légal."], "th": ["กรุณาชำระเงินภายใน 30 วัน"]},
}
MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"],
    "th": ["มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม"],
}
TH_ABBR = ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."]


def _fmt_date(d: dt.date, lang: str, style: int, us: bool) -> str:
    if lang == "en":
        return [
            f"{MONTHS['en'][d.month - 1]} {d.day}, {d.year}",
            f"{d.month:02d}/{d.day:02d}/{d.year}" if us else f"{d.day:02d}/{d.month:02d}/{d.year}",
            f"{d.day} {MONTHS['en'][d.month - 1][:3]} {d.year}",
            d.isoformat(),
        ][style % 4]
    if lang == "de":
        return [f"{d.day:02d}.{d.month:02d}.{d.year}", f"{d.day}. {MONTHS['de'][d.month - 1]} {d.year}", f"{d.day:02d}.{d.month:02d}.{d.year % 100:02d}", d.isoformat()][style % 4]
    if lang == "fr":
        return [f"{d.day:02d}/{d.month:02d}/{d.year}", f"{d.day} {MONTHS['fr'][d.month - 1]} {d.year}", f"{d.day:02d}-{d.month:02d}-{d.year}", f"{d.day:02d}.{d.month:02d}.{d.year}"][style % 4]
    be = d.year + 543
    return [f"{d.day:02d}/{d.month:02d}/{be}", f"{d.day} {MONTHS['th'][d.month - 1]} {be}", f"{d.day} {TH_ABBR[d.month - 1]} {be % 100:02d}", f"{d.day:02d}/{d.month:02d}/{d.year}"][style % 4]


def _fmt_amount(v: float, style: str) -> str:
    s = f"{abs(v):,.2f}"
    if style == "comma":  # 1.234,56
        s = s.replace(",", "_").replace(".", ",").replace("_", ".")
    elif style == "space":  # 1 234,56
        s = s.replace(",", " ").replace(".", ",")
    elif style == "plain":
        s = f"{abs(v):.2f}"
    return ("-" if v < 0 else "") + s


def _money(v: float, spec: "Spec") -> str:
    a = _fmt_amount(v, spec.number_style)
    sym, where = spec.currency_mark
    if not sym:
        return a
    return f"{sym}{a}" if where == "pre" else f"{sym} {a}" if where == "pre_space" else f"{a} {sym}"


# --------------------------------------------------------------------------- specs


@dataclass
class Spec:
    seed: int
    kind: str  # invoice | receipt
    lang: str  # en de fr th
    scan: bool
    layout: int = 0
    font: str = ""
    number_style: str = "point"
    currency: str = "USD"
    currency_mark: tuple[str, str] = ("$", "pre")
    date_style: int = 0
    us_dates: bool = False
    dpi: int = 300
    noise: float = 0.0
    blur: float = 0.0
    angle: float = 0.0
    jpeg: bool = False

    @property
    def name(self) -> str:
        return f"{self.seed:04d}-{self.kind}-{self.lang}-{'scan' if self.scan else 'pdf'}-L{self.layout}"


@dataclass
class Generated:
    spec: Spec
    data: bytes
    truth: dict[str, object]
    ocr_lang: str
    items: list[dict[str, object]] = field(default_factory=list)


def make_spec(seed: int, scan: bool) -> Spec:
    rng = random.Random(f"invoicegen-{seed}")
    lang = rng.choices(["en", "de", "fr", "th"], weights=[40, 20, 20, 20])[0]
    kind = "receipt" if rng.random() < 0.35 else "invoice"
    spec = Spec(seed, kind, lang, scan)
    spec.layout = rng.randrange(4) if kind == "invoice" else rng.randrange(2)
    fonts = _fonts()
    if lang == "th":
        spec.font = rng.choice(fonts["thai"])
    elif kind == "receipt" and rng.random() < 0.5:
        spec.font = rng.choice(fonts["mono"])
    else:
        spec.font = rng.choice(fonts["latin"])
    if lang == "en":
        spec.currency, mark = rng.choice([("USD", ("$", "pre")), ("USD", ("USD", "post")), ("GBP", ("£", "pre")), ("EUR", ("€", "pre")), ("SGD", ("S$", "pre")), ("AUD", ("AUD", "pre_space"))])
        spec.number_style = "point"
        spec.us_dates = spec.currency == "USD"
    elif lang == "de":
        spec.currency, mark = rng.choice([("EUR", ("€", "post")), ("EUR", ("EUR", "post")), ("CHF", ("CHF", "pre_space"))])
        spec.number_style = "comma"
    elif lang == "fr":
        spec.currency, mark = rng.choice([("EUR", ("€", "post")), ("EUR", ("EUR", "post"))])
        spec.number_style = rng.choice(["space", "comma"])
    else:
        spec.currency, mark = rng.choice([("THB", ("บาท", "post")), ("THB", ("฿", "pre")), ("THB", ("THB", "post"))])
        spec.number_style = "point"
    spec.currency_mark = mark
    spec.date_style = rng.randrange(4)
    if scan:
        spec.dpi = rng.choice([300, 300, 250, 200, 150])
        spec.noise = rng.uniform(0.0, 0.02)
        spec.blur = rng.uniform(0.0, 0.9)
        spec.angle = rng.uniform(-1.2, 1.2)
        spec.jpeg = rng.random() < 0.4
    return spec


def corpus(n: int = 160, seed: int = 0, scans: float = 0.5) -> list[Spec]:
    """``n`` document specs; every other one (by ``scans`` share) is a degraded scan."""
    step = max(1, round(1 / scans)) if scans > 0 else 0
    return [make_spec(seed * 100000 + i, scan=bool(step) and i % step == step - 1) for i in range(n)]


# --------------------------------------------------------------------------- drawing


@dataclass
class Text:
    x: float  # points
    y: float  # baseline, points
    text: str
    size: float
    align: str = "left"  # left | right | center


class Page:
    def __init__(self, w: float, h: float, font: str) -> None:
        self.w, self.h, self.font = w, h, font
        self.items: list[Text] = []

    def text(self, x: float, y: float, text: str, size: float = 10, align: str = "left") -> None:
        if text:
            self.items.append(Text(x, y, text, size, align))

    def width(self, text: str, size: float) -> float:
        return _width(self.font, size, text)

    def _x(self, t: Text) -> float:
        w = self.width(t.text, t.size)
        return t.x - w if t.align == "right" else t.x - w / 2 if t.align == "center" else t.x

    def pdf(self) -> bytes:
        from fpdf import FPDF

        pdf = FPDF(unit="pt", format=(self.w, self.h))
        pdf.set_auto_page_break(False)
        pdf.set_margins(0, 0, 0)
        pdf.set_creation_date(docgen._FIXED_DATE)
        pdf.add_font("gen", fname=self.font)
        pdf.add_page()
        if docgen._has_raqm() and any("\u0e00" <= c <= "\u0e7f" for t in self.items for c in t.text):
            try:
                pdf.set_text_shaping(True)
            except Exception:  # noqa: BLE001 - shaping needs uharfbuzz; plain text still works
                pass
        for t in self.items:
            pdf.set_font("gen", size=t.size)
            pdf.text(self._x(t), t.y, t.text)
        return bytes(pdf.output())

    def image(self, dpi: int) -> Image.Image:
        scale = dpi / 72.0
        img = Image.new("L", (round(self.w * scale), round(self.h * scale)), 255)
        draw = ImageDraw.Draw(img)
        for t in self.items:
            face = _face(self.font, max(6, round(t.size * scale)))
            draw.text((self._x(t) * scale, t.y * scale), t.text, fill=0, font=face, anchor="ls")
        img.info["dpi"] = (dpi, dpi)
        return img


# --------------------------------------------------------------------------- documents


def _content(spec: Spec, rng: random.Random) -> dict[str, object]:
    first, middle, suffix = VENDOR_WORDS[spec.lang]
    if spec.lang == "th":
        vendor = f"บริษัท {rng.choice(first)}{rng.choice(middle)} {rng.choice(suffix)}"
    elif spec.lang == "fr" and rng.random() < 0.5:
        vendor = f"{rng.choice(middle)} {rng.choice(first)} {rng.choice(suffix)}"
    else:
        vendor = f"{rng.choice(first)} {rng.choice(middle)} {rng.choice(suffix)}".strip()
    if spec.kind == "receipt" and spec.lang != "th" and rng.random() < 0.5:
        vendor = f"{rng.choice(first)} {rng.choice(['Cafe', 'Market', 'Bakery', 'Store', 'Kiosk'])}"
    year = rng.choice([2022, 2023, 2024, 2025])
    date = dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
    number = rng.choice([
        lambda: f"INV-{year}-{rng.randint(1, 9999):04d}", lambda: f"{year}/{rng.randint(100, 9999)}", lambda: f"F{year % 100}{rng.randint(1000, 99999)}",
        lambda: f"RE-{rng.randint(10000, 99999)}", lambda: f"A-{rng.randint(1, 999999):06d}", lambda: str(rng.randint(10000, 9999999)),
        lambda: f"TX{rng.randint(100000, 999999)}", lambda: f"IV{year % 100}-{rng.randint(100, 999)}",
    ])()
    items = []
    pool = ITEMS[spec.lang] if spec.kind == "invoice" else RECEIPT_ITEMS[spec.lang]
    for name in rng.sample(pool, rng.randint(1, min(6, len(pool)))):
        qty = rng.choice([1, 1, 2, 3, 5, 10, 12])
        price = round(rng.choice([rng.uniform(1, 20), rng.uniform(20, 300), rng.uniform(300, 2500)]) if spec.kind == "invoice" else rng.uniform(1, 12), 2)
        if spec.currency in ("THB",):
            price = round(price * rng.choice([10, 30]), 2)
        items.append({"description": name, "quantity": qty, "unitPrice": price, "amount": round(qty * price, 2)})
    subtotal = round(sum(i["amount"] for i in items), 2)
    rate = {"de": 19, "fr": 20, "th": 7}.get(spec.lang, rng.choice([0, 5, 10, 20]))
    tax = round(subtotal * rate / 100, 2)
    total = round(subtotal + tax, 2)
    return {"vendor": vendor, "date": date, "due": date + dt.timedelta(days=rng.choice([14, 30, 45])), "number": number,
            "items": items, "subtotal": subtotal, "rate": rate, "tax": tax, "total": total,
            "customer": rng.choice(CUSTOMERS[spec.lang]), "address": rng.choice(STREETS[spec.lang]), "caddress": rng.choice(STREETS[spec.lang])}


def _invoice(spec: Spec, c: dict, rng: random.Random) -> Page:
    w, h = rng.choice([docgen.A4, docgen.LETTER])
    p = Page(w, h, spec.font)
    L = lambda key: rng.choice(LABELS[key][spec.lang])  # noqa: E731
    fs = rng.choice([9, 10, 10, 11])
    m = rng.choice([40, 50, 60])
    lh = fs * 1.45
    d = lambda v: _fmt_date(v, spec.lang, spec.date_style, spec.us_dates)  # noqa: E731
    title = rng.choice(TITLE["invoice"][spec.lang])
    y = m + 20
    meta = [(L("number"), c["number"]), (L("date"), d(c["date"])), (L("due"), d(c["due"]))]
    if spec.layout in (0, 3):
        # vendor block on one side, title + meta on the other
        vx, mx, valign = (m, w - m, "right") if spec.layout == 0 else (w - m, m, "left")
        p.text(vx, y, c["vendor"], fs * 1.6, "left" if spec.layout == 0 else "right")
        for i, line in enumerate([c["address"], f"Tel. +{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}", f"{'VAT' if spec.lang == 'en' else 'USt-IdNr.' if spec.lang == 'de' else 'N° TVA' if spec.lang == 'fr' else 'เลขประจำตัวผู้เสียภาษี'} {rng.randint(10**9, 10**10 - 1)}"]):
            p.text(vx, y + fs * 2 + i * lh, line, fs * 0.9, "left" if spec.layout == 0 else "right")
        p.text(mx, y, title, fs * 2, valign)
        ty = y + fs * 2.2
        if spec.layout == 0:
            lab_x = w - m - 230
            for i, (lab, val) in enumerate(meta):
                p.text(lab_x, ty + i * lh, lab, fs)
                p.text(w - m, ty + i * lh, val, fs, "right")
        else:
            for i, (lab, val) in enumerate(meta):
                p.text(m, ty + i * lh, f"{lab} {val}", fs)
        y = y + 6 * lh + 20
    elif spec.layout == 1:
        # centred title and vendor, meta as a small table: labels over values
        p.text(w / 2, y, c["vendor"], fs * 1.5, "center")
        p.text(w / 2, y + lh * 1.3, c["address"], fs * 0.9, "center")
        p.text(w / 2, y + lh * 3, title, fs * 1.8, "center")
        ty = y + lh * 5
        cols = [m, m + (w - 2 * m) / 3, m + 2 * (w - 2 * m) / 3]
        for (lab, val), x in zip(meta, cols):
            p.text(x, ty, lab.rstrip(": "), fs)
            p.text(x, ty + lh, val, fs)
        y = ty + 3 * lh
    else:
        # title first, then label column + value column, vendor labelled
        p.text(m, y, title, fs * 2.2)
        vendor_label = {"en": "From:", "de": "Verkäufer:", "fr": "Fournisseur :", "th": "ผู้ขาย:"}[spec.lang]
        rows = [(vendor_label, c["vendor"]), ("", c["address"])] + meta
        for i, (lab, val) in enumerate(rows):
            p.text(m, y + (2 + i) * lh, lab, fs)
            p.text(m + 150, y + (2 + i) * lh, val, fs)
        y = y + (3 + len(rows)) * lh
    # customer
    p.text(m, y, L("billto"), fs)
    p.text(m, y + lh, c["customer"], fs)
    p.text(m, y + 2 * lh, c["caddress"], fs * 0.9)
    y += 4 * lh
    # items table
    cols = rng.choice(LABELS["cols"][spec.lang])
    xs = [m, w - m - 250, w - m - 120, w - m]
    p.text(xs[0], y, cols[0], fs)
    p.text(xs[1], y, cols[1], fs, "right")
    p.text(xs[2], y, cols[2], fs, "right")
    p.text(xs[3], y, cols[3], fs, "right")
    y += lh * 1.4
    for it in c["items"]:
        p.text(xs[0], y, it["description"], fs)
        p.text(xs[1], y, str(it["quantity"]), fs, "right")
        p.text(xs[2], y, _fmt_amount(it["unitPrice"], spec.number_style), fs, "right")
        p.text(xs[3], y, _fmt_amount(it["amount"], spec.number_style), fs, "right")
        y += lh
    y += lh
    tx = w - m - 230
    totals = [(L("subtotal"), _money(c["subtotal"], spec)), (L("tax").format(r=c["rate"]), _money(c["tax"], spec)), (L("total"), _money(c["total"], spec))]
    for i, (lab, val) in enumerate(totals):
        size = fs * (1.2 if i == 2 else 1)
        p.text(tx, y + i * lh * 1.2, lab, size)
        p.text(w - m, y + i * lh * 1.2, val, size, "right")
    y += 5 * lh
    if rng.random() < 0.6:
        p.text(m, y, L("terms"), fs * 0.85)
    p.text(m, min(h - m, y + 3 * lh), L("thanks"), fs * 0.9)
    return p


def _receipt(spec: Spec, c: dict, rng: random.Random) -> Page:
    w = 226.77  # 80 mm
    fs = rng.choice([8, 8.5, 9])
    lh = fs * 1.5
    n_lines = 16 + len(c["items"])
    h = 40 + n_lines * lh + 40
    p = Page(w, h, spec.font)
    L = lambda key: rng.choice(LABELS[key][spec.lang])  # noqa: E731
    m = 12
    y = 30
    p.text(w / 2, y, c["vendor"], fs * 1.3, "center")
    p.text(w / 2, y + lh * 1.2, c["address"] if p.width(c["address"], fs * 0.8) < w - 2 * m else c["address"].split(",")[0], fs * 0.8, "center")
    y += lh * 3
    title = rng.choice(TITLE["receipt"][spec.lang])
    if title:
        p.text(w / 2, y, title, fs * 1.1, "center")
        y += lh * 1.3
    d = _fmt_date(c["date"], spec.lang, spec.date_style, spec.us_dates)
    if spec.layout == 0:
        p.text(m, y, f"{L('rnumber')} {c['number']}", fs)
        p.text(m, y + lh, f"{L('date')} {d}  {rng.randint(7, 21):02d}:{rng.randint(0, 59):02d}", fs)
    else:
        p.text(m, y, f"{d} {rng.randint(7, 21):02d}:{rng.randint(0, 59):02d}", fs)
        p.text(w - m, y, f"{L('rnumber')} {c['number']}", fs, "right")
    y += lh * 2.2
    for it in c["items"]:
        if it["quantity"] > 1:
            p.text(m, y, f"{it['quantity']} x {it['description']}", fs)
        else:
            p.text(m, y, it["description"], fs)
        p.text(w - m, y, _fmt_amount(it["amount"], spec.number_style), fs, "right")
        y += lh
    y += lh * 0.6
    lines = [(L("subtotal"), _money(c["subtotal"], spec))]
    if c["tax"]:
        lines.append((L("tax").format(r=c["rate"]), _money(c["tax"], spec)))
    lines.append((L("total"), _money(c["total"], spec)))
    paid = round(c["total"] + rng.choice([0, 0.5, 5, 10, 20]), 0) if rng.random() < 0.7 else c["total"]
    lines.append((L("cash"), _fmt_amount(paid, spec.number_style)))
    if paid > c["total"]:
        lines.append((L("change"), _fmt_amount(round(paid - c["total"], 2), spec.number_style)))
    for lab, val in lines:
        p.text(m, y, lab, fs)
        p.text(w - m, y, val, fs, "right")
        y += lh
    p.text(w / 2, y + lh, L("thanks"), fs * 0.9, "center")
    return p


def build(spec: Spec) -> Generated:
    rng = random.Random(f"content-{spec.seed}")
    c = _content(spec, rng)
    page = _invoice(spec, c, rng) if spec.kind == "invoice" else _receipt(spec, c, rng)
    if spec.scan:
        img = page.image(spec.dpi)
        img = docgen.degrade(img, seed=spec.seed, noise=spec.noise, blur=spec.blur, angle=spec.angle)
        buf = io.BytesIO()
        if spec.jpeg:
            img.save(buf, format="JPEG", quality=75, dpi=(spec.dpi, spec.dpi))
        else:
            img.save(buf, format="PNG", dpi=(spec.dpi, spec.dpi))
        data = buf.getvalue()
    else:
        data = page.pdf()
    truth = {"invoice_number": c["number"], "date": c["date"].isoformat(), "total": c["total"], "currency": spec.currency, "vendor": c["vendor"]}
    return Generated(spec, data, truth, "eng+tha" if spec.lang == "th" else "eng", c["items"])


def save(specs: list[Spec], folder: str | Path) -> None:
    """Write documents and a truth.json (for looking at them by eye)."""
    import json

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    truths = {}
    for s in specs:
        g = build(s)
        ext = ("jpg" if s.jpeg else "png") if s.scan else "pdf"
        (folder / f"{s.name}.{ext}").write_bytes(g.data)
        truths[s.name] = g.truth
    (folder / "truth.json").write_text(json.dumps(truths, ensure_ascii=False, indent=1))
