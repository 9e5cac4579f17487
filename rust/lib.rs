//! ocrdesk core: rasterisation (pdfium, image, tiff), Tesseract OCR, PDF text layers,
//! export writers and the server's content-addressed file store. Pure Rust; pyo3 appears only in `bindings`.

pub mod blobstore;
pub mod error;
pub mod export;
pub mod model;
pub mod multipart;
pub mod ocr;
pub mod raster;
pub mod textlayer;

#[cfg(feature = "python")]
mod bindings;
