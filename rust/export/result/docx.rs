//! DOCX (WordprocessingML): a minimal package (`[Content_Types].xml`, `_rels/.rels`,
//! `word/document.xml`) with direct formatting, so it needs no styles part. A title, the
//! fields table (field, value, confidence), one table per line-item array, then the text
//! by page, a page break between pages.

use super::super::xml_escape::push_escaped;
use super::value::Value;
use super::zip::ZipWriter;
use super::{Record, Shape};

const CONTENT_TYPES: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">",
    "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>",
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>",
    "<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>",
    "</Types>"
);

const RELS: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>",
    "</Relationships>"
);

pub(crate) const DOC_HEAD: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>"
);

pub(crate) const DOC_TAIL: &str = concat!(
    "<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/>",
    "<w:pgMar w:top=\"1134\" w:right=\"1134\" w:bottom=\"1134\" w:left=\"1134\" w:header=\"708\" w:footer=\"708\" w:gutter=\"0\"/>",
    "</w:sectPr></w:body></w:document>"
);

/// Width of the text area in twips (A4 less 2 cm margins).
const TEXT_WIDTH: u32 = 9638;

/// The package parts before `word/document.xml`, and that entry begun.
pub(crate) fn begin(zip: &mut ZipWriter) -> Vec<u8> {
    let mut out = zip.file("[Content_Types].xml", CONTENT_TYPES.as_bytes());
    out.extend(zip.file("_rels/.rels", RELS.as_bytes()));
    out.extend(zip.begin("word/document.xml"));
    out.extend(zip.write(DOC_HEAD.as_bytes()));
    out
}

pub(crate) fn end(zip: &mut ZipWriter) -> Vec<u8> {
    let mut out = zip.write(DOC_TAIL.as_bytes());
    out.extend(zip.finish());
    out
}

pub(crate) fn write(record: &Record, title: &str) -> Vec<u8> {
    let mut zip = ZipWriter::new();
    let mut out = begin(&mut zip);
    let mut body = String::with_capacity(4096);
    paragraph(&mut body, if title.is_empty() { "OCR result" } else { title }, Some(32));
    push_record(&mut body, record);
    out.extend(zip.write(body.as_bytes()));
    out.extend(end(&mut zip));
    out
}

/// A paragraph of one run; `size` in half-points makes it a bold heading.
pub(crate) fn paragraph(out: &mut String, text: &str, size: Option<u32>) {
    out.push_str("<w:p>");
    if let Some(size) = size {
        out.push_str("<w:pPr><w:keepNext/><w:spacing w:before=\"240\" w:after=\"120\"/></w:pPr>");
        out.push_str("<w:r><w:rPr><w:b/><w:bCs/><w:sz w:val=\"");
        out.push_str(&size.to_string());
        out.push_str("\"/><w:szCs w:val=\"");
        out.push_str(&size.to_string());
        out.push_str("\"/></w:rPr>");
    } else {
        out.push_str("<w:r>");
    }
    out.push_str("<w:t xml:space=\"preserve\">");
    push_escaped(out, text);
    out.push_str("</w:t></w:r></w:p>");
}

pub(crate) fn page_break(out: &mut String) {
    out.push_str("<w:p><w:r><w:br w:type=\"page\"/></w:r></w:p>");
}

fn table_start(out: &mut String, columns: usize) {
    out.push_str("<w:tbl><w:tblPr><w:tblW w:w=\"0\" w:type=\"auto\"/><w:tblBorders>");
    for side in ["top", "left", "bottom", "right", "insideH", "insideV"] {
        out.push_str("<w:");
        out.push_str(side);
        out.push_str(" w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"999999\"/>");
    }
    out.push_str("</w:tblBorders><w:tblLook w:val=\"0020\" w:firstRow=\"1\"/></w:tblPr><w:tblGrid>");
    let w = TEXT_WIDTH / columns.max(1) as u32;
    for _ in 0..columns.max(1) {
        out.push_str("<w:gridCol w:w=\"");
        out.push_str(&w.to_string());
        out.push_str("\"/>");
    }
    out.push_str("</w:tblGrid>");
}

fn table_row<'s>(out: &mut String, cells: impl Iterator<Item = std::borrow::Cow<'s, str>>, header: bool) {
    out.push_str("<w:tr>");
    if header {
        out.push_str("<w:trPr><w:tblHeader/></w:trPr>");
    }
    for c in cells {
        out.push_str("<w:tc><w:tcPr><w:tcW w:w=\"0\" w:type=\"auto\"/></w:tcPr><w:p><w:r>");
        if header {
            out.push_str("<w:rPr><w:b/><w:bCs/></w:rPr>");
        }
        out.push_str("<w:t xml:space=\"preserve\">");
        push_escaped(out, &c);
        out.push_str("</w:t></w:r></w:p></w:tc>");
    }
    out.push_str("</w:tr>");
}

/// Fields, tables and text of one record.
pub(crate) fn push_record(out: &mut String, record: &Record) {
    use std::borrow::Cow;
    if let Shape::Structured(s) = &record.shape {
        paragraph(out, "Fields", Some(26));
        table_start(out, 3);
        table_row(out, ["Field", "Value", "Confidence"].into_iter().map(Cow::Borrowed), true);
        for (name, v) in &s.fields {
            let conf = record.field_confidence(name).map(|c| format!("{c:.1}")).unwrap_or_default();
            table_row(out, [Cow::Borrowed(name.as_str()), v.cell_text(), Cow::Owned(conf)].into_iter(), false);
        }
        out.push_str("</w:tbl>");
        for t in &s.tables {
            paragraph(out, t.name, Some(26));
            table_start(out, t.columns.len());
            table_row(out, t.columns.iter().map(|c| Cow::Borrowed(c.as_str())), true);
            for row in &t.rows {
                table_row(out, row.iter().map(|v| v.map(Value::cell_text).unwrap_or(Cow::Borrowed(""))), false);
            }
            out.push_str("</w:tbl>");
        }
    }
    if record.pages.is_empty() {
        if matches!(record.shape, Shape::FreeText) {
            paragraph(out, "No text was recognised.", None);
        }
        return;
    }
    for (i, page) in record.pages.iter().enumerate() {
        if i > 0 || matches!(record.shape, Shape::Structured(_)) {
            page_break(out);
        }
        paragraph(out, &format!("Page {}", page.number), Some(26));
        for line in page.lines() {
            paragraph(out, line, None);
        }
    }
}
