//! Born-digital PDF text with positions, in the same pixel coordinates as OCR output.
//!
//! A page's own text layer is "usable" when it has visible, correctly encoded text:
//! - at least one non-space character;
//! - at most 10% of its characters are garbage (U+FFFD, control, private-use characters,
//!   or no Unicode mapping at all): broken font encodings read as nonsense, so OCR them;
//! - at most half of its characters are invisible (render mode 3). Invisible text over a
//!   scan is another tool's OCR layer of unknown quality; we OCR such pages ourselves so
//!   that every word has our boxes and confidence.

use pdfium_render::prelude::*;

use crate::model::{union, BBox, Block, Line, Page, Source, Word};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Usable,
    Empty,
    Garbage,
    Invisible,
}

struct Glyph {
    c: char,
    bbox: Option<[f32; 4]>,
    /// a whitespace character of the page's text
    space: bool,
    /// a space pdfium inferred from a gap: a word break only where the gap is real
    generated: bool,
    newline: bool,
}

/// Marks that sit above or below a base character (Thai vowels and tone marks, Latin
/// combining diacritics): always part of the current word whatever their box.
fn is_combining(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{0E31}' | '\u{0E34}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}')
}

/// Affine map from PDF page points to pixel coordinates at the rendered dpi (handles /Rotate
/// and crop-box offsets through pdfium's own conversion).
struct ToPixels {
    ox: f64,
    oy: f64,
    xx: f64,
    xy: f64,
    yx: f64,
    yy: f64,
}

impl ToPixels {
    fn new(page: &PdfPage, dpi: u32) -> Option<ToPixels> {
        let cfg = crate::raster::pdf::render_config(dpi);
        let p = |x: f32, y: f32| page.points_to_pixels(PdfPoints::new(x), PdfPoints::new(y), &cfg).ok();
        let o = p(0.0, 0.0)?;
        let ax = p(1000.0, 0.0)?;
        let ay = p(0.0, 1000.0)?;
        Some(ToPixels {
            ox: o.0 as f64,
            oy: o.1 as f64,
            xx: (ax.0 as f64 - o.0 as f64) / 1000.0,
            yx: (ax.1 as f64 - o.1 as f64) / 1000.0,
            xy: (ay.0 as f64 - o.0 as f64) / 1000.0,
            yy: (ay.1 as f64 - o.1 as f64) / 1000.0,
        })
    }

    fn rect(&self, r: [f32; 4], w: u32, h: u32) -> BBox {
        // r = [left, bottom, right, top] in points
        let corners = [(r[0], r[1]), (r[2], r[3]), (r[0], r[3]), (r[2], r[1])];
        let mut bx = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for (x, y) in corners {
            let px = self.ox + self.xx * x as f64 + self.xy * y as f64;
            let py = self.oy + self.yx * x as f64 + self.yy * y as f64;
            bx = [bx[0].min(px), bx[1].min(py), bx[2].max(px), bx[3].max(py)];
        }
        let clamp = |v: f64, m: u32| v.round().clamp(0.0, m as f64) as u32;
        [
            clamp(bx[0], w),
            clamp(bx[1], h),
            clamp(bx[2], w).max(clamp(bx[0], w) + 1),
            clamp(bx[3], h).max(clamp(bx[1], h) + 1),
        ]
    }
}

fn is_garbage(c: char) -> bool {
    c == '\u{FFFD}' || c == '\0' || (c.is_control() && !c.is_whitespace()) || ('\u{E000}'..='\u{F8FF}').contains(&c)
}

/// Read the page's text layer. Returns the verdict and, when usable, the page of words.
/// The caller holds the pdfium lock.
pub fn extract(page: &PdfPage, number: u32, dpi: u32) -> (Verdict, Option<Page>) {
    let Ok(text) = page.text() else { return (Verdict::Empty, None) };
    let chars = text.chars();
    let n = chars.len();
    if n == 0 {
        return (Verdict::Empty, None);
    }
    let mut glyphs = Vec::with_capacity(n);
    let (mut visible, mut invisible, mut garbage) = (0usize, 0usize, 0usize);
    for ch in chars.iter() {
        let generated = ch.is_generated().unwrap_or(false);
        let c = ch.unicode_char();
        let Some(c) = c else {
            garbage += 1;
            continue;
        };
        if c == '\r' || c == '\n' {
            glyphs.push(Glyph { c, bbox: None, space: true, generated, newline: true });
            continue;
        }
        if generated || c.is_whitespace() {
            glyphs.push(Glyph { c, bbox: None, space: !generated, generated, newline: false });
            continue;
        }
        if is_garbage(c) {
            garbage += 1;
            continue;
        }
        if matches!(ch.render_mode(), Ok(PdfPageTextRenderMode::Invisible)) {
            invisible += 1;
        } else {
            visible += 1;
        }
        let bbox = ch
            .tight_bounds()
            .ok()
            .or_else(|| ch.loose_bounds().ok())
            .map(|r| [r.left().value, r.bottom().value, r.right().value, r.top().value]);
        glyphs.push(Glyph { c, bbox, space: false, generated: false, newline: false });
    }
    let total = visible + invisible + garbage;
    if visible + invisible == 0 {
        return (Verdict::Empty, None);
    }
    if garbage * 10 > total {
        return (Verdict::Garbage, None);
    }
    if invisible * 2 > total {
        return (Verdict::Invisible, None);
    }
    let (w, h) = crate::raster::pdf::pixel_size(page, dpi);
    let (w, h) = (w as u32, h as u32);
    let Some(map) = ToPixels::new(page, dpi) else { return (Verdict::Empty, None) };
    let words = group_words(&glyphs, &map, w, h);
    let blocks = group_lines(words);
    (Verdict::Usable, Some(Page { number, width: w, height: h, dpi, source: Source::TextLayer, rotation: 0, blocks }))
}

/// Words in content order, each with a flag "starts a new line".
fn group_words(glyphs: &[Glyph], map: &ToPixels, w: u32, h: u32) -> Vec<(Word, bool)> {
    let mut words: Vec<(Word, bool)> = Vec::new();
    let mut cur = String::new();
    let mut cur_box: Option<BBox> = None;
    let mut new_line = true;
    let mut pending_newline = false;
    let flush = |cur: &mut String, cur_box: &mut Option<BBox>, words: &mut Vec<(Word, bool)>, nl: &mut bool| {
        if let Some(b) = cur_box.take() {
            if !cur.is_empty() {
                words.push((Word { text: std::mem::take(cur), bbox: b, confidence: 100.0 }, *nl));
                *nl = false;
            }
        }
        cur.clear();
    };
    let mut soft_break = false;
    for g in glyphs {
        if g.space || g.newline {
            flush(&mut cur, &mut cur_box, &mut words, &mut new_line);
            soft_break = false;
            if g.newline {
                pending_newline = true;
            }
            continue;
        }
        if g.generated {
            soft_break = true;
            continue;
        }
        let b = g.bbox.map(|r| map.rect(r, w, h)).filter(|b| b[2] > b[0] && b[3] > b[1]);
        if let (Some(prev), Some(b)) = (cur_box, b) {
            if !is_combining(g.c) {
                // a glyph far from the previous one, or off its line, starts a new word
                let height = (prev[3] - prev[1]).max(b[3] - b[1]).max(1);
                let mid = (b[1] + b[3]) / 2;
                let off_line = mid + height / 4 < prev[1] || mid > prev[3] + height / 4;
                let gap = b[0] as i64 - prev[2] as i64;
                let back = (b[0] + height / 2) < prev[2].saturating_sub(height);
                let limit = if soft_break { height as i64 / 6 } else { height as i64 / 2 };
                if off_line || back || gap > limit {
                    flush(&mut cur, &mut cur_box, &mut words, &mut new_line);
                }
            }
        }
        soft_break = false;
        if pending_newline && cur.is_empty() {
            new_line = true;
            pending_newline = false;
        }
        cur.push(g.c);
        if let Some(b) = b {
            cur_box = Some(match cur_box {
                Some(p) => union(p, b),
                None => b,
            });
        }
    }
    flush(&mut cur, &mut cur_box, &mut words, &mut new_line);
    words
}

/// Lines from words (a new line where pdfium saw one or the word leaves the current
/// baseline band), blocks from lines (a new block after a vertical gap of more than a line).
fn group_lines(words: Vec<(Word, bool)>) -> Vec<Block> {
    let mut lines: Vec<Line> = Vec::new();
    for (word, starts_line) in words {
        let same_line = match lines.last() {
            Some(l) if !starts_line => {
                let mid = (word.bbox[1] + word.bbox[3]) / 2;
                mid >= l.bbox[1] && mid <= l.bbox[3]
            }
            _ => false,
        };
        if same_line {
            let l = lines.last_mut().unwrap();
            l.bbox = union(l.bbox, word.bbox);
            l.words.push(word);
        } else {
            lines.push(Line { bbox: word.bbox, words: vec![word] });
        }
    }
    let mut blocks: Vec<Block> = Vec::new();
    for line in lines {
        let new_block = match blocks.last().and_then(|b| b.lines.last()) {
            Some(prev) => {
                let lh = (prev.bbox[3] - prev.bbox[1]).max(1);
                line.bbox[1] > prev.bbox[3] + lh || line.bbox[3] < prev.bbox[1]
            }
            None => true,
        };
        if new_block {
            blocks.push(Block { bbox: line.bbox, lines: vec![line] });
        } else {
            let b = blocks.last_mut().unwrap();
            b.bbox = union(b.bbox, line.bbox);
            b.lines.push(line);
        }
    }
    blocks
}
