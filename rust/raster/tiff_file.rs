//! TIFF, every page (the `image` crate reads only the first), including fax G3/G4.

use std::io::Cursor;

use tiff::decoder::{Decoder, DecodingResult, Limits as TiffLimits};
use tiff::tags::Tag;
use tiff::ColorType;

use super::{Gray, Limits};
use crate::error::{Error, Result};

fn invalid(e: tiff::TiffError) -> Error {
    match e {
        tiff::TiffError::LimitsExceeded => Error::TooLarge("TIFF page exceeds the decoder limits".into()),
        tiff::TiffError::UnsupportedError(u) => Error::UnsupportedFormat(format!("TIFF feature not supported: {u}")),
        other => Error::InvalidDocument(format!("cannot decode TIFF: {other}")),
    }
}

pub struct TiffPages<'a> {
    decoder: Decoder<Cursor<&'a [u8]>>,
    limits: Limits,
    next: u32,
    done: bool,
}

impl<'a> TiffPages<'a> {
    pub fn open(data: &'a [u8], limits: &Limits) -> Result<Self> {
        let mut tl = TiffLimits::default();
        tl.decoding_buffer_size = limits.max_alloc() as usize;
        tl.intermediate_buffer_size = limits.max_alloc() as usize;
        let decoder = Decoder::new(Cursor::new(data)).map_err(invalid)?.with_limits(tl);
        Ok(TiffPages { decoder, limits: *limits, next: 1, done: false })
    }

    /// Count pages by walking the IFD chain, without decoding pixels.
    pub fn count(data: &[u8], limits: &Limits) -> Result<usize> {
        let mut d = Decoder::new(Cursor::new(data)).map_err(invalid)?;
        let mut n = 1usize;
        while d.more_images() {
            d.next_image().map_err(invalid)?;
            n += 1;
            if n > limits.max_pages as usize {
                break;
            }
        }
        Ok(n)
    }

    /// Next page as grayscale with its resolution, or None after the last.
    pub fn next_page(&mut self) -> Result<Option<(Gray, Option<u32>)>> {
        if self.done {
            return Ok(None);
        }
        if self.next > 1 {
            if !self.decoder.more_images() {
                self.done = true;
                return Ok(None);
            }
            self.decoder.next_image().map_err(invalid)?;
        }
        let page = self.next;
        self.next += 1;
        let (w, h) = self.decoder.dimensions().map_err(invalid)?;
        self.limits.check_pixels(page, w as u64, h as u64)?;
        let dpi = self.dpi();
        let color = self.decoder.colortype().map_err(invalid)?;
        let white_is_zero =
            self.decoder.find_tag_unsigned::<u16>(Tag::PhotometricInterpretation).ok().flatten() == Some(0);
        let img = self.decoder.read_image().map_err(invalid)?;
        let gray = convert(img, color, w, h, white_is_zero)?;
        Ok(Some((gray, dpi)))
    }

    fn dpi(&mut self) -> Option<u32> {
        let v = self.decoder.find_tag(Tag::XResolution).ok().flatten()?;
        let x = match v {
            tiff::decoder::ifd::Value::Rational(n, d) if d != 0 => n as f64 / d as f64,
            other => other.into_f64().ok()?,
        };
        let unit = self.decoder.find_tag_unsigned::<u16>(Tag::ResolutionUnit).ok().flatten().unwrap_or(2);
        let dpi = if unit == 3 { x * 2.54 } else { x };
        let dpi = dpi.round() as u32;
        (50..=2400).contains(&dpi).then_some(dpi)
    }
}

fn convert(img: DecodingResult, color: ColorType, w: u32, h: u32, white_is_zero: bool) -> Result<Gray> {
    let (wu, hu) = (w as usize, h as usize);
    let mut data = match (img, color) {
        (DecodingResult::U8(buf), ColorType::Gray(1)) => {
            let stride = wu.div_ceil(8);
            if buf.len() < stride * hu {
                return Err(Error::InvalidDocument("TIFF page data is truncated".into()));
            }
            let mut out = Vec::with_capacity(wu * hu);
            for y in 0..hu {
                let row = &buf[y * stride..(y + 1) * stride];
                for x in 0..wu {
                    let bit = (row[x >> 3] >> (7 - (x & 7))) & 1;
                    out.push(if bit == 1 { 255 } else { 0 });
                }
            }
            out
        }
        (DecodingResult::U8(buf), ColorType::Gray(8)) => buf,
        (DecodingResult::U16(buf), ColorType::Gray(16)) => buf.iter().map(|v| (v >> 8) as u8).collect(),
        (DecodingResult::U8(buf), ColorType::RGB(8)) => rgb_to_gray(&buf, 3),
        (DecodingResult::U8(buf), ColorType::RGBA(8)) => rgb_to_gray(&buf, 4),
        (DecodingResult::U8(buf), ColorType::GrayA(8)) => buf.chunks_exact(2).map(|p| p[0]).collect(),
        (DecodingResult::U16(buf), ColorType::RGB(16)) => {
            let b8: Vec<u8> = buf.iter().map(|v| (v >> 8) as u8).collect();
            rgb_to_gray(&b8, 3)
        }
        (_, other) => return Err(Error::UnsupportedFormat(format!("TIFF colour type {other:?} is not supported"))),
    };
    if data.len() < wu * hu {
        return Err(Error::InvalidDocument("TIFF page data is truncated".into()));
    }
    data.truncate(wu * hu);
    if white_is_zero {
        data.iter_mut().for_each(|p| *p = 255 - *p);
    }
    Ok(Gray { width: w, height: h, data })
}

fn rgb_to_gray(buf: &[u8], channels: usize) -> Vec<u8> {
    buf.chunks_exact(channels)
        .map(|p| ((p[0] as u32 * 299 + p[1] as u32 * 587 + p[2] as u32 * 114) / 1000) as u8)
        .collect()
}
