//! One error type for the whole core. Bindings map each variant to a Python exception of
//! `ocrdesk.errors`.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    #[error("unsupported file type: {0}")]
    UnsupportedFormat(String),
    #[error("invalid document: {0}")]
    InvalidDocument(String),
    #[error("encrypted PDF: it needs a password to open")]
    Encrypted,
    #[error("document too large: {0}")]
    TooLarge(String),
    #[error("language not available: {0}")]
    LanguageNotAvailable(String),
    #[error("unknown export format {0:?}; accepted: {1}")]
    ExportFormat(String, String),
    #[error("OCR engine error: {0}")]
    Engine(String),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
