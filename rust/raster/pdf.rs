//! PDF pages through pdfium (bound at run time to the libpdfium the pinned pypdfium2 wheel
//! ships). pdfium is not thread-safe: every call happens under `PDFIUM_LOCK`, and callers
//! keep the lock only for one page at a time so OCR of other pages runs alongside.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock};

use pdfium_render::prelude::*;

use super::Gray;
use crate::error::{Error, Result};

static LIBRARY_PATH: Mutex<Option<PathBuf>> = Mutex::new(None);
static PDFIUM: OnceLock<std::result::Result<Pdfium, String>> = OnceLock::new();
static PDFIUM_LOCK: Mutex<()> = Mutex::new(());

/// Where libpdfium is; must be called before the first PDF (the Python package does it).
pub fn set_library_path(path: PathBuf) {
    *LIBRARY_PATH.lock().unwrap_or_else(|e| e.into_inner()) = Some(path);
}

fn library_path() -> Option<PathBuf> {
    if let Some(p) = LIBRARY_PATH.lock().unwrap_or_else(|e| e.into_inner()).clone() {
        return Some(p);
    }
    std::env::var_os("OCRDESK_PDFIUM").map(PathBuf::from)
}

pub fn pdfium() -> Result<&'static Pdfium> {
    let bound = PDFIUM.get_or_init(|| {
        let path = library_path()
            .ok_or_else(|| "libpdfium location is not set (install pypdfium2 or set OCRDESK_PDFIUM)".to_string())?;
        let bindings = Pdfium::bind_to_library(&path).map_err(|e| format!("cannot load {}: {e}", path.display()))?;
        Ok(Pdfium::new(bindings))
    });
    bound.as_ref().map_err(|e| Error::Engine(e.clone()))
}

/// The lock every pdfium call is made under.
pub fn lock() -> MutexGuard<'static, ()> {
    PDFIUM_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn map_error(e: PdfiumError) -> Error {
    match e {
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::PasswordError) => Error::Encrypted,
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::SecurityError) => Error::Encrypted,
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::FormatError) => {
            Error::InvalidDocument("not a readable PDF (corrupt or truncated)".into())
        }
        other => Error::InvalidDocument(format!("cannot read PDF: {other:?}")),
    }
}

/// Render settings for one page at `dpi`, grayscale, no anti-aliasing tricks that hurt OCR.
pub fn render_config(dpi: u32) -> PdfRenderConfig {
    PdfRenderConfig::new()
        .scale_page_by_factor(dpi as f32 / 72.0)
        .set_format(PdfBitmapFormat::Gray)
        .use_grayscale_rendering(true)
        // pdfium draws nothing into a gray bitmap with FPDF_REVERSE_BYTE_ORDER set (which
        // pdfium-render sets by default for RGB output)
        .set_reverse_byte_order(false)
        .render_form_data(true)
        .render_annotations(true)
}

/// Pixel size of a page at `dpi` (after the page's own /Rotate).
pub fn pixel_size(page: &PdfPage, dpi: u32) -> (u64, u64) {
    let scale = dpi as f64 / 72.0;
    let (w, h) = (page.width().value as f64 * scale, page.height().value as f64 * scale);
    (w.round().max(0.0) as u64, h.round().max(0.0) as u64)
}

/// Render a page to an 8-bit grayscale bitmap. The caller holds `lock()`.
pub fn render(page: &PdfPage, dpi: u32) -> Result<Gray> {
    let bitmap = page.render_with_config(&render_config(dpi)).map_err(map_error)?;
    let (w, h) = (bitmap.width() as usize, bitmap.height() as usize);
    let raw = bitmap.as_raw_bytes();
    if h == 0 || w == 0 {
        return Err(Error::InvalidDocument("page renders to an empty bitmap".into()));
    }
    let stride = raw.len() / h;
    let data = if stride == w {
        raw
    } else {
        let mut out = Vec::with_capacity(w * h);
        for row in raw.chunks_exact(stride) {
            out.extend_from_slice(&row[..w]);
        }
        out
    };
    Ok(Gray { width: w as u32, height: h as u32, data })
}

/// Render pages `first..=last` (1-based, inclusive; all by default) of a PDF.
pub fn render_range(
    data: &[u8],
    dpi: u32,
    first: Option<u32>,
    last: Option<u32>,
    limits: &super::Limits,
) -> Result<Vec<Gray>> {
    limits.check_file(data.len())?;
    crate::ocr::check_dpi(dpi)?;
    let pdfium = pdfium()?;
    let _g = lock();
    let doc = pdfium.load_pdf_from_byte_slice(data, None).map_err(map_error)?;
    let count = doc.pages().len().max(0) as u32;
    let first = first.unwrap_or(1).max(1);
    let last = last.unwrap_or(count).min(count);
    let mut out = Vec::new();
    for n in first..=last {
        let page = doc.pages().get(n as i32 - 1).map_err(map_error)?;
        let (w, h) = pixel_size(&page, dpi);
        limits.check_pixels(n, w, h)?;
        out.push(render(&page, dpi)?);
    }
    Ok(out)
}
