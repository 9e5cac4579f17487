//! Python bindings: owned inputs in, GIL released while Rust works, owned results out.

mod errors;
mod exports;
mod types;

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::PyBytes;

use crate::ocr::{self as core_ocr, Mode, Options};
use crate::raster::{self, Limits};
use errors::to_pyerr;
use types::{Block, Document, Line, Page, Word};

fn options(
    lang: String,
    mode: &str,
    dpi: u32,
    max_file_size: u64,
    max_pages: u32,
    max_megapixels: f64,
) -> PyResult<Options> {
    let mode: Mode = mode.parse().map_err(to_pyerr)?;
    Ok(Options { lang, mode, dpi, limits: Limits { max_file_size, max_pages, max_megapixels } })
}

/// OCR one document given as bytes.
#[pyfunction]
#[pyo3(signature = (data, lang="eng".to_string(), mode="auto", dpi=300, max_file_size=50*1024*1024, max_pages=2000, max_megapixels=100.0))]
fn ocr(
    py: Python<'_>,
    data: PyBackedBytes,
    lang: String,
    mode: &str,
    dpi: u32,
    max_file_size: u64,
    max_pages: u32,
    max_megapixels: f64,
) -> PyResult<Document> {
    let opts = options(lang, mode, dpi, max_file_size, max_pages, max_megapixels)?;
    let doc = py.detach(|| core_ocr::read(&data, &opts)).map_err(to_pyerr)?;
    Ok(Document::new(doc))
}

/// OCR several documents at once; each item is a Document or the exception it raised.
#[pyfunction]
#[pyo3(signature = (datas, lang="eng".to_string(), mode="auto", dpi=300, max_file_size=50*1024*1024, max_pages=2000, max_megapixels=100.0))]
fn ocr_many(
    py: Python<'_>,
    datas: Vec<PyBackedBytes>,
    lang: String,
    mode: &str,
    dpi: u32,
    max_file_size: u64,
    max_pages: u32,
    max_megapixels: f64,
) -> PyResult<Vec<Py<PyAny>>> {
    let opts = options(lang, mode, dpi, max_file_size, max_pages, max_megapixels)?;
    let results = py.detach(|| {
        let slices: Vec<&[u8]> = datas.iter().map(|d| d.as_ref()).collect();
        core_ocr::read_many(&slices, &opts)
    });
    results
        .into_iter()
        .map(|r| match r {
            Ok(doc) => Ok(Py::new(py, Document::new(doc))?.into_any()),
            Err(e) => Ok(to_pyerr(e).into_value(py).into_any()),
        })
        .collect()
}

/// Render PDF pages (all, or `first..=last`, 1-based) to 8-bit grayscale at `dpi`:
/// a list of (width, height, pixels).
#[pyfunction]
#[pyo3(signature = (data, dpi=300, first=None, last=None))]
fn rasterize(
    py: Python<'_>,
    data: PyBackedBytes,
    dpi: u32,
    first: Option<u32>,
    last: Option<u32>,
) -> PyResult<Vec<(u32, u32, Py<PyBytes>)>> {
    let pages = py
        .detach(|| crate::raster::pdf::render_range(&data, dpi, first, last, &Limits::default()))
        .map_err(to_pyerr)?;
    Ok(pages.into_iter().map(|g| (g.width, g.height, PyBytes::new(py, &g.data).unbind())).collect())
}

/// MIME type sniffed from the bytes, or None for an unsupported type.
#[pyfunction]
fn sniff(data: &[u8]) -> Option<&'static str> {
    raster::sniff(data).map(|k| k.mime())
}

#[pyfunction]
fn set_pdfium_path(path: PathBuf) {
    raster::pdf::set_library_path(path);
}

/// Set the number of OCR threads (default: CPU count).
#[pyfunction]
fn configure(threads: usize) {
    core_ocr::pool::configure(threads);
}

#[pyfunction]
fn threads() -> usize {
    core_ocr::pool::default_threads()
}

/// Stop the OCR threads and end their Tesseract engines.
#[pyfunction]
fn shutdown(py: Python<'_>) {
    py.detach(core_ocr::pool::shutdown);
}

/// Store files under their sha256 below `root` (see `blobstore`), on up to `threads` threads. Each file is given
/// as (chunks, start, end): the bytes `start..end` of its chunks joined, so a file that is a
/// slice of a request body already in memory is stored without a copy. One result per file,
/// in order, each (sha256, created) or the OSError that file met.
#[pyfunction]
#[pyo3(signature = (root, tmp_dir, files, threads=4))]
fn store_blobs(
    py: Python<'_>,
    root: PathBuf,
    tmp_dir: PathBuf,
    files: Vec<(Vec<PyBackedBytes>, usize, usize)>,
    threads: usize,
) -> PyResult<Vec<Py<PyAny>>> {
    let slices: Vec<Vec<&[u8]>> = files.iter().map(|(chunks, start, end)| span(chunks, *start, *end)).collect();
    let results = py.detach(|| crate::blobstore::store_many(&root, &tmp_dir, &slices, threads));
    results
        .into_iter()
        .map(|result| match result {
            Ok(stored) => Ok((stored.sha256, stored.created).into_pyobject(py)?.into_any().unbind()),
            Err(err) => Ok(PyErr::from(err).into_value(py).into_any()),
        })
        .collect()
}

/// The parts of `chunks` (joined) that fall in `start..end`, without copying.
fn span(chunks: &[PyBackedBytes], start: usize, end: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut at = 0;
    for chunk in chunks {
        let bytes: &[u8] = chunk;
        let (from, to) = (start.max(at), end.min(at + bytes.len()));
        if from < to {
            out.push(&bytes[from - at..to - at]);
        }
        at += bytes.len();
    }
    out
}

/// The parts of a whole multipart/form-data body in its plain shape, each as (name,
/// filename, content type, start, end); None for anything else (see `multipart`). Quick
/// enough not to release the GIL.
#[pyfunction]
fn parse_form(
    body: &[u8],
    boundary: &str,
    max_parts: usize,
) -> Option<Vec<(String, Option<String>, Option<String>, usize, usize)>> {
    let parts = crate::multipart::parse(body, boundary.as_bytes(), max_parts)?;
    Some(parts.into_iter().map(|p| (p.name, p.filename, p.content_type, p.content.start, p.content.end)).collect())
}

#[pyfunction]
fn tessdata_dir() -> PathBuf {
    core_ocr::engine::tessdata_dir()
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(ocr, m)?)?;
    m.add_function(wrap_pyfunction!(ocr_many, m)?)?;
    m.add_function(wrap_pyfunction!(rasterize, m)?)?;
    m.add_function(wrap_pyfunction!(sniff, m)?)?;
    m.add_function(wrap_pyfunction!(set_pdfium_path, m)?)?;
    m.add_function(wrap_pyfunction!(configure, m)?)?;
    m.add_function(wrap_pyfunction!(threads, m)?)?;
    m.add_function(wrap_pyfunction!(shutdown, m)?)?;
    m.add_function(wrap_pyfunction!(tessdata_dir, m)?)?;
    m.add_function(wrap_pyfunction!(store_blobs, m)?)?;
    m.add_function(wrap_pyfunction!(parse_form, m)?)?;
    m.add_class::<Document>()?;
    m.add_class::<Page>()?;
    m.add_class::<Block>()?;
    m.add_class::<Line>()?;
    m.add_class::<Word>()?;
    m.add_function(wrap_pyfunction!(exports::export_result, m)?)?;
    m.add_function(wrap_pyfunction!(exports::document_from_json, m)?)?;
    m.add_class::<exports::BatchWriter>()?;
    m.add("EXPORT_FORMATS", crate::export::result::RESULT_FORMATS.to_vec())?;
    m.add("BATCH_FORMATS", crate::export::result::batch::BATCH_FORMATS.to_vec())?;
    Ok(())
}
