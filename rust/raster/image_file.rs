//! Single-page raster images (PNG, JPEG, WebP, BMP, GIF) through the `image` crate.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader};

use super::{Gray, Kind, Limits};
use crate::error::{Error, Result};

fn format_of(kind: Kind) -> ImageFormat {
    match kind {
        Kind::Png => ImageFormat::Png,
        Kind::Jpeg => ImageFormat::Jpeg,
        Kind::Webp => ImageFormat::WebP,
        Kind::Bmp => ImageFormat::Bmp,
        Kind::Gif => ImageFormat::Gif,
        Kind::Tiff => ImageFormat::Tiff,
        Kind::Pdf => unreachable!("PDF is not an image format"),
    }
}

fn invalid(e: image::ImageError) -> Error {
    match e {
        image::ImageError::Limits(l) => Error::TooLarge(format!("image exceeds the decoder limits: {l}")),
        image::ImageError::Unsupported(u) => Error::UnsupportedFormat(u.to_string()),
        other => Error::InvalidDocument(format!("cannot decode image: {other}")),
    }
}

/// Decode the image (first frame of an animation) to grayscale, checking the pixel limit
/// from the header before any pixel buffer is allocated.
pub fn decode(data: &[u8], kind: Kind, limits: &Limits) -> Result<Gray> {
    let fmt = format_of(kind);
    let (w, h) = ImageReader::with_format(Cursor::new(data), fmt).into_dimensions().map_err(invalid)?;
    limits.check_pixels(1, w as u64, h as u64)?;
    let mut reader = ImageReader::with_format(Cursor::new(data), fmt);
    let mut il = image::Limits::default();
    il.max_image_width = Some(w);
    il.max_image_height = Some(h);
    il.max_alloc = Some(limits.max_alloc());
    reader.limits(il);
    let img = reader.decode().map_err(invalid)?;
    Ok(to_gray(img))
}

/// Grayscale with any transparency composited onto white paper.
pub fn to_gray(img: DynamicImage) -> Gray {
    let (width, height) = (img.width(), img.height());
    let data = if img.color().has_alpha() {
        let la = img.into_luma_alpha8();
        la.pixels()
            .map(|p| {
                let (l, a) = (p.0[0] as u32, p.0[1] as u32);
                ((l * a + 255 * (255 - a)) / 255) as u8
            })
            .collect()
    } else {
        img.into_luma8().into_raw()
    };
    Gray { width, height, data }
}

/// Resolution recorded in the file (PNG pHYs, JPEG JFIF), if any and plausible.
pub fn embedded_dpi(data: &[u8], kind: Kind) -> Option<u32> {
    let dpi = match kind {
        Kind::Png => {
            let pos = data.windows(4).take(64 * 1024).position(|w| w == b"pHYs")?;
            let b = data.get(pos + 4..pos + 13)?;
            let ppm = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
            if b[8] != 1 {
                return None;
            }
            (ppm as f64 * 0.0254).round() as u32
        }
        Kind::Jpeg => {
            if data.get(6..11)? != b"JFIF\0" {
                return None;
            }
            let units = *data.get(13)?;
            let x = u16::from_be_bytes([*data.get(14)?, *data.get(15)?]) as u32;
            match units {
                1 => x,
                2 => (x as f64 * 2.54).round() as u32,
                _ => return None,
            }
        }
        _ => return None,
    };
    (50..=2400).contains(&dpi).then_some(dpi)
}
