//! Input files -> 8-bit grayscale page bitmaps. File type is sniffed from bytes, never taken
//! from a name. Every decoder checks the limits before it allocates pixels.

pub mod image_file;
pub mod pdf;
pub mod tiff_file;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pdf,
    Png,
    Jpeg,
    Tiff,
    Webp,
    Bmp,
    Gif,
}

impl Kind {
    pub fn mime(self) -> &'static str {
        match self {
            Kind::Pdf => "application/pdf",
            Kind::Png => "image/png",
            Kind::Jpeg => "image/jpeg",
            Kind::Tiff => "image/tiff",
            Kind::Webp => "image/webp",
            Kind::Bmp => "image/bmp",
            Kind::Gif => "image/gif",
        }
    }
}

/// The file type from its first bytes. PDFs may have a little junk before `%PDF-` (as
/// readers tolerate); the others must start with their signature.
pub fn sniff(data: &[u8]) -> Option<Kind> {
    let head = &data[..data.len().min(1024)];
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Kind::Png)
    } else if head.starts_with(b"\xFF\xD8\xFF") {
        Some(Kind::Jpeg)
    } else if head.starts_with(b"II*\0")
        || head.starts_with(b"MM\0*")
        || head.starts_with(b"II+\0")
        || head.starts_with(b"MM\0+")
    {
        Some(Kind::Tiff)
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        Some(Kind::Webp)
    } else if head.starts_with(b"BM") && head.len() >= 26 {
        Some(Kind::Bmp)
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some(Kind::Gif)
    } else if head.windows(5).any(|w| w == b"%PDF-") {
        Some(Kind::Pdf)
    } else {
        None
    }
}

/// Configurable limits; defaults follow SPEC §7.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_file_size: u64,
    pub max_pages: u32,
    pub max_megapixels: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_file_size: 50 * 1024 * 1024, max_pages: 2000, max_megapixels: 100.0 }
    }
}

impl Limits {
    pub fn check_file(&self, len: usize) -> Result<()> {
        if len == 0 {
            return Err(Error::InvalidDocument("the file is empty (0 bytes)".into()));
        }
        if len as u64 > self.max_file_size {
            return Err(Error::TooLarge(format!("file is {} bytes, the limit is {} bytes", len, self.max_file_size)));
        }
        Ok(())
    }

    pub fn check_pages(&self, pages: usize) -> Result<()> {
        if pages > self.max_pages as usize {
            return Err(Error::TooLarge(format!("{} pages, the limit is {}", pages, self.max_pages)));
        }
        Ok(())
    }

    pub fn check_pixels(&self, page: u32, width: u64, height: u64) -> Result<()> {
        let mp = width as f64 * height as f64 / 1e6;
        if mp > self.max_megapixels {
            return Err(Error::TooLarge(format!(
                "page {} is {}x{} pixels ({:.1} megapixels), the limit is {} megapixels",
                page, width, height, mp, self.max_megapixels
            )));
        }
        if width == 0 || height == 0 {
            return Err(Error::InvalidDocument(format!("page {} has no pixels", page)));
        }
        Ok(())
    }

    /// Bytes a decoder may allocate for one page: the pixel limit at 4 bytes a pixel plus slack.
    pub fn max_alloc(&self) -> u64 {
        (self.max_megapixels * 1e6 * 4.0) as u64 + (16 << 20)
    }
}

/// An 8-bit grayscale bitmap, rows packed (stride == width).
#[derive(Clone)]
pub struct Gray {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl std::fmt::Debug for Gray {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Gray({}x{})", self.width, self.height)
    }
}

impl Gray {
    /// Turn the bitmap clockwise by `degrees` (0, 90, 180 or 270).
    pub fn rotated_cw(&self, degrees: u32) -> Gray {
        let (w, h) = (self.width as usize, self.height as usize);
        let src = &self.data;
        match degrees % 360 {
            90 => {
                let mut out = vec![0u8; w * h];
                // new width = h; pixel (x, y) -> (h-1-y, x)
                for y in 0..h {
                    let row = &src[y * w..(y + 1) * w];
                    let nx = h - 1 - y;
                    for (x, &p) in row.iter().enumerate() {
                        out[x * h + nx] = p;
                    }
                }
                Gray { width: h as u32, height: w as u32, data: out }
            }
            180 => {
                let mut out = src.clone();
                out.reverse();
                Gray { width: self.width, height: self.height, data: out }
            }
            270 => {
                let mut out = vec![0u8; w * h];
                // pixel (x, y) -> (y, w-1-x)
                for y in 0..h {
                    let row = &src[y * w..(y + 1) * w];
                    for (x, &p) in row.iter().enumerate() {
                        out[(w - 1 - x) * h + y] = p;
                    }
                }
                Gray { width: h as u32, height: w as u32, data: out }
            }
            _ => self.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_signatures() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Some(Kind::Pdf));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(Kind::Png));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0"), Some(Kind::Jpeg));
        assert_eq!(sniff(b"II*\0...."), Some(Kind::Tiff));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Kind::Webp));
        assert_eq!(sniff(b"GIF89a"), Some(Kind::Gif));
        assert_eq!(sniff(b"hello world"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn rotation_round_trips() {
        let g = Gray { width: 3, height: 2, data: vec![1, 2, 3, 4, 5, 6] };
        let r = g.rotated_cw(90);
        assert_eq!((r.width, r.height), (2, 3));
        assert_eq!(r.data, vec![4, 1, 5, 2, 6, 3]);
        assert_eq!(r.rotated_cw(270).data, g.data);
        assert_eq!(g.rotated_cw(180).rotated_cw(180).data, g.data);
        assert_eq!(g.rotated_cw(90).rotated_cw(90).data, g.rotated_cw(180).data);
    }

    #[test]
    fn limits() {
        let l = Limits::default();
        assert!(l.check_file(0).is_err());
        assert!(l.check_file(10).is_ok());
        assert!(l.check_pixels(1, 20_000, 20_000).is_err());
        assert!(l.check_pixels(1, 2480, 3508).is_ok());
        assert!(l.check_pages(2001).is_err());
    }
}
