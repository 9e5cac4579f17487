"""What business fields are called: concepts, their printed labels, and property-name rules.

A *concept* is a field kind every invoice-like document has (document number, issue date,
grand total, vendor...). Each concept has printed labels in English, German, French and Thai
with a strength (how surely the label introduces this concept and not a neighbour: "grand
total" is surer than "amount"), and a value kind that tells the extractor what to look for
next to the label. Labels of concepts no schema asks for still matter: they stop a value
search ("Due date" is not the invoice "Date") and take their words away from shorter labels
by longest match.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Concept", "CONCEPTS", "concept_for_words", "split_name", "norm_token", "LabelEntry", "label_entries"]


@dataclass(frozen=True)
class Concept:
    name: str
    kind: str  # id | date | amount | currency | name | text | address | phone | email | taxid | percent
    labels: tuple[tuple[str, float], ...]


def _l(spec: str) -> tuple[tuple[str, float], ...]:
    """``"grand total=1; total=.8"`` -> (("grand total", 1.0), ("total", 0.8))."""
    out = []
    for part in spec.split(";"):
        part = part.strip()
        if not part:
            continue
        label, _, weight = part.rpartition("=")
        out.append((label.strip(), float(weight)))
    return tuple(out)


CONCEPTS: dict[str, Concept] = {
    c.name: c
    for c in [
        Concept("doc_number", "id", _l("""
            invoice number=1; invoice no=1; invoice nr=1; invoice num=1; invoice #=1; invoice id=1; inv no=1; inv #=1;
            inv number=1; invoice=.55; receipt number=1; receipt no=1; receipt #=1; receipt=.5; receipt id=.9; trans #=.8; trans no=.8; transaction no=.8; transaction #=.8; bill number=.95; bill no=.95;
            document number=.9; document no=.9; doc no=.9; reference number=.6; ref no=.6; number=.6; no=.55; nr=.55; #=.5;
            tax invoice no=1; tax invoice number=1; transaction id=.6; order number=.4;
            rechnungsnummer=1; rechnungs-nr=1; rechnung nr=1; rechnung-nr=1; rechnungsnr=1; rechnung=.5; belegnummer=.9; beleg-nr=.9; beleg nr=.9; bon-nr=.95; bon nr=.95; bonnummer=.95; kassenbon-nr=.95; quittungsnummer=.95; quittung nr=.9; nummer=.6;
            numéro de facture=1; n° de facture=1; no de facture=1; facture n°=1; facture no=1; facture numéro=1; facture=.5; numéro=.6; n°=.6; reçu n°=1; ticket n°=.9; n° de ticket=.95; numéro de ticket=.95; n° de reçu=1;
            เลขที่ใบกำกับภาษี=1; เลขที่ใบแจ้งหนี้=1; เลขที่ใบเสร็จ=1; เลขที่ใบเสร็จรับเงิน=1; เลขที่เอกสาร=.95; เลขที่=.75; ใบกำกับภาษีเลขที่=1; ใบเสร็จเลขที่=1
        """)),
        Concept("po_number", "id", _l("""
            po number=1; po no=1; po #=1; purchase order number=1; purchase order no=1; purchase order=.8; order number=.7; order no=.7; p.o.=.9;
            bestellnummer=1; bestell-nr=1; auftragsnummer=.8; bon de commande=.9; n° de commande=1; numéro de commande=1; ใบสั่งซื้อเลขที่=1; เลขที่ใบสั่งซื้อ=1
        """)),
        Concept("date", "date", _l("""
            invoice date=1; date of invoice=1; issue date=1; date of issue=1; issued=.8; issued on=.9; date issued=1; receipt date=1; bill date=.9;
            document date=.9; tax invoice date=1; date=.8; dated=.8; transaction date=.7; sale date=.8;
            rechnungsdatum=1; belegdatum=.9; ausstellungsdatum=1; datum=.8; date de facture=1; date d'émission=1; date de facturation=1; le=.3;
            วันที่ออกใบกำกับภาษี=1; วันที่ออกใบแจ้งหนี้=1; วันที่ใบกำกับภาษี=1; วันที่เอกสาร=.9; วันที่=.8; ลงวันที่=.8
        """)),
        Concept("due_date", "date", _l("""
            due date=1; payment due=.9; due=.6; due by=.9; pay by=.9; payment date=.6; date due=1;
            fälligkeitsdatum=1; fällig am=1; fällig=.8; zahlbar bis=1; zahlungsziel=.7; date d'échéance=1; échéance=1; payable avant=.9; à payer avant=.9;
            วันครบกำหนด=1; ครบกำหนดชำระ=1; กำหนดชำระ=.9; วันที่ครบกำหนด=1
        """)),
        Concept("order_date", "date", _l("order date=1; date of order=1; po date=1; bestelldatum=1; auftragsdatum=1; date de commande=1; วันที่สั่งซื้อ=1")),
        Concept("delivery_date", "date", _l("delivery date=1; ship date=1; shipping date=1; required by=.8; deliver by=.9; lieferdatum=1; liefertermin=1; leistungsdatum=.8; date de livraison=1; วันที่ส่งของ=1; กำหนดส่ง=1")),
        Concept("other_date", "date", _l("service date=.9; period=.6; valid from=.8; printed=.6")),
        Concept("total", "amount", _l("""
            grand total=1; total due=1; amount due=1; total amount due=1; total amount=.95; invoice total=1; total payable=1; amount payable=1;
            balance due=.95; total to pay=1; total incl vat=1; total incl. vat=1; total including vat=1; total including tax=1; total (incl. vat)=1; total inc vat=1;
            total=.8; amount=.35; balance=.55; net amount due=.9; total sale=.9; total price=.85; sum=.5; to pay=.8; payable=.6;
            gesamtbetrag=1; rechnungsbetrag=1; endbetrag=1; gesamtsumme=.95; bruttobetrag=.95; summe brutto=.95; gesamt brutto=1; zu zahlen=.95; zahlbetrag=1; gesamt=.8; summe=.7; betrag=.4; total brutto=1;
            total ttc=1; montant ttc=1; net à payer=1; montant total=.95; montant dû=1; total à payer=1; montant à payer=1; à payer=.8; montant=.35;
            จำนวนเงินรวมทั้งสิ้น=1; รวมทั้งสิ้น=1; ยอดรวมทั้งสิ้น=1; รวมเงินทั้งสิ้น=1; ยอดชำระ=.95; ยอดสุทธิ=.95; จำนวนเงินที่ต้องชำระ=1; รวมสุทธิ=.95; ยอดรวม=.75; รวม=.55; จำนวนเงิน=.35
        """)),
        Concept("subtotal", "amount", _l("""
            subtotal=1; sub total=1; sub-total=1; net total=.9; net amount=.9; total before tax=1; total excl vat=1; total excl. vat=1; total excluding vat=1; total excl. tax=1; amount before vat=1; net=.6;
            zwischensumme=1; nettobetrag=1; summe netto=1; gesamt netto=1; netto=.8; total netto=1; sous-total=1; sous total=1; total ht=1; montant ht=1;
            รวมเงิน=.8; มูลค่าก่อนภาษี=1; ราคาก่อนภาษี=1; ยอดก่อนภาษี=1; รวมก่อนภาษี=1; มูลค่าสินค้า=.8
        """)),
        Concept("tax", "amount", _l("""
            vat=1; tax=.9; sales tax=1; vat amount=1; tax amount=1; gst=1; total tax=1; total vat=1; vat 7%=1; mwst=1; mwst.=1; ust=1; umsatzsteuer=1; mehrwertsteuer=1;
            tva=1; montant tva=1; taxe=.8; ภาษีมูลค่าเพิ่ม=1; ภาษี=.8; vat 7 %=1
        """)),
        Concept("discount", "amount", _l("discount=1; rabatt=1; remise=1; ส่วนลด=1")),
        Concept("paid", "amount", _l("""
            cash=.9; paid=.8; amount paid=1; tendered=1; change=1; card=.6; payment=.5; bar=.7; gegeben=1; rückgeld=1; espèces=1; rendu=1; payé=.9;
            เงินสด=1; เงินทอน=1; รับเงิน=.8; ทอน=.9
        """)),
        Concept("currency", "currency", _l("currency=1; währung=1; devise=1; monnaie=.8; สกุลเงิน=1")),
        Concept("vendor", "name", _l("""
            vendor=1; seller=1; supplier=1; from=.7; sold by=1; issued by=1; merchant=1; company=.7; bill from=1; store=.6; shop=.6; provider=.8;
            verkäufer=1; lieferant=1; rechnungssteller=1; absender=.8; fournisseur=1; vendeur=1; émetteur=1; prestataire=.9; ผู้ขาย=1; ผู้ขาย/ผู้ให้บริการ=1; ผู้ออกใบกำกับภาษี=1; ผู้ให้บริการ=.9; ร้าน=.6
        """)),
        Concept("customer", "name", _l("""
            bill to=1; billed to=1; invoice to=1; customer=1; client=1; buyer=1; sold to=1; customer name=1; to=.4; recipient=.9; attention=.6; attn=.6;
            rechnungsempfänger=1; kunde=1; empfänger=.9; an=.3; käufer=1; facturé à=1; client=1; destinataire=1; acheteur=1; adressé à=.9;
            ลูกค้า=1; ผู้ซื้อ=1; ชื่อลูกค้า=1; ผู้ซื้อ/ผู้รับบริการ=1; ผู้รับบริการ=.9; นามลูกค้า=1
        """)),
        Concept("ship_to", "address", _l("ship to=1; deliver to=1; delivery address=1; shipping address=1; lieferadresse=1; lieferanschrift=1; adresse de livraison=1; livré à=1; livrer à=1; สถานที่จัดส่ง=1; ที่อยู่จัดส่ง=1")),
        Concept("item_code", "id", _l("item code=1; code=.8; sku=1; item no=.9; item #=.9; part no=1; part number=1; art.-nr=1; art.nr=1; artikelnummer=1; artikel-nr=1; réf=.9; référence=.9; code article=1; รหัสสินค้า=1; รหัส=.8")),
        Concept("debit", "amount", _l("debit=1; debits=1; withdrawal=1; withdrawals=1; paid out=1; soll=1; belastung=1; débit=1; ถอน=1; ถอนเงิน=1")),
        Concept("credit", "amount", _l("credit=1; credits=1; deposit=1; deposits=1; paid in=1; haben=1; gutschrift=1; crédit=1; ฝาก=1; ฝากเงิน=1")),
        Concept("address", "address", _l("address=1; adresse=1; anschrift=1; ที่อยู่=1; street=.7; straße=.6; rue=.4")),
        Concept("phone", "phone", _l("phone=1; tel=1; tel.=1; telephone=1; mobile=.9; fax=.6; telefon=1; téléphone=1; tél=1; tél.=1; โทร=1; โทรศัพท์=1; เบอร์โทร=1")),
        Concept("email", "email", _l("email=1; e-mail=1; mail=.8; courriel=1; อีเมล=1; อีเมล์=1")),
        Concept("tax_id", "taxid", _l("""
            tax id=1; tax no=1; tax number=1; vat no=1; vat number=1; vat id=1; vat reg no=1; tin=.9; ein=.8; abn=.8; gstin=.9; company reg no=.7;
            ust-idnr=1; ust-id=1; ust-id-nr=1; ust.-id=1; steuernummer=1; steuer-nr=1; ust-idnr.=1; n° tva=1; tva intracommunautaire=1; numéro de tva=1; siret=.8; siren=.8;
            เลขประจำตัวผู้เสียภาษี=1; เลขประจำตัวผู้เสียภาษีอากร=1; เลขผู้เสียภาษี=1; เลขประจำตัวประชาชน=.6
        """)),
        Concept("terms", "text", _l("payment terms=1; terms=.8; zahlungsbedingungen=1; conditions de paiement=1; เงื่อนไขการชำระเงิน=1")),
        Concept("account_number", "id", _l("""
            account number=1; account no=1; acct no=1; account=.6; a/c no=1; iban=1; kontonummer=1; konto=.7; numéro de compte=1; compte=.6; เลขที่บัญชี=1; บัญชีเลขที่=1
        """)),
        Concept("account_holder", "name", _l("account holder=1; account name=1; kontoinhaber=1; titulaire=1; ชื่อบัญชี=1")),
        Concept("bank", "name", _l("bank=.8; bank name=1; ธนาคาร=.9; banque=.8")),
        Concept("opening_balance", "amount", _l("opening balance=1; previous balance=1; balance brought forward=1; anfangssaldo=1; alter saldo=1; solde initial=1; solde précédent=1; ยอดยกมา=1")),
        Concept("closing_balance", "amount", _l("closing balance=1; ending balance=1; new balance=1; endsaldo=1; neuer saldo=1; solde final=1; nouveau solde=1; ยอดคงเหลือ=1; ยอดยกไป=1")),
        Concept("statement_period", "text", _l("statement period=1; period=.8; zeitraum=1; période=1; รอบบัญชี=1; งวด=.7")),
        Concept("statement_date", "date", _l("statement date=1; kontoauszug vom=.9; date du relevé=1; วันที่ออกรายการ=1")),
        Concept("id_number", "id", _l("""
            id number=1; id no=1; identification number=1; card number=.9; card no=.9; document number=.8; personal number=.9; national id=1;
            ausweisnummer=1; personalausweisnummer=1; numéro de carte=1; เลขประจำตัวประชาชน=1; เลขบัตรประชาชน=1
        """)),
        Concept("full_name", "name", _l("name=.8; full name=1; surname=.8; given names=.8; nachname=.8; vorname=.8; nom=.8; prénom=.8; ชื่อ=.8; ชื่อตัวและชื่อสกุล=1; ชื่อ-นามสกุล=1; ชื่อสกุล=.9")),
        Concept("birth_date", "date", _l("date of birth=1; birth date=1; born=.8; dob=1; geburtsdatum=1; date de naissance=1; né le=1; เกิดวันที่=1; วันเกิด=1")),
        Concept("expiry_date", "date", _l("expiry date=1; date of expiry=1; expires=.9; valid until=1; expiration date=1; gültig bis=1; date d'expiration=1; valable jusqu'au=1; วันบัตรหมดอายุ=1; วันหมดอายุ=1")),
        Concept("issue_date_id", "date", _l("date of issue=1; issued on=.9; ausgestellt am=1; délivré le=1; วันออกบัตร=1")),
        Concept("nationality", "text", _l("nationality=1; staatsangehörigkeit=1; nationalité=1; สัญชาติ=1")),
        Concept("sex", "text", _l("sex=1; gender=1; geschlecht=1; sexe=1; เพศ=1")),
        Concept("religion", "text", _l("religion=1; ศาสนา=1")),
        Concept("qty", "amount", _l("qty=1; quantity=1; menge=1; anzahl=.9; quantité=1; qté=1; จำนวน=.9; pcs=.6; units=.6")),
        Concept("unit_price", "amount", _l("unit price=1; price=.8; rate=.7; unit cost=1; einzelpreis=1; preis=.8; e-preis=1; prix unitaire=1; prix=.8; pu=.6; p.u.=.8; ราคาต่อหน่วย=1; ราคา=.8; หน่วยละ=1")),
        Concept("description", "text", _l("description=1; item=.9; items=.9; product=.9; service=.8; details=.7; particulars=.9; article=.9; bezeichnung=1; beschreibung=1; artikel=.9; leistung=.8; désignation=1; libellé=1; produit=.9; รายการ=1; รายละเอียด=1; สินค้า=.8")),
        Concept("line_amount", "amount", _l("amount=.9; line total=1; total=.6; net amount=.7; betrag=1; gesamtpreis=1; montant=1; montant ht=.9; total ht=.7; จำนวนเงิน=1; ราคารวม=1")),
        Concept("title", "text", _l("""
            tax invoice=1; invoice=.6; receipt=.6; sales receipt=1; purchase order=.6; credit note=1; bank statement=1; statement=.7; rechnung=.6; quittung=1; kassenbon=1; beleg=.6;
            facture=.6; reçu=.8; ticket de caisse=1; ใบกำกับภาษี=1; ใบเสร็จรับเงิน=1; ใบแจ้งหนี้=1; ใบส่งของ=1; ต้นฉบับ=1; สำเนา=1; original=.6; copy=.5
        """)),
        Concept("page", "text", _l("page=1; seite=1; หน้า=1")),
    ]
}

# Which concepts may never hand their label to a value search for another field: titles
# and line-item column heads are labels only for tables.
TABLE_CONCEPTS = ("qty", "unit_price", "description", "line_amount", "item_code", "debit", "credit")


# --------------------------------------------------------------------------- names


def split_name(name: str) -> list[str]:
    """``invoiceNumber`` / ``invoice_number`` / ``InvoiceNo`` / ``taxID`` -> lower-case words."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", name)
    return [w for w in re.split(r"[^0-9A-Za-z\u00C0-\u024F\u0E00-\u0E7F#]+", name.lower()) if w]


_NAME_RULES: list[tuple[tuple[frozenset[str], ...], frozenset[str], str]] = []


def _rule(concept: str, *groups: str, unless: str = "") -> None:
    _NAME_RULES.append((tuple(frozenset(g.split()) for g in groups), frozenset(unless.split()), concept))


# Order matters: first rule whose every group shares a word with the name wins.
_rule("subtotal", "sub subtotal net")
_rule("doc_number", "invoice receipt bill", "number no num id # nr")
_rule("tax_id", "tax vat tin ein gst", "id number no num identification registration reg", unless="invoice receipt bill")
_rule("tax_id", "tin ein gstin taxid vatid")
_rule("tax", "tax vat gst mwst tva", unless="rate percent")
_rule("due_date", "due payable", "date by")
_rule("birth_date", "birth dob born")
_rule("expiry_date", "expiry expiration expires expire valid")
_rule("statement_date", "statement", "date")
_rule("order_date", "order po", "date")
_rule("delivery_date", "delivery ship shipping", "date by")
_rule("other_date", "service", "date")
_rule("date", "date issued issue dated")
_rule("currency", "currency curr ccy")
_rule("opening_balance", "opening previous starting", "balance")
_rule("closing_balance", "closing ending new final", "balance")
_rule("statement_period", "period")
_rule("discount", "discount")
_rule("total", "total grand due payable sum balance amount", unless="sub line unit qty quantity tax")
_rule("po_number", "po purchase order", "number no num id #")
_rule("account_number", "account acct iban", "number no num id")
_rule("account_holder", "account", "holder name owner")
_rule("id_number", "id national identification card citizen", "number no num")
_rule("doc_number", "invoice receipt bill document doc reference ref transaction", "number no num id # nr")
_rule("doc_number", "number no num nr #")
_rule("vendor", "vendor seller supplier merchant store shop company issuer from provider business")
_rule("ship_to", "ship shipto deliver delivery shipping", "to address")
_rule("customer", "customer buyer client billto recipient purchaser bill sold")
_rule("address", "address addr street")
_rule("phone", "phone tel telephone mobile fax")
_rule("email", "email mail")
_rule("terms", "terms")
_rule("bank", "bank")
_rule("full_name", "name surname firstname lastname given")
_rule("nationality", "nationality citizenship")
_rule("sex", "sex gender")
_rule("religion", "religion")
_rule("qty", "qty quantity count units")
_rule("debit", "debit withdrawal withdrawals")
_rule("credit", "credit deposit deposits")
_rule("item_code", "sku code")
_rule("unit_price", "unit price rate", "price cost")
_rule("unit_price", "price rate")
_rule("description", "description item product name service details particulars")
_rule("line_amount", "amount total line")


def concept_for_words(words: list[str]) -> str | None:
    """The concept a property's words name (``["invoice", "number"]`` -> ``doc_number``)."""
    ws = set(words)
    joined = "".join(words)
    ws.add(joined)
    for groups, unless, concept in _NAME_RULES:
        if ws & unless:
            continue
        if all(ws & g for g in groups):
            return concept
    return None


# --------------------------------------------------------------------------- tokens

_STRIP = "".join(chr(c) for c in range(0x2000, 0x206F) if unicodedata.category(chr(c)).startswith("P"))
_EDGE_PUNCT = ":;,.()[]{}|/\\\"'`*_=<>" + "«»“”‘’" + _STRIP


def norm_token(text: str) -> str:
    """Label-matching form: NFKC, lower case, edge punctuation stripped (keeps '#', '%', '°')."""
    t = unicodedata.normalize("NFKC", text).lower().replace("\u0e4d\u0e32", "\u0e33")
    t = t.replace("º", "°").replace("nº", "n°")
    t = t.strip(_EDGE_PUNCT)
    if len(t) > 2 and t.endswith(".°"):  # "No.°": a speck after the dot
        t = t[:-2]
    return t


@dataclass(frozen=True)
class LabelEntry:
    concept: str
    tokens: tuple[str, ...]
    strength: float
    thai: bool


def _tokens_of(label: str) -> tuple[str, ...]:
    parts = [norm_token(p) for p in label.split()]
    return tuple(p for p in parts if p)


def label_entries(extra: dict[str, list[tuple[str, float]]] | None = None) -> list[LabelEntry]:
    """Every label of every concept (plus ``extra`` concept -> labels), longest first."""
    out: list[LabelEntry] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    sources: list[tuple[str, tuple[tuple[str, float], ...]]] = [(c.name, c.labels) for c in CONCEPTS.values()]
    for concept, labels in (extra or {}).items():
        sources.append((concept, tuple(labels)))
    for concept, labels in sources:
        for label, strength in labels:
            toks = _tokens_of(label)
            if not toks or (concept, toks) in seen:
                continue
            seen.add((concept, toks))
            thai = any("\u0e00" <= ch <= "\u0e7f" for ch in label)
            out.append(LabelEntry(concept, toks, strength, thai))
    out.sort(key=lambda e: (-len(e.tokens), -sum(len(t) for t in e.tokens)))
    return out
