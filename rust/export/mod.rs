//! Export writers for an OCR [`Document`]: JSON, plain text, hOCR, ALTO and Tesseract's TSV.
//!
//! Pure Rust (no pyo3). One file per format; each writes the whole output into one
//! pre-sized buffer with `push_str` and hand-rolled integer formatting, so a word costs no
//! allocation of its own. The XML formats share one escaper (`xml_escape`).

mod alto;
mod hocr;
mod json;
pub mod result;
mod text;
mod tsv;
pub(crate) mod xml_escape;

#[cfg(test)]
pub(crate) mod test_support;

use crate::error::{Error, Result};
use crate::model::Document;

/// Formats [`export`] writes from a [`Document`].
pub const FORMATS: &[&str] = &["json", "text", "hocr", "alto", "tsv"];

/// Every export format of SPEC §6: name, Content-Type, file extension. The result formats
/// (xml, html, csv, pdf, docx) are listed so the server takes headers from one place.
const MEDIA: &[(&str, &str, &str)] = &[
    ("json", "application/json", "json"),
    ("text", "text/plain; charset=utf-8", "txt"),
    ("xml", "application/xml", "xml"),
    ("html", "text/html; charset=utf-8", "html"),
    ("csv", "text/csv; charset=utf-8", "csv"),
    ("pdf", "application/pdf", "pdf"),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    ("hocr", "text/html", "html"),
    ("alto", "application/xml", "xml"),
    ("tsv", "text/tab-separated-values", "tsv"),
];

/// A format [`export`] can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Text,
    Hocr,
    Alto,
    Tsv,
}

impl Format {
    /// Parses a format name (ASCII case-insensitive); unknown names give
    /// [`Error::ExportFormat`] listing [`FORMATS`].
    pub fn parse(name: &str) -> Result<Format> {
        let name_is = |s: &str| name.eq_ignore_ascii_case(s);
        if name_is("json") {
            Ok(Format::Json)
        } else if name_is("text") {
            Ok(Format::Text)
        } else if name_is("hocr") {
            Ok(Format::Hocr)
        } else if name_is("alto") {
            Ok(Format::Alto)
        } else if name_is("tsv") {
            Ok(Format::Tsv)
        } else {
            Err(Error::ExportFormat(name.to_owned(), FORMATS.join(", ")))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Text => "text",
            Format::Hocr => "hocr",
            Format::Alto => "alto",
            Format::Tsv => "tsv",
        }
    }
}

/// Writes `doc` in `format` (one of [`FORMATS`]), UTF-8.
pub fn export(doc: &Document, format: &str) -> Result<Vec<u8>> {
    Ok(match Format::parse(format)? {
        Format::Json => json::write(doc)?,
        Format::Text => text::write(doc),
        Format::Hocr => hocr::write(doc),
        Format::Alto => alto::write(doc),
        Format::Tsv => tsv::write(doc),
    })
}

fn media(format: &str) -> Option<&'static (&'static str, &'static str, &'static str)> {
    MEDIA.iter().find(|(name, _, _)| format.eq_ignore_ascii_case(name))
}

/// Content-Type of an export format as SPEC §6 gives it; `None` for an unknown format.
pub fn content_type(format: &str) -> Option<&'static str> {
    media(format).map(|m| m.1)
}

/// File extension (without the dot) for a download in `format`; `None` for an unknown format.
pub fn extension(format: &str) -> Option<&'static str> {
    media(format).map(|m| m.2)
}

/// Counts used to pre-size output buffers.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Size {
    pub pages: usize,
    pub blocks: usize,
    pub lines: usize,
    pub words: usize,
    pub text_bytes: usize,
}

impl Size {
    pub fn of(doc: &Document) -> Size {
        let mut size = Size { pages: doc.pages.len(), ..Size::default() };
        for page in &doc.pages {
            size.blocks += page.blocks.len();
            for block in &page.blocks {
                size.lines += block.lines.len();
                for line in &block.lines {
                    size.words += line.words.len();
                    size.text_bytes += line.words.iter().map(|w| w.text.len()).sum::<usize>();
                }
            }
        }
        size
    }

    /// A capacity guess: fixed bytes plus bytes per page, block, line and word, plus the
    /// text with 1/8 headroom for escapes.
    pub fn estimate(&self, fixed: usize, page: usize, block: usize, line: usize, word: usize) -> usize {
        fixed
            + self.pages * page
            + self.blocks * block
            + self.lines * line
            + self.words * word
            + self.text_bytes
            + self.text_bytes / 8
    }
}

/// Appends the decimal digits of `n`; faster than `write!` for the many box coordinates.
#[inline]
pub(crate) fn push_uint(out: &mut String, n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &digit in &buf[i..] {
        out.push(digit as char);
    }
}

/// Appends `n` followed by `sep`.
#[inline]
pub(crate) fn push_uint_sep(out: &mut String, n: u32, sep: &str) {
    push_uint(out, n as u64);
    out.push_str(sep);
}

#[cfg(test)]
mod tests {
    use super::test_support::sample_document;
    use super::*;

    #[test]
    fn every_format_exports_non_empty_utf8() {
        let doc = sample_document();
        for format in FORMATS {
            let out = export(&doc, format).unwrap();
            assert!(!out.is_empty(), "{format} is empty");
            assert!(std::str::from_utf8(&out).is_ok(), "{format} is not UTF-8");
            assert!(content_type(format).is_some(), "{format} has no content type");
            assert!(extension(format).is_some(), "{format} has no extension");
            assert_eq!(Format::parse(format).unwrap().name(), *format);
        }
    }

    #[test]
    fn format_names_are_case_insensitive() {
        let doc = sample_document();
        assert_eq!(export(&doc, "JSON").unwrap(), export(&doc, "json").unwrap());
        assert_eq!(content_type("Tsv"), Some("text/tab-separated-values"));
    }

    #[test]
    fn unknown_format_lists_the_accepted_ones() {
        let err = export(&sample_document(), "yaml").unwrap_err();
        match &err {
            Error::ExportFormat(name, accepted) => {
                assert_eq!(name, "yaml");
                assert_eq!(accepted, "json, text, hocr, alto, tsv");
            }
            other => panic!("wrong error {other:?}"),
        }
        let message = err.to_string();
        assert!(message.contains("\"yaml\"") && message.contains("hocr"), "{message}");
        assert!(export(&sample_document(), "").is_err());
    }

    #[test]
    fn content_types_and_extensions_follow_spec() {
        assert_eq!(content_type("json"), Some("application/json"));
        assert_eq!(content_type("text"), Some("text/plain; charset=utf-8"));
        assert_eq!(content_type("hocr"), Some("text/html"));
        assert_eq!(content_type("alto"), Some("application/xml"));
        assert_eq!(content_type("tsv"), Some("text/tab-separated-values"));
        assert_eq!(content_type("csv"), Some("text/csv; charset=utf-8"));
        assert_eq!(content_type("yaml"), None);
        assert_eq!(extension("json"), Some("json"));
        assert_eq!(extension("text"), Some("txt"));
        assert_eq!(extension("hocr"), Some("html"));
        assert_eq!(extension("alto"), Some("xml"));
        assert_eq!(extension("tsv"), Some("tsv"));
        assert_eq!(extension("yaml"), None);
    }

    #[test]
    fn push_uint_writes_decimal() {
        let mut s = String::new();
        for n in [0u64, 7, 10, 99, 1234567890, u32::MAX as u64, u64::MAX] {
            s.clear();
            push_uint(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }

    #[test]
    fn empty_document_exports() {
        let doc = Document { pages: vec![], lang: "eng".into() };
        for format in FORMATS {
            export(&doc, format).unwrap();
        }
        assert_eq!(export(&doc, "text").unwrap(), b"");
        assert_eq!(
            String::from_utf8(export(&doc, "tsv").unwrap()).unwrap(),
            "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
        );
    }
}
