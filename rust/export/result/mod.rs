//! Exports of a processing result (SPEC §4.4 `processingResult`): json, text, xml, html,
//! csv, docx and the searchable pdf, for one record or streamed for a whole batch.
//!
//! A result has one of two shapes. *Free text* is `{text, pages: [{page, source, text,
//! confidence}]}`; anything else that is an object is *structured*: template fields (scalars,
//! nested objects, arrays of objects = line-item tables) plus `_meta` (per-field confidence,
//! page and box). The OCR document (word boxes), the stored recognised text and the
//! original file are optional inputs: formats that need them use them when given.

pub mod batch;
mod csv;
mod csv_scan;
mod docx;
mod html;
mod pdf;
mod value;
mod xml;
mod zip;

use std::borrow::Cow;

pub use batch::{BatchRecord, BatchWriter};
pub use value::Value;

use crate::error::{Error, Result};
use crate::model::{Block, Document, Line, Page, Source, Word};

/// Every format [`export_result`] writes.
pub const RESULT_FORMATS: &[&str] = &["json", "text", "xml", "html", "csv", "pdf", "docx", "hocr", "alto", "tsv"];

/// A free-text result (`{text, pages: [{page, source, text, confidence}]}`) of a document,
/// as the worker stores it.
pub fn free_text_result(doc: &Document) -> Vec<u8> {
    let mut out = String::from("{\"text\":");
    let texts: Vec<String> = doc.pages.iter().map(Page::text).collect();
    Value::String(Cow::Owned(texts.join("\u{000C}"))).push_json(&mut out);
    out.push_str(",\"pages\":[");
    for (i, (p, t)) in doc.pages.iter().zip(&texts).enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"page\":");
        super::push_uint(&mut out, p.number as u64);
        out.push_str(",\"source\":\"");
        out.push_str(p.source.as_str());
        out.push_str("\",\"text\":");
        Value::String(Cow::Borrowed(t)).push_json(&mut out);
        out.push_str(",\"confidence\":");
        let c = (p.confidence() as f64 * 100.0).round() / 100.0;
        match serde_json::Number::from_f64(c) {
            Some(n) => value::push_number(&mut out, &n),
            None => out.push('0'),
        }
        out.push('}');
    }
    out.push_str("]}");
    out.into_bytes()
}

/// A document in any format: the document formats of [`super::FORMATS`] (json is the full
/// structure), else the format of its free-text result (pdf pages get their images from
/// `original` when given).
pub fn export_document(doc: &Document, format: &str, original: Option<&[u8]>) -> Result<Vec<u8>> {
    let format = check_format(format)?;
    if super::FORMATS.contains(&format) {
        return super::export(doc, format);
    }
    let result = free_text_result(doc);
    let input = Input { result_json: &result, document: Some(doc), text: None, original, title: "" };
    export_result(&input, format)
}

/// The inputs of one record's export.
pub struct Input<'a> {
    /// The stored `processingResult` JSON (may be empty or `null`).
    pub result_json: &'a [u8],
    /// The OCR document with word boxes, when it was kept.
    pub document: Option<&'a Document>,
    /// The stored recognised text (pages separated by form feed).
    pub text: Option<&'a str>,
    /// The original uploaded file (page images for the searchable PDF).
    pub original: Option<&'a [u8]>,
    /// A title: the record's file name.
    pub title: &'a str,
}

pub fn check_format(format: &str) -> Result<&'static str> {
    RESULT_FORMATS
        .iter()
        .find(|f| format.eq_ignore_ascii_case(f))
        .copied()
        .ok_or_else(|| Error::ExportFormat(format.to_owned(), RESULT_FORMATS.join(", ")))
}

pub(crate) fn parse_result(data: &[u8]) -> Result<Value<'_>> {
    if data.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    Value::parse(data).map_err(|e| Error::InvalidDocument(format!("the result is not valid JSON: {e}")))
}

/// Writes one record's result in `format` (one of [`RESULT_FORMATS`]).
pub fn export_result(input: &Input, format: &str) -> Result<Vec<u8>> {
    let format = check_format(format)?;
    if format == "json" {
        // The stored result is already compact JSON; check it and hand it back as is.
        let raw = input.result_json;
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Ok(b"null".to_vec());
        }
        serde_json::from_slice::<serde::de::IgnoredAny>(raw)
            .map_err(|e| Error::InvalidDocument(format!("the result is not valid JSON: {e}")))?;
        return Ok(raw.to_vec());
    }
    let value = parse_result(input.result_json)?;
    let record = Record::new(&value, input.document, input.text);
    Ok(match format {
        "text" => record.plain_text().into_bytes(),
        "csv" => csv::write(&record),
        "xml" => xml::write(&record),
        "html" => html::write(&record, input.title),
        "docx" => docx::write(&record, input.title),
        "pdf" => pdf::write(&record, input.original, input.title)?,
        fmt @ ("hocr" | "alto" | "tsv") => match input.document {
            Some(doc) => super::export(doc, fmt)?,
            None => super::export(&record.boxless_document(), fmt)?,
        },
        _ => unreachable!(),
    })
}

/// A page of recognised text.
#[derive(Debug, Clone)]
pub struct TextPage<'a> {
    pub number: u32,
    pub source: Option<Cow<'a, str>>,
    pub confidence: Option<f64>,
    pub text: Cow<'a, str>,
}

impl TextPage<'_> {
    /// Non-blank lines of the page.
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.text.split('\n').map(|l| l.trim_end_matches('\r')).filter(|l| !l.trim().is_empty())
    }
}

/// A line-item table: an array of objects under `name`.
pub struct Table<'v, 'a> {
    pub name: &'v str,
    pub columns: Vec<String>,
    /// Per row, per column, the value (None when the item lacks it).
    pub rows: Vec<Vec<Option<&'v Value<'a>>>>,
}

/// Scalar fields (nested objects flattened to `a.b`), tables and `_meta`.
pub struct Structured<'v, 'a> {
    pub fields: Vec<(String, &'v Value<'a>)>,
    pub tables: Vec<Table<'v, 'a>>,
    pub meta: Option<&'v Value<'a>>,
}

pub enum Shape<'v, 'a> {
    FreeText,
    Structured(Structured<'v, 'a>),
}

/// A record's result analysed once for the writers.
pub struct Record<'v, 'a> {
    pub value: &'v Value<'a>,
    pub shape: Shape<'v, 'a>,
    pub pages: Vec<TextPage<'v>>,
    pub document: Option<&'v Document>,
}

/// Whether a result is free text (`null`, or `{text, pages}` without `_meta`) rather than
/// structured.
pub(crate) fn is_free_text(value: &Value) -> bool {
    matches!(value, Value::Null)
        || (value.get("_meta").is_none()
            && matches!(value.get("pages"), Some(Value::Array(_)))
            && matches!(value.get("text"), Some(Value::String(_)) | None))
}

fn flatten<'v, 'a>(prefix: &str, value: &'v Value<'a>, out: &mut Vec<(String, &'v Value<'a>)>) {
    match value {
        Value::Object(entries) if !entries.is_empty() => {
            for (k, v) in entries {
                flatten(&join_name(prefix, k), v, out);
            }
        }
        _ => out.push((prefix.to_owned(), value)),
    }
}

fn join_name(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

pub(crate) fn table<'v, 'a>(name: &'v str, items: &'v [Value<'a>]) -> Table<'v, 'a> {
    let mut columns: Vec<String> = Vec::new();
    let mut flat_rows: Vec<Vec<(String, &'v Value<'a>)>> = Vec::with_capacity(items.len());
    for item in items {
        let mut cells = Vec::new();
        flatten("", item, &mut cells);
        for (c, _) in &cells {
            if !columns.iter().any(|x| x == c) {
                columns.push(c.clone());
            }
        }
        flat_rows.push(cells);
    }
    let rows = flat_rows
        .iter()
        .map(|cells| columns.iter().map(|c| cells.iter().find(|(n, _)| n == c).map(|(_, v)| *v)).collect())
        .collect();
    Table { name, columns, rows }
}

impl<'v, 'a> Record<'v, 'a> {
    pub fn new(value: &'v Value<'a>, document: Option<&'v Document>, text: Option<&'v str>) -> Record<'v, 'a> {
        let free_text = is_free_text(value);
        let mut pages = Vec::new();
        let shape = if free_text {
            if let Some(Value::Array(items)) = value.get("pages") {
                for (i, p) in items.iter().enumerate() {
                    let number = p.get("page").and_then(Value::as_f64).map(|n| n as u32).unwrap_or(i as u32 + 1);
                    pages.push(TextPage {
                        number,
                        source: p.get("source").and_then(Value::as_str).map(Cow::Borrowed),
                        confidence: p.get("confidence").and_then(Value::as_f64),
                        text: Cow::Borrowed(p.get("text").and_then(Value::as_str).unwrap_or("")),
                    });
                }
            }
            Shape::FreeText
        } else {
            let mut fields = Vec::new();
            let mut tables = Vec::new();
            let mut meta = None;
            match value {
                Value::Object(entries) => {
                    for (k, v) in entries {
                        if k == "_meta" {
                            meta = Some(v);
                        } else if v.is_table() {
                            let Value::Array(items) = v else { unreachable!() };
                            tables.push(table(k, items));
                        } else {
                            flatten(k, v, &mut fields);
                        }
                    }
                }
                other => fields.push(("value".to_owned(), other)),
            }
            Shape::Structured(Structured { fields, tables, meta })
        };
        if pages.is_empty() {
            if let Some(doc) = document {
                pages = doc
                    .pages
                    .iter()
                    .map(|p| TextPage {
                        number: p.number,
                        source: Some(Cow::Borrowed(p.source.as_str())),
                        confidence: Some(p.confidence() as f64),
                        text: Cow::Owned(p.text()),
                    })
                    .collect();
            } else if let Some(text) = text.filter(|t| !t.is_empty()) {
                pages = text
                    .split('\u{000C}')
                    .enumerate()
                    .map(|(i, t)| TextPage {
                        number: i as u32 + 1,
                        source: None,
                        confidence: None,
                        text: Cow::Borrowed(t),
                    })
                    .collect();
            } else if let Some(t) = value.get("text").and_then(Value::as_str) {
                pages = t
                    .split('\u{000C}')
                    .enumerate()
                    .map(|(i, t)| TextPage {
                        number: i as u32 + 1,
                        source: None,
                        confidence: None,
                        text: Cow::Borrowed(t),
                    })
                    .collect();
            }
        }
        Record { value, shape, pages, document }
    }

    /// The recognised text, pages separated by form feed; for a structured result without
    /// text, `name: value` lines.
    pub fn plain_text(&self) -> String {
        if let Some(t) = self.value.get("text").and_then(Value::as_str) {
            if matches!(self.shape, Shape::FreeText) {
                return t.to_owned();
            }
        }
        if !self.pages.is_empty() {
            return self.pages.iter().map(|p| p.text.as_ref()).collect::<Vec<_>>().join("\u{000C}");
        }
        let mut out = String::new();
        if let Shape::Structured(s) = &self.shape {
            for (name, v) in &s.fields {
                out.push_str(name);
                out.push_str(": ");
                v.push_cell_text(&mut out);
                out.push('\n');
            }
        }
        out
    }

    /// Confidence of a field from `_meta.fields.<name>.confidence`.
    pub fn field_confidence(&self, name: &str) -> Option<f64> {
        let Shape::Structured(s) = &self.shape else { return None };
        s.meta?.get("fields")?.get(name)?.get("confidence")?.as_f64()
    }

    /// A document without word boxes, from the text (hOCR/ALTO/TSV of a record whose
    /// boxes were not kept): one block per page, one line per text line.
    pub fn boxless_document(&self) -> Document {
        let pages = self
            .pages
            .iter()
            .map(|p| {
                let lines: Vec<Line> = p
                    .lines()
                    .map(|l| Line {
                        bbox: [0; 4],
                        words: l
                            .split_whitespace()
                            .map(|w| Word { text: w.to_owned(), bbox: [0; 4], confidence: 0.0 })
                            .collect(),
                    })
                    .collect();
                Page {
                    number: p.number,
                    width: 0,
                    height: 0,
                    dpi: 0,
                    source: if p.source.as_deref() == Some("text-layer") { Source::TextLayer } else { Source::Ocr },
                    rotation: 0,
                    blocks: if lines.is_empty() { vec![] } else { vec![Block { bbox: [0; 4], lines }] },
                }
            })
            .collect();
        Document { pages, lang: String::new() }
    }
}

/// Parses a document from the JSON `export(doc, "json")` writes.
pub fn document_from_json(data: &[u8]) -> Result<Document> {
    #[derive(serde::Deserialize)]
    struct D {
        #[serde(default)]
        lang: String,
        pages: Vec<P>,
    }
    #[derive(serde::Deserialize)]
    struct P {
        page: u32,
        width: u32,
        height: u32,
        dpi: u32,
        source: String,
        #[serde(default)]
        rotation: u32,
        blocks: Vec<B>,
    }
    #[derive(serde::Deserialize)]
    struct B {
        bbox: [u32; 4],
        lines: Vec<L>,
    }
    #[derive(serde::Deserialize)]
    struct L {
        bbox: [u32; 4],
        words: Vec<W>,
    }
    #[derive(serde::Deserialize)]
    struct W {
        text: String,
        bbox: [u32; 4],
        confidence: f32,
    }
    let d: D = serde_json::from_slice(data)
        .map_err(|e| Error::InvalidDocument(format!("the OCR document is not valid JSON: {e}")))?;
    Ok(Document {
        lang: d.lang,
        pages: d
            .pages
            .into_iter()
            .map(|p| Page {
                number: p.page,
                width: p.width,
                height: p.height,
                dpi: p.dpi,
                source: if p.source == "text-layer" { Source::TextLayer } else { Source::Ocr },
                rotation: p.rotation,
                blocks: p
                    .blocks
                    .into_iter()
                    .map(|b| Block {
                        bbox: b.bbox,
                        lines: b
                            .lines
                            .into_iter()
                            .map(|l| Line {
                                bbox: l.bbox,
                                words: l
                                    .words
                                    .into_iter()
                                    .map(|w| Word { text: w.text, bbox: w.bbox, confidence: w.confidence })
                                    .collect(),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    })
}

/// XML element names we write as is: ASCII, a letter or `_` first, then letters, digits,
/// `_`, `-`, `.`; never starting with `xml`. Other names go into a `name` attribute.
pub(crate) fn is_plain_xml_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter().all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
        && !(b.len() >= 3 && b[..3].eq_ignore_ascii_case(b"xml"))
}

#[cfg(test)]
pub(crate) mod samples {
    pub const FREE: &str = r#"{"text":"Invoice <script>alert(1)</script>\nภาษาไทย ราคา\f=cmd()","pages":[{"page":1,"source":"ocr","text":"Invoice <script>alert(1)</script>\nภาษาไทย ราคา","confidence":91.5},{"page":2,"source":"text-layer","text":"=cmd()","confidence":100.0}]}"#;
    pub const STRUCTURED: &str = r#"{"invoiceNumber":"INV-<1>","total":1234.5,"paid":false,"date":null,"ชื่อ":"บริษัท \"ไทย\"","2bad name":"=HYPERLINK(\"x\")","vendor":{"name":"ACME & Co","taxId":"-42"},"tags":["a","b"],"items":[{"description":"Widget","qty":2,"price":-1.5},{"description":"@SUM(A1)","qty":1}],"_meta":{"fields":{"invoiceNumber":{"confidence":88.5,"page":1,"bbox":[1,2,3,4]}},"pages":1,"ocrSeconds":0.5}}"#;
}

#[cfg(test)]
mod tests {
    use super::samples::*;
    use super::*;

    #[test]
    fn shapes() {
        let v = parse_result(FREE.as_bytes()).unwrap();
        let r = Record::new(&v, None, None);
        assert!(matches!(r.shape, Shape::FreeText));
        assert_eq!(r.pages.len(), 2);
        assert_eq!(r.pages[0].lines().collect::<Vec<_>>(), ["Invoice <script>alert(1)</script>", "ภาษาไทย ราคา"]);
        let v = parse_result(STRUCTURED.as_bytes()).unwrap();
        let r = Record::new(&v, None, Some("a\u{c}b"));
        let Shape::Structured(s) = &r.shape else { panic!() };
        let names: Vec<&str> = s.fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["invoiceNumber", "total", "paid", "date", "ชื่อ", "2bad name", "vendor.name", "vendor.taxId", "tags"]
        );
        assert_eq!(s.tables.len(), 1);
        assert_eq!(s.tables[0].columns, ["description", "qty", "price"]);
        assert!(s.tables[0].rows[1][2].is_none());
        assert_eq!(r.pages.len(), 2);
        assert_eq!(r.field_confidence("invoiceNumber"), Some(88.5));
    }

    #[test]
    fn json_is_the_stored_result() {
        let input =
            Input { result_json: STRUCTURED.as_bytes(), document: None, text: None, original: None, title: "x" };
        assert_eq!(export_result(&input, "JSON").unwrap(), STRUCTURED.as_bytes());
        let bad = Input { result_json: b"{nope", ..input };
        assert!(export_result(&bad, "json").is_err());
        assert!(matches!(export_result(&bad, "yaml"), Err(Error::ExportFormat(..))));
    }

    #[test]
    fn every_format_handles_empty_results() {
        for raw in [&b""[..], b"null", b"{}", br#"{"text":"","pages":[]}"#] {
            for f in RESULT_FORMATS {
                let input = Input { result_json: raw, document: None, text: None, original: None, title: "" };
                export_result(&input, f).unwrap_or_else(|e| panic!("{f} {raw:?}: {e}"));
            }
        }
    }

    #[test]
    fn plain_names() {
        assert!(is_plain_xml_name("invoiceNumber") && is_plain_xml_name("_meta") && is_plain_xml_name("a.b-c"));
        assert!(!is_plain_xml_name("2bad") && !is_plain_xml_name("a b") && !is_plain_xml_name("ชื่อ"));
        assert!(!is_plain_xml_name("xmlThing") && !is_plain_xml_name(""));
    }
}
