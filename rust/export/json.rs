//! JSON: the full structure, compact UTF-8 (non-ASCII written as is).
//!
//! `{"lang", "pages": [{"page", "width", "height", "dpi", "source", "rotation",
//! "confidence", "text", "blocks": [{"bbox", "lines": [{"bbox", "text",
//! "words": [{"text", "bbox", "confidence"}]}]}]}], "text"}`
//!
//! Serialised straight from the model through borrowing views, so field names and order
//! are fixed here, not by the model's derives.

use std::ops::Range;

use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::Size;
use crate::error::{Error, Result};
use crate::model::{line_text, Block, Document, Line, Page, Word};

pub(crate) fn write(doc: &Document) -> Result<Vec<u8>> {
    // Each page's text is computed once; the document's text is the same pieces joined by
    // form feeds (as `Document::text`), so it is one buffer that the pages borrow from.
    let size = Size::of(doc);
    let mut all_text = String::with_capacity(size.text_bytes + size.words + size.lines + size.pages);
    let mut page_text = Vec::with_capacity(doc.pages.len());
    for (i, page) in doc.pages.iter().enumerate() {
        if i > 0 {
            all_text.push('\u{000C}');
        }
        let start = all_text.len();
        all_text.push_str(&page.text());
        page_text.push(start..all_text.len());
    }

    let mut out = Vec::with_capacity(size.estimate(64, 200, 40, 60, 70) + 2 * size.text_bytes);
    let view = DocumentView { doc, text: &all_text, page_text: &page_text };
    serde_json::to_writer(&mut out, &view).map_err(|e| Error::Io(e.into()))?;
    Ok(out)
}

struct DocumentView<'a> {
    doc: &'a Document,
    text: &'a str,
    page_text: &'a [Range<usize>],
}

impl Serialize for DocumentView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Document", 3)?;
        s.serialize_field("lang", &self.doc.lang)?;
        s.serialize_field("pages", &PagesView(self))?;
        s.serialize_field("text", self.text)?;
        s.end()
    }
}

struct PagesView<'a>(&'a DocumentView<'a>);

impl Serialize for PagesView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let view = self.0;
        serializer.collect_seq(
            view.doc
                .pages
                .iter()
                .zip(view.page_text)
                .map(|(page, range)| PageView { page, text: &view.text[range.clone()] }),
        )
    }
}

struct PageView<'a> {
    page: &'a Page,
    text: &'a str,
}

impl Serialize for PageView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let page = self.page;
        let mut s = serializer.serialize_struct("Page", 9)?;
        s.serialize_field("page", &page.number)?;
        s.serialize_field("width", &page.width)?;
        s.serialize_field("height", &page.height)?;
        s.serialize_field("dpi", &page.dpi)?;
        s.serialize_field("source", page.source.as_str())?;
        s.serialize_field("rotation", &page.rotation)?;
        s.serialize_field("confidence", &page.confidence())?;
        s.serialize_field("text", self.text)?;
        s.serialize_field("blocks", &BlocksView(&page.blocks))?;
        s.end()
    }
}

struct BlocksView<'a>(&'a [Block]);

impl Serialize for BlocksView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(BlockView))
    }
}

struct BlockView<'a>(&'a Block);

impl Serialize for BlockView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Block", 2)?;
        s.serialize_field("bbox", &self.0.bbox)?;
        s.serialize_field("lines", &LinesView(&self.0.lines))?;
        s.end()
    }
}

struct LinesView<'a>(&'a [Line]);

impl Serialize for LinesView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(LineView))
    }
}

struct LineView<'a>(&'a Line);

impl Serialize for LineView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let line = self.0;
        let mut s = serializer.serialize_struct("Line", 3)?;
        s.serialize_field("bbox", &line.bbox)?;
        s.serialize_field("text", &line_text(line))?;
        s.serialize_field("words", &WordsView(&line.words))?;
        s.end()
    }
}

struct WordsView<'a>(&'a [Word]);

impl Serialize for WordsView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(WordView))
    }
}

struct WordView<'a>(&'a Word);

impl Serialize for WordView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let word = self.0;
        let mut s = serializer.serialize_struct("Word", 3)?;
        s.serialize_field("text", &word.text)?;
        s.serialize_field("bbox", &word.bbox)?;
        s.serialize_field("confidence", &word.confidence)?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::test_support::{sample_document, MARKUP};
    use super::*;

    fn exported() -> (Document, String, Value) {
        let doc = sample_document();
        let bytes = write(&doc).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        (doc, text, value)
    }

    #[test]
    fn round_trips_the_whole_structure() {
        let (doc, _, v) = exported();
        assert_eq!(v["lang"], "eng+tha");
        assert_eq!(v["text"], doc.text());
        let pages = v["pages"].as_array().unwrap();
        assert_eq!(pages.len(), 2);
        for (p, page) in pages.iter().zip(&doc.pages) {
            assert_eq!(p["page"], page.number);
            assert_eq!(p["width"], page.width);
            assert_eq!(p["height"], page.height);
            assert_eq!(p["dpi"], page.dpi);
            assert_eq!(p["source"], page.source.as_str());
            assert_eq!(p["rotation"], page.rotation);
            assert_eq!(p["text"], page.text());
            assert_eq!(p["confidence"].as_f64().unwrap() as f32, page.confidence());
            let blocks = p["blocks"].as_array().unwrap();
            assert_eq!(blocks.len(), page.blocks.len());
            for (b, block) in blocks.iter().zip(&page.blocks) {
                assert_eq!(b["bbox"], json!(block.bbox));
                let lines = b["lines"].as_array().unwrap();
                assert_eq!(lines.len(), block.lines.len());
                for (l, line) in lines.iter().zip(&block.lines) {
                    assert_eq!(l["bbox"], json!(line.bbox));
                    assert_eq!(l["text"], line_text(line));
                    let words = l["words"].as_array().unwrap();
                    assert_eq!(words.len(), line.words.len());
                    for (w, word) in words.iter().zip(&line.words) {
                        assert_eq!(w["text"], word.text.as_str());
                        assert_eq!(w["bbox"], json!(word.bbox));
                        assert_eq!(w["confidence"].as_f64().unwrap() as f32, word.confidence);
                    }
                }
            }
        }
        assert_eq!(pages[0]["source"], "ocr");
        assert_eq!(pages[1]["source"], "text-layer");
        assert_eq!(pages[0]["blocks"][0]["lines"][0]["words"][1]["text"], MARKUP);
        assert_eq!(pages[0]["blocks"][0]["lines"][1]["text"], "ภาษา ไทย ภาษาไทย");
        assert_eq!(pages[0]["blocks"][0]["lines"][0]["words"][0]["confidence"], 96.5);
    }

    #[test]
    fn keys_are_in_the_documented_order() {
        let (_, text, _) = exported();
        assert!(text.starts_with(r#"{"lang":"eng+tha","pages":[{"page":1,"width":2480,"height":3508,"dpi":300,"source":"ocr","rotation":0,"confidence":"#));
        assert!(text.contains(r#","text":"Invoice <script>&\"'\n"#), "{text}");
        assert!(text.contains(r#"{"bbox":[100,100,1000,260],"lines":[{"bbox":[100,100,900,160],"text":"Invoice <script>&\"'","words":[{"text":"Invoice","bbox":[100,100,400,160],"confidence":96.5},"#));
        let tail = "\"text\":\"Invoice <script>&\\\"'\\nภาษา ไทย ภาษาไทย\\n\\ntab\\there new\\nline\\r bell\\u0007\u{FFFF}x\\f\\nPage two\\n\\n\"}";
        assert!(text.ends_with(tail), "{text}");
    }

    #[test]
    fn is_compact_and_not_ascii_escaped() {
        let (_, text, _) = exported();
        assert!(text.contains("ภาษาไทย"));
        assert!(!text.contains("\\u0e"), "Thai must not be \\u-escaped");
        assert!(!text.contains("\": ") && !text.contains(", \"") && !text.contains("[ "), "no pretty spacing");
        assert!(!text.contains('\n'), "compact output has no raw newlines");
    }

    #[test]
    fn empty_document() {
        let doc = Document { pages: vec![], lang: String::new() };
        assert_eq!(write(&doc).unwrap(), br#"{"lang":"","pages":[],"text":""}"#);
    }
}
