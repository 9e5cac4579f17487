//! The one mapping from the core's Error to the exception classes Python owns.

use pyo3::prelude::*;

use crate::error::Error;

pyo3::import_exception!(ocrdesk.errors, UnsupportedFormatError);
pyo3::import_exception!(ocrdesk.errors, InvalidDocumentError);
pyo3::import_exception!(ocrdesk.errors, EncryptedDocumentError);
pyo3::import_exception!(ocrdesk.errors, DocumentTooLargeError);
pyo3::import_exception!(ocrdesk.errors, LanguageNotAvailableError);
pyo3::import_exception!(ocrdesk.errors, ExportFormatError);
pyo3::import_exception!(ocrdesk.errors, OcrEngineError);

pub fn to_pyerr(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::UnsupportedFormat(_) => UnsupportedFormatError::new_err(msg),
        Error::InvalidDocument(_) => InvalidDocumentError::new_err(msg),
        Error::Encrypted => EncryptedDocumentError::new_err(msg),
        Error::TooLarge(_) => DocumentTooLargeError::new_err(msg),
        Error::LanguageNotAvailable(_) => LanguageNotAvailableError::new_err(msg),
        Error::ExportFormat(..) => ExportFormatError::new_err(msg),
        Error::Engine(_) | Error::Io(_) => OcrEngineError::new_err(msg),
    }
}
