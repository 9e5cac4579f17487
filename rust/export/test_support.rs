//! Test helpers: a sample document with the awkward cases, and a small strict XML parser to
//! check that hOCR and ALTO output is well-formed and reads back as written.

use crate::model::{Block, Document, Line, Page, Source, Word};

pub(crate) const MARKUP: &str = r#"<script>&"'"#;

fn word(text: &str, bbox: [u32; 4], confidence: f32) -> Word {
    Word { text: text.to_owned(), bbox, confidence }
}

/// Two pages. Page 1 (OCR): a line with a markup word, a Thai line of three words, and a
/// block of words holding a
/// tab, a newline and characters illegal in XML. Page 2 (text layer): an empty line, an
/// empty block and two plain words.
pub(crate) fn sample_document() -> Document {
    let page1 = Page {
        number: 1,
        width: 2480,
        height: 3508,
        dpi: 300,
        source: Source::Ocr,
        rotation: 0,
        blocks: vec![
            Block {
                bbox: [100, 100, 1000, 260],
                lines: vec![
                    Line {
                        bbox: [100, 100, 900, 160],
                        words: vec![
                            word("Invoice", [100, 100, 400, 160], 96.5),
                            word(MARKUP, [420, 100, 900, 160], 41.25),
                        ],
                    },
                    Line {
                        bbox: [100, 200, 1000, 260],
                        words: vec![
                            word("ภาษา", [100, 200, 300, 260], 88.0),
                            word("ไทย", [305, 200, 450, 260], 90.0),
                            word("ภาษาไทย", [600, 200, 1000, 260], 75.9),
                        ],
                    },
                ],
            },
            Block {
                bbox: [100, 500, 1500, 560],
                lines: vec![Line {
                    bbox: [100, 500, 1500, 560],
                    words: vec![
                        word("tab\there", [100, 500, 500, 560], 12.0),
                        word("new\nline\r", [520, 500, 900, 560], 0.0),
                        word("bell\u{7}\u{FFFF}x", [920, 500, 1500, 560], 100.0),
                    ],
                }],
            },
        ],
    };
    let page2 = Page {
        number: 2,
        width: 1700,
        height: 2200,
        dpi: 200,
        source: Source::TextLayer,
        rotation: 90,
        blocks: vec![
            Block {
                bbox: [50, 50, 600, 100],
                lines: vec![
                    Line { bbox: [50, 50, 50, 50], words: vec![] },
                    Line {
                        bbox: [50, 50, 600, 100],
                        words: vec![word("Page", [50, 50, 250, 100], 100.0), word("two", [300, 50, 600, 100], 100.0)],
                    },
                ],
            },
            Block { bbox: [0, 0, 0, 0], lines: vec![] },
        ],
    };
    Document { pages: vec![page1, page2], lang: "eng+tha".to_owned() }
}

/// A strict little XML parser: prolog, DOCTYPE without internal subset, comments,
/// elements, quoted attributes and the five entities plus character references. It
/// rejects what a conforming parser rejects for the markup our writers produce.
pub(crate) mod xml {
    use std::collections::HashSet;

    #[derive(Debug)]
    pub(crate) enum Node {
        Element(Element),
        Text(String),
    }

    #[derive(Debug)]
    pub(crate) struct Element {
        pub name: String,
        pub attrs: Vec<(String, String)>,
        pub children: Vec<Node>,
    }

    impl Element {
        pub fn attr(&self, name: &str) -> Option<&str> {
            self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
        }

        /// Text of all descendants, in order.
        pub fn text(&self) -> String {
            let mut out = String::new();
            fn walk(e: &Element, out: &mut String) {
                for child in &e.children {
                    match child {
                        Node::Text(t) => out.push_str(t),
                        Node::Element(c) => walk(c, out),
                    }
                }
            }
            walk(self, &mut out);
            out
        }

        pub fn elements(&self) -> impl Iterator<Item = &Element> {
            self.children.iter().filter_map(|c| match c {
                Node::Element(e) => Some(e),
                Node::Text(_) => None,
            })
        }

        /// All descendant elements named `name`, in document order.
        pub fn find_all<'a>(&'a self, name: &str) -> Vec<&'a Element> {
            let mut out = Vec::new();
            fn walk<'a>(e: &'a Element, name: &str, out: &mut Vec<&'a Element>) {
                for c in e.elements() {
                    if c.name == name {
                        out.push(c);
                    }
                    walk(c, name, out);
                }
            }
            walk(self, name, &mut out);
            out
        }

        /// Descendants whose `class` attribute is `class` (for hOCR).
        pub fn find_class<'a>(&'a self, class: &str) -> Vec<&'a Element> {
            let mut out = Vec::new();
            fn walk<'a>(e: &'a Element, class: &str, out: &mut Vec<&'a Element>) {
                for c in e.elements() {
                    if c.attr("class") == Some(class) {
                        out.push(c);
                    }
                    walk(c, class, out);
                }
            }
            walk(self, class, &mut out);
            out
        }
    }

    fn is_xml_char(c: char) -> bool {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
    }

    struct Parser<'a> {
        s: &'a str,
        pos: usize,
        ids: HashSet<String>,
    }

    pub(crate) fn parse(s: &str) -> Result<Element, String> {
        if let Some(c) = s.chars().find(|&c| !is_xml_char(c)) {
            return Err(format!("character {c:?} is not allowed in XML 1.0"));
        }
        let mut p = Parser { s, pos: 0, ids: HashSet::new() };
        if p.rest().starts_with("<?xml") {
            p.skip_past("?>")?;
        }
        p.skip_misc()?;
        if p.rest().starts_with("<!DOCTYPE") {
            p.skip_past(">")?;
        }
        p.skip_misc()?;
        let root = p.element()?;
        p.skip_misc()?;
        if p.pos != s.len() {
            return Err(format!("content after the root element at {}", p.pos));
        }
        Ok(root)
    }

    impl Parser<'_> {
        fn rest(&self) -> &str {
            &self.s[self.pos..]
        }

        fn err<T>(&self, what: &str) -> Result<T, String> {
            let near: String = self.rest().chars().take(40).collect();
            Err(format!("{what} at byte {}: {near:?}", self.pos))
        }

        fn skip_past(&mut self, end: &str) -> Result<(), String> {
            match self.rest().find(end) {
                Some(i) => {
                    self.pos += i + end.len();
                    Ok(())
                }
                None => self.err(&format!("missing {end:?}")),
            }
        }

        fn skip_ws(&mut self) {
            let rest = self.rest();
            self.pos += rest.len() - rest.trim_start_matches([' ', '\t', '\n', '\r']).len();
        }

        fn skip_misc(&mut self) -> Result<(), String> {
            loop {
                self.skip_ws();
                if self.rest().starts_with("<!--") {
                    self.skip_past("-->")?;
                } else {
                    return Ok(());
                }
            }
        }

        fn name(&mut self) -> Result<String, String> {
            let rest = self.rest();
            let end =
                rest.find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | ':' | '-' | '.'))).unwrap_or(rest.len());
            let name = rest[..end].to_owned();
            match name.chars().next() {
                Some(c) if c.is_alphabetic() || c == '_' || c == ':' => {
                    self.pos += end;
                    Ok(name)
                }
                _ => self.err("bad name"),
            }
        }

        fn decode(&self, raw: &str) -> Result<String, String> {
            let mut out = String::with_capacity(raw.len());
            let mut rest = raw;
            while let Some(i) = rest.find('&') {
                out.push_str(&rest[..i]);
                let after = &rest[i + 1..];
                let end = after.find(';').ok_or_else(|| format!("unterminated entity in {raw:?}"))?;
                let entity = &after[..end];
                let c = match entity {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    _ => {
                        let code = if let Some(hex) = entity.strip_prefix("#x") {
                            u32::from_str_radix(hex, 16)
                        } else if let Some(dec) = entity.strip_prefix('#') {
                            dec.parse::<u32>()
                        } else {
                            return Err(format!("unknown entity &{entity};"));
                        };
                        let c =
                            code.ok().and_then(char::from_u32).ok_or_else(|| format!("bad reference &{entity};"))?;
                        if !is_xml_char(c) {
                            return Err(format!("reference to illegal character &{entity};"));
                        }
                        c
                    }
                };
                out.push(c);
                rest = &after[end + 1..];
            }
            out.push_str(rest);
            Ok(out)
        }

        fn element(&mut self) -> Result<Element, String> {
            if !self.rest().starts_with('<') {
                return self.err("expected '<'");
            }
            self.pos += 1;
            let name = self.name()?;
            let mut attrs: Vec<(String, String)> = Vec::new();
            loop {
                let before = self.pos;
                self.skip_ws();
                if self.rest().starts_with("/>") {
                    self.pos += 2;
                    return Ok(Element { name, attrs, children: vec![] });
                }
                if self.rest().starts_with('>') {
                    self.pos += 1;
                    break;
                }
                if self.pos == before {
                    return self.err("expected whitespace before attribute");
                }
                let attr = self.name()?;
                self.skip_ws();
                if !self.rest().starts_with('=') {
                    return self.err("expected '='");
                }
                self.pos += 1;
                self.skip_ws();
                let quote = match self.rest().chars().next() {
                    Some(q @ ('"' | '\'')) => q,
                    _ => return self.err("expected a quote"),
                };
                self.pos += 1;
                let end = self.rest().find(quote).ok_or("unterminated attribute")?;
                let raw = &self.rest()[..end];
                if raw.contains('<') {
                    return self.err("'<' in attribute value");
                }
                // Attribute-value normalisation: literal whitespace becomes a space.
                let value = self.decode(&raw.replace(['\t', '\n', '\r'], " "))?;
                self.pos += end + 1;
                if attrs.iter().any(|(n, _)| *n == attr) {
                    return self.err(&format!("duplicate attribute {attr}"));
                }
                if (attr == "ID" || attr == "id") && !self.ids.insert(value.clone()) {
                    return self.err(&format!("duplicate id {value}"));
                }
                attrs.push((attr, value));
            }
            let mut children = Vec::new();
            loop {
                let rest = self.rest();
                if rest.is_empty() {
                    return self.err(&format!("unclosed <{name}>"));
                }
                if rest.starts_with("</") {
                    self.pos += 2;
                    let close = self.name()?;
                    if close != name {
                        return self.err(&format!("</{close}> closes <{name}>"));
                    }
                    self.skip_ws();
                    if !self.rest().starts_with('>') {
                        return self.err("expected '>'");
                    }
                    self.pos += 1;
                    return Ok(Element { name, attrs, children });
                }
                if rest.starts_with("<!--") {
                    self.skip_past("-->")?;
                } else if rest.starts_with('<') {
                    children.push(Node::Element(self.element()?));
                } else {
                    let end = rest.find('<').unwrap_or(rest.len());
                    let raw = &rest[..end];
                    if raw.contains("]]>") {
                        return self.err("']]>' in text");
                    }
                    children.push(Node::Text(self.decode(raw)?));
                    self.pos += end;
                }
            }
        }
    }

    #[test]
    fn parser_rejects_malformed_xml() {
        for bad in [
            "<a>",
            "<a></b>",
            "<a x=1/>",
            "<a x='1' x='2'/>",
            "<a>&bogus;</a>",
            "<a>&amp</a>",
            "<a>x < y</a>",
            "<a x='<'/>",
            "<a>\u{1}</a>",
            "<a>&#1;</a>",
            "<a/><b/>",
            "<a><b id='x'/><c id='x'/></a>",
        ] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
        let ok = parse("<?xml version=\"1.0\"?>\n<!DOCTYPE a>\n<a k=\"&lt;&#9;\">t&amp;<b/>&#x0E20;</a>\n").unwrap();
        assert_eq!(ok.attr("k"), Some("<\t"));
        assert_eq!(ok.text(), "t&ภ");
    }
}
