//! TSV with exactly the columns of Tesseract's `tsv` output (`TessBaseAPI::GetTSVText`):
//! `level page_num block_num par_num line_num word_num left top width height conf text`.
//!
//! Level 1 is the page (box 0 0 width height), 2 a block, 3 a paragraph (one per block,
//! the block's box: the model has no paragraphs), 4 a line, 5 a word. Block, paragraph,
//! line and word numbers restart inside their parent, from 1. Rows other than words have
//! conf -1 and empty text; a word's conf is printed like Tesseract 5 (`%f`). As in
//! Tesseract, blocks and lines without words get no row. Tabs and line breaks inside a
//! word become spaces so every row keeps 12 columns.

use std::fmt::Write as _;

use super::{push_uint, push_uint_sep, Size};
use crate::model::{BBox, Document};

const HEADER: &str = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n";

pub(crate) fn write(doc: &Document) -> Vec<u8> {
    let size = Size::of(doc);
    let mut out = String::with_capacity(size.estimate(HEADER.len(), 40, 80, 40, 50));
    out.push_str(HEADER);
    for page in &doc.pages {
        let n = page.number;
        push_row_start(&mut out, 1, [n, 0, 0, 0, 0]);
        push_box(&mut out, [0, 0, page.width, page.height]);
        out.push_str("-1\t\n");
        let mut block_num = 0;
        for block in &page.blocks {
            if block.lines.iter().all(|l| l.words.is_empty()) {
                continue;
            }
            block_num += 1;
            push_row_start(&mut out, 2, [n, block_num, 0, 0, 0]);
            push_box(&mut out, block.bbox);
            out.push_str("-1\t\n");
            push_row_start(&mut out, 3, [n, block_num, 1, 0, 0]);
            push_box(&mut out, block.bbox);
            out.push_str("-1\t\n");
            let mut line_num = 0;
            for line in block.lines.iter().filter(|l| !l.words.is_empty()) {
                line_num += 1;
                push_row_start(&mut out, 4, [n, block_num, 1, line_num, 0]);
                push_box(&mut out, line.bbox);
                out.push_str("-1\t\n");
                for (word_index, word) in line.words.iter().enumerate() {
                    push_row_start(&mut out, 5, [n, block_num, 1, line_num, word_index as u32 + 1]);
                    push_box(&mut out, word.bbox);
                    push_conf(&mut out, word.confidence);
                    out.push('\t');
                    push_field(&mut out, &word.text);
                    out.push('\n');
                }
            }
        }
    }
    out.into_bytes()
}

/// `level page block par line word` and a tab.
#[inline]
fn push_row_start(out: &mut String, level: u32, numbers: [u32; 5]) {
    push_uint_sep(out, level, "\t");
    for n in numbers {
        push_uint_sep(out, n, "\t");
    }
}

/// `left top width height` and a tab.
#[inline]
fn push_box(out: &mut String, b: BBox) {
    push_uint_sep(out, b[0], "\t");
    push_uint_sep(out, b[1], "\t");
    push_uint_sep(out, b[2].saturating_sub(b[0]), "\t");
    push_uint_sep(out, b[3].saturating_sub(b[1]), "\t");
}

/// Tesseract 5 writes a word's confidence with `std::to_string(float)`, i.e. `%f`: six
/// decimals, ties to even. Done by hand because `write!` with a precision is the slowest
/// part of a row. `conf * 1e6` is exact in f64 (a 24-bit mantissa times a 20-bit number),
/// so rounding it gives what `%f` prints.
fn push_conf(out: &mut String, conf: f32) {
    if !conf.is_finite() {
        out.push_str("-1");
        return;
    }
    let scaled = (conf.abs() as f64 * 1e6).round_ties_even();
    if scaled >= 1e18 {
        let _ = write!(out, "{conf:.6}");
        return;
    }
    let scaled = scaled as u64;
    if conf.is_sign_negative() {
        out.push('-');
    }
    push_uint(out, scaled / 1_000_000);
    out.push('.');
    let frac = scaled % 1_000_000;
    let mut divisor = 100_000;
    while divisor > 0 {
        out.push((b'0' + (frac / divisor % 10) as u8) as char);
        divisor /= 10;
    }
}

/// Characters that would end a row or a field in a TSV reader (Python's `splitlines`
/// breaks on all of these).
fn breaks_row(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{B}' | '\u{C}' | '\r' | '\u{1C}' | '\u{1D}' | '\u{1E}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

fn push_field(out: &mut String, text: &str) {
    if !text.contains(breaks_row) {
        out.push_str(text);
        return;
    }
    out.extend(text.chars().map(|c| if breaks_row(c) { ' ' } else { c }));
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{sample_document, MARKUP};
    use super::*;

    fn rows() -> Vec<Vec<String>> {
        let out = String::from_utf8(write(&sample_document())).unwrap();
        assert!(out.ends_with('\n'));
        out.lines().map(|l| l.split('\t').map(str::to_owned).collect()).collect()
    }

    #[test]
    fn header_is_tesseracts() {
        let rows = rows();
        assert_eq!(
            rows[0],
            [
                "level",
                "page_num",
                "block_num",
                "par_num",
                "line_num",
                "word_num",
                "left",
                "top",
                "width",
                "height",
                "conf",
                "text"
            ]
        );
    }

    #[test]
    fn every_row_has_twelve_columns() {
        for row in rows() {
            assert_eq!(row.len(), 12, "{row:?}");
        }
    }

    #[test]
    fn rows_follow_the_hierarchy() {
        let rows = rows();
        let levels: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
        // Page 1: two blocks (2 lines: 2 + 3 words; 1 line: 3 words). Page 2: the empty line
        // and the empty block have no rows.
        assert_eq!(
            levels,
            [
                "1", "2", "3", "4", "5", "5", "4", "5", "5", "5", "2", "3", "4", "5", "5", "5", //
                "1", "2", "3", "4", "5", "5",
            ]
        );
        let page = &rows[1];
        assert_eq!(page, &["1", "1", "0", "0", "0", "0", "0", "0", "2480", "3508", "-1", ""]);
        let block = &rows[2];
        assert_eq!(block, &["2", "1", "1", "0", "0", "0", "100", "100", "900", "160", "-1", ""]);
        let par = &rows[3];
        assert_eq!(par, &["3", "1", "1", "1", "0", "0", "100", "100", "900", "160", "-1", ""]);
        let line = &rows[4];
        assert_eq!(line, &["4", "1", "1", "1", "1", "0", "100", "100", "800", "60", "-1", ""]);
        let word = &rows[5];
        assert_eq!(word, &["5", "1", "1", "1", "1", "1", "100", "100", "300", "60", "96.500000", "Invoice"]);
        assert_eq!(rows[6][10..], ["41.250000", MARKUP]);
        assert_eq!(rows[8][5..], ["1", "100", "200", "200", "60", "88.000000", "ภาษา"]);
        assert_eq!(rows[10][4..6], ["2", "3"]);
        assert_eq!(rows[10][11], "ภาษาไทย");
        // Block 2 of page 1 restarts line numbering.
        assert_eq!(rows[11][..6], ["2", "1", "2", "0", "0", "0"]);
        assert_eq!(rows[13][..6], ["4", "1", "2", "1", "1", "0"]);
        // Page 2 restarts block numbering.
        assert_eq!(rows[17][..6], ["1", "2", "0", "0", "0", "0"]);
        assert_eq!(rows[18][..6], ["2", "2", "1", "0", "0", "0"]);
        assert_eq!(rows[21][5..], ["1", "50", "50", "200", "50", "100.000000", "Page"]);
        assert_eq!(rows[22][11], "two");
    }

    #[test]
    fn only_words_have_a_confidence() {
        for row in &rows()[1..] {
            if row[0] == "5" {
                let conf: f32 = row[10].parse().unwrap();
                assert!((0.0..=100.0).contains(&conf), "{row:?}");
            } else {
                assert_eq!(row[10], "-1");
                assert_eq!(row[11], "");
            }
        }
    }

    #[test]
    fn confidence_is_printed_like_printf_f() {
        let mut s = String::new();
        let mut check = |conf: f32| {
            s.clear();
            push_conf(&mut s, conf);
            assert_eq!(s, format!("{conf:.6}"), "{conf:e}");
        };
        for conf in [0.0, -0.0, 100.0, 96.5, 41.25, 0.0078125, 0.0234375, 1e-7, -3.5, 99.99999, 1e17, 3e30] {
            check(conf);
        }
        // Every f32 between 0 and 128 at a stride, plus its neighbours.
        let mut bits = 0u32;
        while f32::from_bits(bits) < 128.0 {
            check(f32::from_bits(bits));
            check(f32::from_bits(bits + 1));
            bits += 9973;
        }
        s.clear();
        push_conf(&mut s, f32::NAN);
        assert_eq!(s, "-1");
    }

    #[test]
    fn tabs_and_line_breaks_in_words_become_spaces() {
        let rows = rows();
        assert_eq!(rows[14][11], "tab here");
        assert_eq!(rows[15][11], "new line ");
        assert_eq!(rows[16][11], "bell\u{7}\u{FFFF}x");
        let mut s = String::new();
        push_field(&mut s, "a\u{2028}b\u{85}c\u{C}d");
        assert_eq!(s, "a b c d");
    }
}
