"""``auto`` mode on a 200-page born-digital PDF: every page is read from its text layer
(words with boxes), none is OCRed. Anchor: pypdfium2's plain text extraction, what a
user reaches for to get the text out of such a PDF (it gives no word boxes).

Target (issue 2): >= 100 pages/s.
"""

from __future__ import annotations

import docgen
import ocrdesk

GROUP = "auto-text"
MIN_ACCURACY = 0.99  # text layers are exact; allow for nothing but oddities of extraction


def check_pages(texts: list[str], pages: list[list[str]], who: str) -> None:
    assert len(texts) == len(pages), f"{who}: {len(texts)} pages, expected {len(pages)}"
    for i, (got, lines) in enumerate(zip(texts, pages)):
        acc = docgen.word_accuracy("\n".join(lines), got)
        assert acc >= MIN_ACCURACY, f"{who}: page {i + 1} word accuracy {acc:.3f}"


def test_ocrdesk(benchmark, record, born_digital_200):
    pdf, pages = born_digital_200
    doc = record.run(
        benchmark, GROUP, "ocrdesk", lambda: ocrdesk.ocr(pdf, mode="auto"),
        pages=len(pages), rounds=5, note='ocr(mode="auto"), words + boxes',
    )
    sources = {p.source for p in doc.pages}
    assert sources == {"text-layer"}, f"pages not read from the text layer: {sources}"
    assert all(p.words for p in doc.pages)
    check_pages([p.text for p in doc.pages], pages, "ocrdesk")


def test_pypdfium2_text(benchmark, record, born_digital_200):
    import pypdfium2 as pdfium

    pdf, pages = born_digital_200

    def run() -> list[str]:
        texts = []
        document = pdfium.PdfDocument(pdf)
        try:
            for i in range(len(document)):
                page = document[i]
                textpage = page.get_textpage()
                texts.append(textpage.get_text_range())
                textpage.close()
                page.close()
        finally:
            document.close()
        return texts

    texts = record.run(
        benchmark, GROUP, "pypdfium2 text", run, pages=len(pages), rounds=5,
        note="get_text_range(), text only",
    )
    check_pages(texts, pages, "pypdfium2")
