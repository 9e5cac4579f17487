//! The result of OCR: a document of pages, blocks, lines and words, with boxes in page pixels.

use serde::Serialize;

/// Axis-aligned box `(x0, y0, x1, y1)` in page pixels, origin top-left, x1/y1 exclusive.
pub type BBox = [u32; 4];

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Word {
    pub text: String,
    pub bbox: BBox,
    /// 0-100; a text-layer word is 100.
    pub confidence: f32,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Line {
    pub bbox: BBox,
    pub words: Vec<Word>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Block {
    pub bbox: BBox,
    pub lines: Vec<Line>,
}

/// Where a page's words came from.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub enum Source {
    #[serde(rename = "text-layer")]
    TextLayer,
    #[serde(rename = "ocr")]
    Ocr,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::TextLayer => "text-layer",
            Source::Ocr => "ocr",
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Page {
    /// 1-based page number.
    pub number: u32,
    /// Size in pixels at `dpi`, after orientation correction.
    pub width: u32,
    pub height: u32,
    pub dpi: u32,
    pub source: Source,
    /// Clockwise degrees (0, 90, 180, 270) the page was turned to read it upright.
    pub rotation: u32,
    pub blocks: Vec<Block>,
}

impl Page {
    pub fn lines(&self) -> impl Iterator<Item = &Line> {
        self.blocks.iter().flat_map(|b| b.lines.iter())
    }

    pub fn words(&self) -> impl Iterator<Item = &Word> {
        self.lines().flat_map(|l| l.words.iter())
    }

    /// Mean word confidence (0-100); 0 for a page without words.
    pub fn confidence(&self) -> f32 {
        let (sum, n) = self.words().fold((0.0f64, 0usize), |(s, n), w| (s + w.confidence as f64, n + 1));
        if n == 0 {
            0.0
        } else {
            (sum / n as f64) as f32
        }
    }

    /// Text of the page: words joined by a space, lines by '\n', blocks by a blank line.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (bi, block) in self.blocks.iter().enumerate() {
            if bi > 0 {
                out.push_str("\n\n");
            }
            for (li, line) in block.lines.iter().enumerate() {
                if li > 0 {
                    out.push('\n');
                }
                out.push_str(&line_text(line));
            }
        }
        out
    }
}

/// Words of a line joined by single spaces. (The OCR engine already makes one word of the
/// pieces Tesseract reads without a space between them, as it does for Thai.)
pub fn line_text(line: &Line) -> String {
    let mut out = String::with_capacity(line.words.iter().map(|w| w.text.len() + 1).sum());
    for (i, w) in line.words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&w.text);
    }
    out
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Document {
    pub pages: Vec<Page>,
    /// Tesseract language string used for OCR pages, e.g. "eng+tha".
    pub lang: String,
}

impl Document {
    /// Whole text, pages separated by form feed.
    pub fn text(&self) -> String {
        let texts: Vec<String> = self.pages.iter().map(Page::text).collect();
        texts.join("\u{000C}")
    }
}

pub fn union(a: BBox, b: BBox) -> BBox {
    [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])]
}
