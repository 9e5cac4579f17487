//! ocrdesk core: rasterisation (pdfium, image, tiff), Tesseract OCR, PDF text layers and
//! export writers. Pure Rust; pyo3 appears only in `bindings`.

pub mod error;
pub mod export;
pub mod model;
pub mod ocr;
pub mod raster;
pub mod textlayer;

#[cfg(feature = "python")]
mod bindings;
