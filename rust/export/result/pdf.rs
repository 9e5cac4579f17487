//! Searchable PDF: each page's image (the original JPEG as is, else the page decoded or
//! rendered at the OCR resolution and stored as 1-bit Flate when it is black and white,
//! else as grayscale JPEG) with an invisible text layer (render mode 3) at the word boxes.
//!
//! The text uses the glyph-less font of Tesseract's PDF renderer (`glyphless.ttf`, Apache
//! 2.0): a Type0 font, Identity-H, CID = UTF-16 code unit, every CID drawn with the one
//! empty glyph, and a ToUnicode CMap mapping each code back to itself. So any script (Thai
//! included) is selectable and searchable, and nothing of a real font needs embedding.
//! Each word is stretched (Tz) to its box; words of a line share the line's baseline and
//! carry a trailing space up to the next word, so text extraction gets the line's words
//! in reading order with spaces between them.
//!
//! Objects are written one at a time with their offsets remembered, so a batch of many
//! records streams out page by page; the page tree and cross-reference table come last.

use std::io::Write as _;

use flate2::write::ZlibEncoder;
use flate2::Compression;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, TextRenderingMode};
use pdf_writer::{Chunk, Content, Filter, Name, Rect, Ref, Str, TextStr};

use super::Record;
use crate::error::{Error, Result};
use crate::model::{Document, Page};
use crate::raster::{self, image_file, pdf as rpdf, tiff_file::TiffPages, Gray, Kind, Limits};

const GLYPHLESS_TTF: &[u8] = include_bytes!("glyphless.ttf");
const FONT: Name = Name(b"F0");
const IMAGE: Name = Name(b"Im0");
/// Advance of every glyph, in thousandths of the font size.
const ADVANCE: f32 = 500.0;
const JPEG_QUALITY: u8 = 75;

const TO_UNICODE: &str = "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n\
1 beginbfrange\n<0000> <FFFF> <0000>\nendbfrange\n\
endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n";

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut enc = ZlibEncoder::new(Vec::with_capacity(data.len() / 4 + 64), Compression::new(6));
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

/// A page image ready to embed.
pub(crate) enum PageImage {
    Jpeg { data: Vec<u8>, width: u32, height: u32, components: u8 },
    Bilevel { flate: Vec<u8>, width: u32, height: u32 },
}

impl PageImage {
    pub fn from_gray(g: &Gray) -> Result<PageImage> {
        if g.data.iter().all(|&p| p == 0 || p == 255) {
            let row_bytes = (g.width as usize).div_ceil(8);
            let mut packed = vec![0u8; row_bytes * g.height as usize];
            for (y, row) in g.data.chunks_exact(g.width as usize).enumerate() {
                let dst = &mut packed[y * row_bytes..(y + 1) * row_bytes];
                for (x, &p) in row.iter().enumerate() {
                    if p == 255 {
                        dst[x / 8] |= 0x80 >> (x % 8);
                    }
                }
            }
            return Ok(PageImage::Bilevel { flate: deflate(&packed), width: g.width, height: g.height });
        }
        let mut data = Vec::with_capacity(g.data.len() / 8);
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut data, JPEG_QUALITY)
            .encode(&g.data, g.width, g.height, image::ExtendedColorType::L8)
            .map_err(|e| Error::InvalidDocument(format!("cannot encode the page image: {e}")))?;
        Ok(PageImage::Jpeg { data, width: g.width, height: g.height, components: 1 })
    }
}

/// Width, height and components of a baseline or progressive JPEG, from its SOF marker.
fn jpeg_info(data: &[u8]) -> Option<(u32, u32, u8)> {
    let mut i = 2;
    while i + 9 < data.len() {
        if data[i] != 0xFF {
            return None;
        }
        let marker = data[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        let len = u16::from_be_bytes([data[i + 2], data[i + 3]]) as usize;
        if matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF) {
            let h = u16::from_be_bytes([data[i + 5], data[i + 6]]) as u32;
            let w = u16::from_be_bytes([data[i + 7], data[i + 8]]) as u32;
            return Some((w, h, data[i + 9]));
        }
        i += 2 + len;
    }
    None
}

/// Calls `f(page index, image)` for each page of `doc`, with its image from `original`.
pub(crate) fn for_each_page_image(
    original: Option<&[u8]>,
    doc: &Document,
    mut f: impl FnMut(usize, Option<PageImage>) -> Result<()>,
) -> Result<()> {
    let Some(data) = original else {
        for i in 0..doc.pages.len() {
            f(i, None)?;
        }
        return Ok(());
    };
    let limits = Limits { max_file_size: u64::MAX, ..Limits::default() };
    let upright = |g: Gray, page: &Page| -> Result<PageImage> {
        let g = if !page.rotation.is_multiple_of(360) { g.rotated_cw(page.rotation) } else { g };
        PageImage::from_gray(&g)
    };
    match raster::sniff(data) {
        Some(Kind::Pdf) => {
            let pdfium = rpdf::pdfium()?;
            let pdf = {
                let _g = rpdf::lock();
                pdfium.load_pdf_from_byte_slice(data, None).map_err(rpdf::map_error)?
            };
            let result = (|| {
                for (i, page) in doc.pages.iter().enumerate() {
                    let gray = {
                        let _g = rpdf::lock();
                        match pdf.pages().get(page.number as i32 - 1) {
                            Ok(p) if page.dpi > 0 => Some(rpdf::render(&p, page.dpi)?),
                            _ => None,
                        }
                    };
                    let image = match gray {
                        Some(g) => Some(upright(g, page)?),
                        None => None,
                    };
                    f(i, image)?;
                }
                Ok(())
            })();
            let _g = rpdf::lock();
            drop(pdf);
            result
        }
        Some(Kind::Tiff) => {
            let mut pages = TiffPages::open(data, &limits)?;
            let mut number = 0u32;
            let mut next = 0usize;
            while next < doc.pages.len() {
                let Some((gray, _)) = pages.next_page()? else { break };
                number += 1;
                while next < doc.pages.len() && doc.pages[next].number < number {
                    f(next, None)?;
                    next += 1;
                }
                if next < doc.pages.len() && doc.pages[next].number == number {
                    f(next, Some(upright(gray, &doc.pages[next])?))?;
                    next += 1;
                }
            }
            for i in next..doc.pages.len() {
                f(i, None)?;
            }
            Ok(())
        }
        Some(kind) => {
            for (i, page) in doc.pages.iter().enumerate() {
                if i > 0 {
                    f(i, None)?;
                    continue;
                }
                if kind == Kind::Jpeg && page.rotation % 360 == 0 {
                    if let Some((width, height, components)) = jpeg_info(data) {
                        if matches!(components, 1 | 3) {
                            f(i, Some(PageImage::Jpeg { data: data.to_vec(), width, height, components }))?;
                            continue;
                        }
                    }
                }
                let gray = image_file::decode(data, kind, &limits)?;
                f(i, Some(upright(gray, page)?))?;
            }
            Ok(())
        }
        None => Err(Error::UnsupportedFormat("the original file is not a PDF or an image".into())),
    }
}

/// A PDF written object by object.
pub(crate) struct PdfStream {
    next_id: i32,
    offsets: Vec<(i32, u64)>,
    written: u64,
    page_ids: Vec<Ref>,
    pages_id: Ref,
    font_id: Ref,
}

impl PdfStream {
    /// The writer and the file's first bytes (header and the shared font).
    pub fn new() -> (PdfStream, Vec<u8>) {
        let mut s = PdfStream {
            next_id: 1,
            offsets: Vec::new(),
            written: 0,
            page_ids: Vec::new(),
            pages_id: Ref::new(1),
            font_id: Ref::new(2),
        };
        s.next_id = 3;
        let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
        s.written = out.len() as u64;
        let cid = s.alloc();
        let descriptor = s.alloc();
        let file = s.alloc();
        let cid_to_gid = s.alloc();
        let cmap = s.alloc();

        let mut c = Chunk::new();
        c.type0_font(s.font_id)
            .base_font(Name(b"GlyphLessFont"))
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap);
        out.extend(s.emit(s.font_id, c));

        let mut c = Chunk::new();
        c.cid_font(cid)
            .subtype(CidFontType::Type2)
            .base_font(Name(b"GlyphLessFont"))
            .system_info(SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 })
            .font_descriptor(descriptor)
            .default_width(ADVANCE)
            .cid_to_gid_map_stream(cid_to_gid);
        out.extend(s.emit(cid, c));

        let mut c = Chunk::new();
        c.font_descriptor(descriptor)
            .name(Name(b"GlyphLessFont"))
            .flags(FontFlags::SYMBOLIC | FontFlags::FIXED_PITCH)
            .bbox(Rect::new(0.0, -200.0, ADVANCE, 800.0))
            .italic_angle(0.0)
            .ascent(800.0)
            .descent(-200.0)
            .cap_height(800.0)
            .stem_v(80.0)
            .font_file2(file);
        out.extend(s.emit(descriptor, c));

        let mut c = Chunk::new();
        let font = deflate(GLYPHLESS_TTF);
        c.stream(file, &font).filter(Filter::FlateDecode).pair(Name(b"Length1"), GLYPHLESS_TTF.len() as i32);
        out.extend(s.emit(file, c));

        // Every CID (UTF-16 code unit) -> glyph 1.
        let map: Vec<u8> = (0..65536).flat_map(|_| [0u8, 1u8]).collect();
        let map = deflate(&map);
        let mut c = Chunk::new();
        c.stream(cid_to_gid, &map).filter(Filter::FlateDecode);
        out.extend(s.emit(cid_to_gid, c));

        let mut c = Chunk::new();
        c.stream(cmap, TO_UNICODE.as_bytes());
        out.extend(s.emit(cmap, c));
        (s, out)
    }

    fn alloc(&mut self) -> Ref {
        let r = Ref::new(self.next_id);
        self.next_id += 1;
        r
    }

    /// `chunk` holds the one object `id`.
    fn emit(&mut self, id: Ref, chunk: Chunk) -> Vec<u8> {
        self.offsets.push((id.get(), self.written));
        let bytes = chunk.as_bytes().to_vec();
        self.written += bytes.len() as u64;
        bytes
    }

    /// One page: its image (if any) under the invisible words of `page`.
    pub fn page(&mut self, page: &Page, image: Option<PageImage>) -> Vec<u8> {
        let dpi = if page.dpi > 0 { page.dpi } else { 300 };
        let s = 72.0 / dpi as f32;
        let (mut pw, mut ph) = (page.width as f32 * s, page.height as f32 * s);
        if pw < 1.0 || ph < 1.0 {
            (pw, ph) = (595.0, 842.0);
        }
        let mut out = Vec::new();
        let page_id = self.alloc();
        let content_id = self.alloc();
        let image_id = image.as_ref().map(|_| self.alloc());

        let mut content = Content::new();
        if image.is_some() {
            content.save_state();
            content.transform([pw, 0.0, 0.0, ph, 0.0, 0.0]);
            content.x_object(IMAGE);
            content.restore_state();
        }
        let mut any_text = false;
        let mut utf16: Vec<u8> = Vec::new();
        for line in page.lines() {
            let words: Vec<_> =
                line.words.iter().filter(|w| !w.text.trim().is_empty() && w.bbox[2] > w.bbox[0]).collect();
            if words.is_empty() {
                continue;
            }
            if !any_text {
                content.begin_text();
                content.set_text_rendering_mode(TextRenderingMode::Invisible);
                any_text = true;
            }
            let (top, bottom) = if line.bbox[3] > line.bbox[1] {
                (line.bbox[1], line.bbox[3])
            } else {
                (words.iter().map(|w| w.bbox[1]).min().unwrap_or(0), words.iter().map(|w| w.bbox[3]).max().unwrap_or(0))
            };
            let h = (bottom.saturating_sub(top)).max(1) as f32;
            let size = (h * s).max(1.0);
            let baseline = ph - (bottom as f32 - 0.2 * h) * s;
            content.set_font(FONT, size);
            for (i, w) in words.iter().enumerate() {
                utf16.clear();
                let mut units = 0usize;
                for u in w.text.trim().encode_utf16() {
                    utf16.extend_from_slice(&u.to_be_bytes());
                    units += 1;
                }
                let x0 = w.bbox[0] as f32 * s;
                let mut x1 = w.bbox[2] as f32 * s;
                if let Some(next) = words.get(i + 1) {
                    let nx = next.bbox[0] as f32 * s;
                    if nx > x1 {
                        x1 = nx;
                    }
                    utf16.extend_from_slice(&[0, 32]);
                    units += 1;
                }
                let natural = units as f32 * ADVANCE / 1000.0 * size;
                let scale = if natural > 0.0 { 100.0 * (x1 - x0).max(0.1) / natural } else { 100.0 };
                content.set_horizontal_scaling(scale);
                content.set_text_matrix([1.0, 0.0, 0.0, 1.0, x0, baseline]);
                content.show(Str(&utf16));
            }
        }
        if any_text {
            content.end_text();
        }
        let raw = content.finish();
        let stream = deflate(raw.as_slice());

        let mut c = Chunk::new();
        {
            let mut p = c.page(page_id);
            p.parent(self.pages_id).media_box(Rect::new(0.0, 0.0, pw, ph)).contents(content_id);
            let mut res = p.resources();
            res.fonts().pair(FONT, self.font_id);
            if let Some(id) = image_id {
                res.x_objects().pair(IMAGE, id);
            }
        }
        out.extend(self.emit(page_id, c));
        let mut c = Chunk::new();
        c.stream(content_id, &stream).filter(Filter::FlateDecode);
        out.extend(self.emit(content_id, c));
        if let (Some(id), Some(image)) = (image_id, image) {
            let mut c = Chunk::new();
            match &image {
                PageImage::Jpeg { data, width, height, components } => {
                    let mut x = c.image_xobject(id, data);
                    x.filter(Filter::DctDecode);
                    x.width(*width as i32).height(*height as i32).bits_per_component(8);
                    if *components == 3 {
                        x.color_space().device_rgb();
                    } else {
                        x.color_space().device_gray();
                    }
                }
                PageImage::Bilevel { flate, width, height } => {
                    let mut x = c.image_xobject(id, flate);
                    x.filter(Filter::FlateDecode);
                    x.width(*width as i32).height(*height as i32).bits_per_component(1);
                    x.color_space().device_gray();
                }
            }
            out.extend(self.emit(id, c));
        }
        self.page_ids.push(page_id);
        out
    }

    /// The page tree, catalog, info, cross-reference table and trailer.
    pub fn finish(mut self, title: &str) -> Vec<u8> {
        let mut out = Vec::new();
        if self.page_ids.is_empty() {
            // Readers reject a PDF without pages: an empty result is one blank A4 page.
            let blank = Page {
                number: 1,
                width: 595,
                height: 842,
                dpi: 72,
                source: crate::model::Source::Ocr,
                rotation: 0,
                blocks: Vec::new(),
            };
            out.extend(self.page(&blank, None));
        }
        let mut c = Chunk::new();
        let count = self.page_ids.len() as i32;
        c.pages(self.pages_id).kids(self.page_ids.iter().copied()).count(count);
        out.extend(self.emit(self.pages_id, c));
        let catalog = self.alloc();
        let mut c = Chunk::new();
        c.indirect(catalog).dict().pair(Name(b"Type"), Name(b"Catalog")).pair(Name(b"Pages"), self.pages_id);
        out.extend(self.emit(catalog, c));
        let info = self.alloc();
        let mut c = Chunk::new();
        {
            let mut d = c.indirect(info).dict();
            d.pair(Name(b"Producer"), TextStr(concat!("ocrdesk ", env!("CARGO_PKG_VERSION"))));
            if !title.is_empty() {
                d.pair(Name(b"Title"), TextStr(title));
            }
        }
        out.extend(self.emit(info, c));

        let xref_at = self.written;
        let mut offsets = vec![0u64; self.next_id as usize];
        for &(id, off) in &self.offsets {
            offsets[id as usize] = off;
        }
        let mut x = String::with_capacity(20 * offsets.len() + 128);
        x.push_str(&format!("xref\n0 {}\n0000000000 65535 f\r\n", offsets.len()));
        for off in &offsets[1..] {
            x.push_str(&format!("{off:010} 00000 n\r\n"));
        }
        x.push_str(&format!(
            "trailer\n<< /Size {} /Root {} 0 R /Info {} 0 R >>\nstartxref\n{}\n%%EOF\n",
            offsets.len(),
            catalog.get(),
            info.get(),
            xref_at
        ));
        out.extend_from_slice(x.as_bytes());
        out
    }
}

/// A searchable PDF of one record. Without an OCR document the lines of the text are
/// spread down the page (no word boxes were kept); without the original, pages have no
/// image.
pub(crate) fn write(record: &Record, original: Option<&[u8]>, title: &str) -> Result<Vec<u8>> {
    let (mut pdf, mut out) = PdfStream::new();
    let owned;
    let doc = match record.document {
        Some(d) => d,
        None => {
            owned = synthetic_document(record);
            &owned
        }
    };
    let images_ok = record.document.is_some();
    for_each_page_image(if images_ok { original } else { None }, doc, |i, image| {
        out.extend(pdf.page(&doc.pages[i], image));
        Ok(())
    })?;
    out.extend(pdf.finish(title));
    Ok(out)
}

/// Pages of A4 at 72 dpi with one text line per 14 pt, for results without word boxes.
pub(crate) fn synthetic_document(record: &Record) -> Document {
    use crate::model::{Block, Line, Source, Word};
    let pages = record
        .pages
        .iter()
        .map(|p| {
            let mut lines = Vec::new();
            for (i, text) in p.lines().enumerate() {
                let y = 50 + (i as u32 % 52) * 14;
                let mut x = 50u32;
                let words = text
                    .split_whitespace()
                    .map(|w| {
                        let width = (w.chars().count() as u32 * 6).max(6);
                        let word = Word { text: w.to_owned(), bbox: [x, y, x + width, y + 12], confidence: 0.0 };
                        x += width + 4;
                        word
                    })
                    .collect::<Vec<_>>();
                lines.push(Line { bbox: [50, y, x, y + 12], words });
            }
            Page {
                number: p.number,
                width: 595,
                height: 842,
                dpi: 72,
                source: Source::Ocr,
                rotation: 0,
                blocks: vec![Block { bbox: [0, 0, 595, 842], lines }],
            }
        })
        .collect();
    Document { pages, lang: String::new() }
}
