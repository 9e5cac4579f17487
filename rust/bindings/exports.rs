//! Result exports: one record (`export_result`) and a batch streamed record by record
//! (`BatchWriter`). Inputs are copied out of Python objects, then the GIL is released.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::PyBytes;

use super::errors::to_pyerr;
use super::types::Document as PyDocument;
use crate::export::result::{self, BatchRecord, Input};
use crate::model;

/// A document given as a `Document` or as the JSON of `Document.export("json")`.
pub fn document_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Arc<model::Document>>> {
    let Some(obj) = obj else { return Ok(None) };
    if obj.is_none() {
        return Ok(None);
    }
    if let Ok(doc) = obj.cast::<PyDocument>() {
        return Ok(Some(doc.get().arc()));
    }
    let data: PyBackedBytes = obj.extract()?;
    let py = obj.py();
    let doc = py.detach(|| result::document_from_json(&data)).map_err(to_pyerr)?;
    Ok(Some(Arc::new(doc)))
}

/// One record's processing result in `format`.
#[pyfunction]
#[pyo3(signature = (result, format, document=None, original=None, text=None, title=String::new()))]
pub fn export_result<'py>(
    py: Python<'py>,
    result: PyBackedBytes,
    format: &str,
    document: Option<&Bound<'py, PyAny>>,
    original: Option<PyBackedBytes>,
    text: Option<PyBackedStr>,
    title: String,
) -> PyResult<Bound<'py, PyBytes>> {
    let doc = document_arg(document)?;
    let out = py
        .detach(|| {
            let input = Input {
                result_json: &result,
                document: doc.as_deref(),
                text: text.as_deref(),
                original: original.as_deref(),
                title: &title,
            };
            result::export_result(&input, format)
        })
        .map_err(to_pyerr)?;
    Ok(PyBytes::new(py, &out))
}

/// Parses the JSON of `Document.export("json")` back into a Document.
#[pyfunction]
pub fn document_from_json(py: Python<'_>, data: PyBackedBytes) -> PyResult<PyDocument> {
    let doc = py.detach(|| result::document_from_json(&data)).map_err(to_pyerr)?;
    Ok(PyDocument::new(doc))
}

/// (id, uploadId, fileName, status, error, result JSON, text, document, original)
type RecordTuple<'py> = (
    PyBackedStr,
    PyBackedStr,
    PyBackedStr,
    PyBackedStr,
    Option<PyBackedStr>,
    Option<PyBackedBytes>,
    Option<PyBackedStr>,
    Option<Bound<'py, PyAny>>,
    Option<PyBackedBytes>,
);

/// A batch export written piece by piece: `head()`, `records([...])` as often as needed,
/// `finish()`. CSV needs `scan(result)` for every result before `head()`.
#[pyclass(module = "ocrdesk._core")]
pub struct BatchWriter {
    inner: result::BatchWriter,
}

#[pymethods]
impl BatchWriter {
    #[new]
    #[pyo3(signature = (format, title, batch=None))]
    fn new(format: &str, title: &str, batch: Option<PyBackedBytes>) -> PyResult<Self> {
        let batch = batch.as_deref().unwrap_or(b"null");
        Ok(BatchWriter { inner: result::BatchWriter::new(format, title, batch).map_err(to_pyerr)? })
    }

    #[getter]
    fn format(&self) -> &'static str {
        self.inner.format()
    }

    #[getter]
    fn needs_scan(&self) -> bool {
        self.inner.needs_scan()
    }

    #[getter]
    fn needs_files(&self) -> bool {
        self.inner.needs_files()
    }

    fn scan(&mut self, py: Python<'_>, results: Vec<Option<PyBackedBytes>>) -> PyResult<()> {
        let inner = &mut self.inner;
        py.detach(|| {
            let results: Vec<Option<&[u8]>> = results.iter().map(|r| r.as_deref()).collect();
            inner.scan_many(&results)
        })
        .map_err(to_pyerr)
    }

    fn head<'py>(&mut self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let out = self.inner.head();
        PyBytes::new(py, &out)
    }

    fn records<'py>(&mut self, py: Python<'py>, records: Vec<RecordTuple<'py>>) -> PyResult<Bound<'py, PyBytes>> {
        let mut docs = Vec::with_capacity(records.len());
        for r in &records {
            docs.push(document_arg(r.7.as_ref())?);
        }
        let plain: Vec<_> = records.iter().map(|r| (&r.0, &r.1, &r.2, &r.3, &r.4, &r.5, &r.6, &r.8)).collect();
        let inner = &mut self.inner;
        let out = py
            .detach(|| {
                let recs: Vec<BatchRecord> = plain
                    .iter()
                    .zip(&docs)
                    .map(|((id, upload_id, file_name, status, error, result_json, text, original), doc)| BatchRecord {
                        id,
                        upload_id,
                        file_name,
                        status,
                        error: error.as_deref(),
                        result_json: result_json.as_deref(),
                        text: text.as_deref(),
                        document: doc.as_deref(),
                        original: original.as_deref(),
                    })
                    .collect();
                inner.records(&recs)
            })
            .map_err(to_pyerr)?;
        Ok(PyBytes::new(py, &out))
    }

    fn finish<'py>(&mut self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let inner = &mut self.inner;
        let out = py.detach(|| inner.finish());
        PyBytes::new(py, &out)
    }
}
