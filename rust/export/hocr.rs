//! hOCR 1.2 as XHTML, laid out like Tesseract's hOCR renderer.
//!
//! `ocr_page` (title `image "unknown"; bbox 0 0 w h; ppageno N; scan_res dpi dpi`, with
//! `ppageno` 0-based as Tesseract writes it and `id='page_<number>'`) > `ocr_carea` (a
//! block) > `ocr_par` (one per block: the model has no paragraphs) > `ocr_line` >
//! `ocrx_word` (`bbox ...; x_wconf N`, N the confidence truncated to an integer as
//! Tesseract does). Ids are `<kind>_<page>_<n>`, n counting from 1 within the page. Blocks
//! and lines without words are left out, as in Tesseract.

use super::xml_escape::push_escaped;
use super::{push_uint, push_uint_sep, Size};
use crate::model::{BBox, Document, Page};

const HEAD: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
    "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\"\n",
    "    \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n",
    "<html xmlns=\"http://www.w3.org/1999/xhtml\">\n",
    " <head>\n",
    "  <title></title>\n",
    "  <meta http-equiv=\"Content-Type\" content=\"text/html;charset=utf-8\"/>\n",
    "  <meta name='ocr-system' content='ocrdesk ",
    env!("CARGO_PKG_VERSION"),
    "' />\n",
    "  <meta name='ocr-capabilities' content='ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf'/>\n",
    "  <meta name='ocr-number-of-pages' content='",
);

const HEAD_END: &str = "'/>\n </head>\n <body>\n";

const TAIL: &str = " </body>\n</html>\n";

pub(crate) fn write(doc: &Document) -> Vec<u8> {
    let size = Size::of(doc);
    let mut out = String::with_capacity(size.estimate(HEAD.len() + 64, 160, 180, 90, 100));
    out.push_str(HEAD);
    push_uint(&mut out, doc.pages.len() as u64);
    out.push_str(HEAD_END);
    for page in &doc.pages {
        write_page(&mut out, page);
    }
    out.push_str(TAIL);
    out.into_bytes()
}

fn write_page(out: &mut String, page: &Page) {
    let n = page.number;
    out.push_str("  <div class='ocr_page' id='page_");
    push_uint(out, n as u64);
    out.push_str("' title='image \"unknown\"; bbox 0 0 ");
    push_uint_sep(out, page.width, " ");
    push_uint_sep(out, page.height, "; ppageno ");
    push_uint_sep(out, n.saturating_sub(1), "; scan_res ");
    push_uint_sep(out, page.dpi, " ");
    push_uint_sep(out, page.dpi, "'>\n");

    let (mut block_id, mut line_id, mut word_id) = (0u32, 0u32, 0u32);
    for block in &page.blocks {
        if block.lines.iter().all(|l| l.words.is_empty()) {
            continue;
        }
        block_id += 1;
        out.push_str("   <div class='ocr_carea' id='block_");
        push_id(out, n, block_id);
        push_title_bbox(out, block.bbox);
        // One paragraph per block, numbered like the block.
        out.push_str("\n    <p class='ocr_par' id='par_");
        push_id(out, n, block_id);
        push_title_bbox(out, block.bbox);
        for line in block.lines.iter().filter(|l| !l.words.is_empty()) {
            line_id += 1;
            out.push_str("\n     <span class='ocr_line' id='line_");
            push_id(out, n, line_id);
            push_title_bbox(out, line.bbox);
            for word in &line.words {
                word_id += 1;
                out.push_str("\n      <span class='ocrx_word' id='word_");
                push_id(out, n, word_id);
                out.push_str("' title='bbox ");
                push_bbox(out, word.bbox);
                out.push_str("; x_wconf ");
                push_uint(out, wconf(word.confidence) as u64);
                out.push_str("'>");
                push_escaped(out, &word.text);
                out.push_str("</span>");
            }
            out.push_str("\n     </span>");
        }
        out.push_str("\n    </p>\n   </div>\n");
    }
    out.push_str("  </div>\n");
}

/// Tesseract's `x_wconf` is the word confidence cast to int (truncated), 0-100.
fn wconf(confidence: f32) -> u32 {
    if confidence.is_nan() {
        0
    } else {
        confidence.clamp(0.0, 100.0) as u32
    }
}

/// `<page>_<n>`
#[inline]
fn push_id(out: &mut String, page: u32, n: u32) {
    push_uint_sep(out, page, "_");
    push_uint(out, n as u64);
}

#[inline]
fn push_bbox(out: &mut String, b: BBox) {
    push_uint_sep(out, b[0], " ");
    push_uint_sep(out, b[1], " ");
    push_uint_sep(out, b[2], " ");
    push_uint(out, b[3] as u64);
}

/// Closes the id attribute and writes `title="bbox x0 y0 x1 y1">` (Tesseract's one use of
/// double quotes).
#[inline]
fn push_title_bbox(out: &mut String, b: BBox) {
    out.push_str("' title=\"bbox ");
    push_bbox(out, b);
    out.push_str("\">");
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{sample_document, xml, MARKUP};
    use super::*;

    fn parsed() -> (Document, String, xml::Element) {
        let doc = sample_document();
        let out = String::from_utf8(write(&doc)).unwrap();
        let root = xml::parse(&out).unwrap_or_else(|e| panic!("not well-formed: {e}\n{out}"));
        (doc, out, root)
    }

    /// Parses an hOCR title into (property, value) pairs.
    fn props(title: &str) -> Vec<(&str, &str)> {
        title.split("; ").map(|p| p.split_once(' ').unwrap_or((p, ""))).collect()
    }

    fn prop<'a>(e: &'a xml::Element, name: &str) -> &'a str {
        props(e.attr("title").unwrap()).into_iter().find(|(k, _)| *k == name).unwrap().1
    }

    #[test]
    fn is_well_formed_xhtml_with_hocr_metadata() {
        let (_, out, root) = parsed();
        assert!(out.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html"));
        assert_eq!(root.name, "html");
        assert_eq!(root.attr("xmlns"), Some("http://www.w3.org/1999/xhtml"));
        let metas = root.find_all("meta");
        let meta = |name: &str| metas.iter().find(|m| m.attr("name") == Some(name)).and_then(|m| m.attr("content"));
        assert!(meta("ocr-system").unwrap().starts_with("ocrdesk"));
        assert_eq!(meta("ocr-capabilities"), Some("ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf"));
        assert_eq!(meta("ocr-number-of-pages"), Some("2"));
        assert_eq!(root.find_all("body").len(), 1);
    }

    #[test]
    fn pages_have_tesseract_titles() {
        let (doc, _, root) = parsed();
        let pages = root.find_class("ocr_page");
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[0].attr("id"), Some("page_1"));
        assert_eq!(pages[0].attr("title"), Some("image \"unknown\"; bbox 0 0 2480 3508; ppageno 0; scan_res 300 300"));
        assert_eq!(pages[1].attr("id"), Some("page_2"));
        assert_eq!(prop(pages[1], "bbox"), "0 0 1700 2200");
        assert_eq!(prop(pages[1], "ppageno"), "1");
        assert_eq!(prop(pages[1], "scan_res"), "200 200");
        let _ = doc;
    }

    #[test]
    fn structure_and_boxes_match_the_document() {
        let (doc, _, root) = parsed();
        for (page_el, page) in root.find_class("ocr_page").into_iter().zip(&doc.pages) {
            let blocks: Vec<_> = page.blocks.iter().filter(|b| b.lines.iter().any(|l| !l.words.is_empty())).collect();
            let careas = page_el.find_class("ocr_carea");
            assert_eq!(careas.len(), blocks.len());
            for (carea, block) in careas.iter().zip(&blocks) {
                let b = block.bbox;
                assert_eq!(prop(carea, "bbox"), format!("{} {} {} {}", b[0], b[1], b[2], b[3]));
                let pars = carea.find_class("ocr_par");
                assert_eq!(pars.len(), 1);
                assert_eq!(pars[0].name, "p");
                let lines: Vec<_> = block.lines.iter().filter(|l| !l.words.is_empty()).collect();
                let line_els = pars[0].find_class("ocr_line");
                assert_eq!(line_els.len(), lines.len());
                for (line_el, line) in line_els.iter().zip(&lines) {
                    let word_els = line_el.find_class("ocrx_word");
                    assert_eq!(word_els.len(), line.words.len());
                    for (w_el, w) in word_els.iter().zip(&line.words) {
                        let expected: String =
                            w.text.chars().filter(|&c| super::super::xml_escape::is_xml_char(c)).collect();
                        assert_eq!(w_el.text(), expected);
                        let b = w.bbox;
                        assert_eq!(prop(w_el, "bbox"), format!("{} {} {} {}", b[0], b[1], b[2], b[3]));
                        assert_eq!(prop(w_el, "x_wconf"), (w.confidence as u32).to_string());
                    }
                }
            }
        }
        let words = root.find_class("ocrx_word");
        assert_eq!(words.len(), doc.pages.iter().map(|p| p.words().count()).sum::<usize>());
        assert_eq!(prop(words[0], "x_wconf"), "96");
        assert_eq!(prop(words[4], "x_wconf"), "75");
    }

    #[test]
    fn ids_are_unique_and_numbered_per_page() {
        let (_, _, root) = parsed();
        // The parser rejects duplicate ids; check the numbering too.
        let ids: Vec<&str> = root.find_class("ocrx_word").iter().map(|w| w.attr("id").unwrap()).collect();
        assert_eq!(
            ids,
            [
                "word_1_1", "word_1_2", "word_1_3", "word_1_4", "word_1_5", "word_1_6", "word_1_7", "word_1_8",
                "word_2_1", "word_2_2"
            ]
        );
        let lines: Vec<&str> = root.find_class("ocr_line").iter().map(|w| w.attr("id").unwrap()).collect();
        assert_eq!(lines, ["line_1_1", "line_1_2", "line_1_3", "line_2_1"]);
        let pars: Vec<&str> = root.find_class("ocr_par").iter().map(|w| w.attr("id").unwrap()).collect();
        assert_eq!(pars, ["par_1_1", "par_1_2", "par_2_1"]);
    }

    #[test]
    fn markup_in_words_is_escaped() {
        let (_, out, root) = parsed();
        assert!(!out.contains("<script>"));
        assert!(out.contains(">&lt;script&gt;&amp;&quot;&#39;</span>"));
        assert!(out.contains(">ภาษาไทย</span>"));
        assert!(root.find_class("ocrx_word").iter().any(|w| w.text() == MARKUP));
        assert!(!out.contains('\u{7}') && !out.contains('\u{FFFF}'));
    }

    #[test]
    fn layout_matches_tesseract() {
        let doc = Document {
            pages: vec![Page {
                number: 1,
                width: 10,
                height: 20,
                dpi: 72,
                source: crate::model::Source::Ocr,
                rotation: 0,
                blocks: vec![crate::model::Block {
                    bbox: [1, 2, 3, 4],
                    lines: vec![crate::model::Line {
                        bbox: [1, 2, 3, 4],
                        words: vec![crate::model::Word { text: "a".into(), bbox: [1, 2, 3, 4], confidence: 99.9 }],
                    }],
                }],
            }],
            lang: "eng".into(),
        };
        let out = String::from_utf8(write(&doc)).unwrap();
        let body = out.split(" <body>\n").nth(1).unwrap();
        assert_eq!(
            body,
            "  <div class='ocr_page' id='page_1' title='image \"unknown\"; bbox 0 0 10 20; ppageno 0; scan_res 72 72'>\n\
             \x20  <div class='ocr_carea' id='block_1_1' title=\"bbox 1 2 3 4\">\n\
             \x20   <p class='ocr_par' id='par_1_1' title=\"bbox 1 2 3 4\">\n\
             \x20    <span class='ocr_line' id='line_1_1' title=\"bbox 1 2 3 4\">\n\
             \x20     <span class='ocrx_word' id='word_1_1' title='bbox 1 2 3 4; x_wconf 99'>a</span>\n\
             \x20    </span>\n\
             \x20   </p>\n\
             \x20  </div>\n\
             \x20 </div>\n\
             \x20</body>\n\
             </html>\n"
        );
    }
}
