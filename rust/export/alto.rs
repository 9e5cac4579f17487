//! ALTO v4 XML, laid out like Tesseract's ALTO renderer.
//!
//! `Page` (WIDTH, HEIGHT, PHYSICAL_IMG_NR = page number, PC = mean confidence 0-1) >
//! `PrintSpace` (the whole page) > `TextBlock` (a block) > `TextLine` > `String` (HPOS
//! VPOS WIDTH HEIGHT WC CONTENT, WC the confidence 0-1 in hundredths) with an `SP` between
//! strings, as `model::line_text` puts a space, so an ALTO reader rebuilds the same text. Ids are
//! `<kind>_<page>_<n>`, n counting from 1 within the page. Blocks and lines without words
//! are left out, as in Tesseract; characters illegal in XML 1.0 are dropped.

use super::xml_escape::push_escaped;
use super::{push_uint, push_uint_sep, Size};
use crate::model::{BBox, Document, Page, Word};

const HEAD: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
    "<alto xmlns=\"http://www.loc.gov/standards/alto/ns-v4#\" ",
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" ",
    "xsi:schemaLocation=\"http://www.loc.gov/standards/alto/ns-v4# ",
    "http://www.loc.gov/standards/alto/v4/alto-4-2.xsd\">\n",
    "\t<Description>\n",
    "\t\t<MeasurementUnit>pixel</MeasurementUnit>\n",
    "\t\t<Processing ID=\"OCR_0\">\n",
    "\t\t\t<processingCategory>contentGeneration</processingCategory>\n",
    "\t\t\t<processingSoftware>\n",
    "\t\t\t\t<softwareName>ocrdesk</softwareName>\n",
    "\t\t\t\t<softwareVersion>",
    env!("CARGO_PKG_VERSION"),
    "</softwareVersion>\n",
    "\t\t\t</processingSoftware>\n",
    "\t\t</Processing>\n",
    "\t</Description>\n",
    "\t<Layout>\n",
);

const TAIL: &str = "\t</Layout>\n</alto>\n";

pub(crate) fn write(doc: &Document) -> Vec<u8> {
    let size = Size::of(doc);
    let mut out = String::with_capacity(size.estimate(HEAD.len() + TAIL.len(), 200, 100, 100, 160));
    out.push_str(HEAD);
    for page in &doc.pages {
        write_page(&mut out, page);
    }
    out.push_str(TAIL);
    out.into_bytes()
}

fn write_page(out: &mut String, page: &Page) {
    let n = page.number;
    out.push_str("\t\t<Page WIDTH=\"");
    push_uint_sep(out, page.width, "\" HEIGHT=\"");
    push_uint_sep(out, page.height, "\" PHYSICAL_IMG_NR=\"");
    push_uint_sep(out, n, "\" ID=\"page_");
    push_uint_sep(out, n, "\" PC=\"");
    push_fraction(out, page.confidence());
    out.push_str("\">\n\t\t\t<PrintSpace HPOS=\"0\" VPOS=\"0\" WIDTH=\"");
    push_uint_sep(out, page.width, "\" HEIGHT=\"");
    push_uint_sep(out, page.height, "\">\n");

    let (mut block_id, mut line_id, mut word_id) = (0u32, 0u32, 0u32);
    for block in &page.blocks {
        if block.lines.iter().all(|l| l.words.is_empty()) {
            continue;
        }
        block_id += 1;
        out.push_str("\t\t\t\t<TextBlock ID=\"block_");
        push_id(out, n, block_id);
        push_box(out, block.bbox);
        out.push_str(">\n");
        for line in block.lines.iter().filter(|l| !l.words.is_empty()) {
            line_id += 1;
            out.push_str("\t\t\t\t\t<TextLine ID=\"line_");
            push_id(out, n, line_id);
            push_box(out, line.bbox);
            out.push_str(">\n");
            let mut prev: Option<&Word> = None;
            for word in &line.words {
                if let Some(p) = prev {
                    out.push_str("<SP WIDTH=\"");
                    push_uint_sep(out, word.bbox[0].saturating_sub(p.bbox[2]), "\" VPOS=\"");
                    push_uint_sep(out, p.bbox[1], "\" HPOS=\"");
                    push_uint_sep(out, p.bbox[2], "\"/>");
                    out.push('\n');
                }
                word_id += 1;
                out.push_str("\t\t\t\t\t\t<String ID=\"string_");
                push_id(out, n, word_id);
                push_box(out, word.bbox);
                out.push_str(" WC=\"");
                push_fraction(out, word.confidence);
                out.push_str("\" CONTENT=\"");
                push_escaped(out, &word.text);
                out.push_str("\"/>");
                prev = Some(word);
            }
            out.push_str("\n\t\t\t\t\t</TextLine>\n");
        }
        out.push_str("\t\t\t\t</TextBlock>\n");
    }
    out.push_str("\t\t\t</PrintSpace>\n\t\t</Page>\n");
}

/// A 0-100 confidence as a 0-1 fraction in hundredths: "0.96", "0.05", "1". Truncated like
/// hOCR's x_wconf, so both formats give the same figure.
fn push_fraction(out: &mut String, confidence: f32) {
    let percent = if confidence.is_nan() { 0 } else { confidence.clamp(0.0, 100.0) as u32 };
    if percent >= 100 {
        out.push('1');
    } else {
        out.push_str("0.");
        out.push((b'0' + (percent / 10) as u8) as char);
        out.push((b'0' + (percent % 10) as u8) as char);
    }
}

/// `<page>_<n>"`
#[inline]
fn push_id(out: &mut String, page: u32, n: u32) {
    push_uint_sep(out, page, "_");
    push_uint_sep(out, n, "\"");
}

/// ` HPOS="x" VPOS="y" WIDTH="w" HEIGHT="h"`
#[inline]
fn push_box(out: &mut String, b: BBox) {
    out.push_str(" HPOS=\"");
    push_uint_sep(out, b[0], "\" VPOS=\"");
    push_uint_sep(out, b[1], "\" WIDTH=\"");
    push_uint_sep(out, b[2].saturating_sub(b[0]), "\" HEIGHT=\"");
    push_uint(out, b[3].saturating_sub(b[1]) as u64);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{sample_document, xml, MARKUP};
    use super::super::xml_escape::is_xml_char;
    use super::*;

    fn parsed() -> (Document, String, xml::Element) {
        let doc = sample_document();
        let out = String::from_utf8(write(&doc)).unwrap();
        let root = xml::parse(&out).unwrap_or_else(|e| panic!("not well-formed: {e}\n{out}"));
        (doc, out, root)
    }

    fn num(e: &xml::Element, attr: &str) -> u32 {
        e.attr(attr).unwrap_or_else(|| panic!("{} has no {attr}", e.name)).parse().unwrap()
    }

    fn bbox_of(e: &xml::Element) -> BBox {
        let (x, y) = (num(e, "HPOS"), num(e, "VPOS"));
        [x, y, x + num(e, "WIDTH"), y + num(e, "HEIGHT")]
    }

    fn xml_clean(s: &str) -> String {
        s.chars().filter(|&c| is_xml_char(c)).collect()
    }

    #[test]
    fn is_well_formed_alto_v4() {
        let (_, out, root) = parsed();
        assert!(out.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<alto "));
        assert_eq!(root.name, "alto");
        assert_eq!(root.attr("xmlns"), Some("http://www.loc.gov/standards/alto/ns-v4#"));
        let top: Vec<&str> = root.elements().map(|e| e.name.as_str()).collect();
        assert_eq!(top, ["Description", "Layout"]);
        assert_eq!(root.find_all("MeasurementUnit")[0].text(), "pixel");
        assert_eq!(root.find_all("softwareName")[0].text(), "ocrdesk");
        assert_eq!(root.find_all("Page").len(), 2);
    }

    #[test]
    fn pages_and_boxes_match_the_document() {
        let (doc, _, root) = parsed();
        for (page_el, page) in root.find_all("Page").into_iter().zip(&doc.pages) {
            assert_eq!(num(page_el, "WIDTH"), page.width);
            assert_eq!(num(page_el, "HEIGHT"), page.height);
            assert_eq!(num(page_el, "PHYSICAL_IMG_NR"), page.number);
            assert_eq!(page_el.attr("ID").unwrap(), format!("page_{}", page.number));
            let pc: f32 = page_el.attr("PC").unwrap().parse().unwrap();
            assert!((pc - page.confidence() / 100.0).abs() < 0.011, "{pc}");
            let spaces = page_el.find_all("PrintSpace");
            assert_eq!(spaces.len(), 1);
            assert_eq!(bbox_of(spaces[0]), [0, 0, page.width, page.height]);

            let blocks: Vec<_> = page.blocks.iter().filter(|b| b.lines.iter().any(|l| !l.words.is_empty())).collect();
            let block_els = page_el.find_all("TextBlock");
            assert_eq!(block_els.len(), blocks.len());
            for (block_el, block) in block_els.iter().zip(&blocks) {
                assert_eq!(bbox_of(block_el), block.bbox);
                let lines: Vec<_> = block.lines.iter().filter(|l| !l.words.is_empty()).collect();
                let line_els = block_el.find_all("TextLine");
                assert_eq!(line_els.len(), lines.len());
                for (line_el, line) in line_els.iter().zip(&lines) {
                    assert_eq!(bbox_of(line_el), line.bbox);
                    let strings = line_el.find_all("String");
                    assert_eq!(strings.len(), line.words.len());
                    for (s, w) in strings.iter().zip(&line.words) {
                        assert_eq!(bbox_of(s), w.bbox);
                        assert_eq!(s.attr("CONTENT").unwrap(), xml_clean(&w.text));
                        let wc: f32 = s.attr("WC").unwrap().parse().unwrap();
                        assert!((0.0..=1.0).contains(&wc));
                        assert!((wc - w.confidence / 100.0).abs() < 0.01, "{wc} vs {}", w.confidence);
                    }
                }
            }
        }
    }

    #[test]
    fn text_rebuilt_from_alto_is_the_page_text() {
        // String -> CONTENT, SP -> space, lines by '\n', blocks by a blank line.
        let (doc, _, root) = parsed();
        let page_el = root.find_all("Page")[0];
        let mut blocks = Vec::new();
        for block in page_el.find_all("TextBlock") {
            let mut lines = Vec::new();
            for line in block.find_all("TextLine") {
                let mut text = String::new();
                for e in line.elements() {
                    match e.name.as_str() {
                        "String" => text.push_str(e.attr("CONTENT").unwrap()),
                        "SP" => text.push(' '),
                        other => panic!("unexpected {other}"),
                    }
                }
                lines.push(text);
            }
            blocks.push(lines.join("\n"));
        }
        assert_eq!(blocks.join("\n\n"), xml_clean(&doc.pages[0].text()));
    }

    #[test]
    fn spaces_sit_between_words() {
        let (_, _, root) = parsed();
        let lines = root.find_all("TextLine");
        let names = |i: usize| lines[i].elements().map(|e| e.name.as_str()).collect::<Vec<_>>();
        assert_eq!(names(0), ["String", "SP", "String"]);
        assert_eq!(names(1), ["String", "SP", "String", "SP", "String"]);
        let sp = lines[0].find_all("SP")[0];
        assert_eq!((num(sp, "HPOS"), num(sp, "VPOS"), num(sp, "WIDTH")), (400, 100, 20));
    }

    #[test]
    fn content_is_escaped_and_clean() {
        let (_, out, root) = parsed();
        assert!(!out.contains("<script>"));
        assert!(out.contains(" CONTENT=\"&lt;script&gt;&amp;&quot;&#39;\"/>"));
        assert!(out.contains(" CONTENT=\"ภาษาไทย\"/>"));
        assert!(out.contains(" CONTENT=\"tab&#9;here\"/>"));
        let contents: Vec<&str> = root.find_all("String").iter().map(|s| s.attr("CONTENT").unwrap()).collect();
        assert!(contents.contains(&MARKUP));
        assert!(contents.contains(&"new\nline\r"));
        assert!(contents.contains(&"bellx"));
        assert!(!out.contains('\u{7}') && !out.contains('\u{FFFF}'));
    }

    #[test]
    fn ids_are_unique_and_numbered_per_page() {
        let (_, _, root) = parsed();
        let ids: Vec<&str> = root.find_all("String").iter().map(|s| s.attr("ID").unwrap()).collect();
        assert_eq!(ids[0], "string_1_1");
        assert_eq!(ids[7], "string_1_8");
        assert_eq!(ids[8], "string_2_1");
        let blocks: Vec<&str> = root.find_all("TextBlock").iter().map(|s| s.attr("ID").unwrap()).collect();
        assert_eq!(blocks, ["block_1_1", "block_1_2", "block_2_1"]);
    }

    #[test]
    fn word_confidence_fraction() {
        let mut s = String::new();
        for (conf, expected) in [
            (96.5, "0.96"),
            (5.0, "0.05"),
            (0.0, "0.00"),
            (100.0, "1"),
            (250.0, "1"),
            (-3.0, "0.00"),
            (f32::NAN, "0.00"),
        ] {
            s.clear();
            push_fraction(&mut s, conf);
            assert_eq!(s, expected, "{conf}");
        }
    }
}
