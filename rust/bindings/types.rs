//! Read-only Python views of a Document. Pages, lines and words are built on access from
//! the shared Rust structure.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::errors::to_pyerr;
use crate::model;

type BBox = (u32, u32, u32, u32);

fn bbox(b: model::BBox) -> BBox {
    (b[0], b[1], b[2], b[3])
}

#[pyclass(frozen, module = "ocrdesk._core")]
pub struct Document {
    inner: Arc<model::Document>,
}

impl Document {
    pub fn new(doc: model::Document) -> Self {
        Document { inner: Arc::new(doc) }
    }

    pub fn arc(&self) -> Arc<model::Document> {
        self.inner.clone()
    }
}

#[pymethods]
impl Document {
    #[getter]
    fn pages(&self) -> Vec<Page> {
        (0..self.inner.pages.len()).map(|i| Page { doc: self.inner.clone(), index: i }).collect()
    }

    #[getter]
    fn text(&self) -> String {
        self.inner.text()
    }

    #[getter]
    fn lang(&self) -> &str {
        &self.inner.lang
    }

    #[getter]
    fn page_count(&self) -> usize {
        self.inner.pages.len()
    }

    /// The document in an export format (json, text, xml, html, csv, pdf, docx, hocr, alto,
    /// tsv), as bytes. `original` (the file's bytes) gives the searchable PDF its page images.
    #[pyo3(signature = (format, original=None))]
    fn export<'py>(
        &self,
        py: Python<'py>,
        format: &str,
        original: Option<pyo3::pybacked::PyBackedBytes>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let inner = self.inner.clone();
        let out = py
            .detach(move || crate::export::result::export_document(&inner, format, original.as_deref()))
            .map_err(to_pyerr)?;
        Ok(PyBytes::new(py, &out))
    }

    fn __len__(&self) -> usize {
        self.inner.pages.len()
    }

    fn __repr__(&self) -> String {
        format!("<Document pages={} lang={:?}>", self.inner.pages.len(), self.inner.lang)
    }
}

#[pyclass(frozen, module = "ocrdesk._core")]
pub struct Page {
    doc: Arc<model::Document>,
    index: usize,
}

impl Page {
    fn get(&self) -> &model::Page {
        &self.doc.pages[self.index]
    }
}

#[pymethods]
impl Page {
    #[getter]
    fn number(&self) -> u32 {
        self.get().number
    }
    #[getter]
    fn width(&self) -> u32 {
        self.get().width
    }
    #[getter]
    fn height(&self) -> u32 {
        self.get().height
    }
    #[getter]
    fn dpi(&self) -> u32 {
        self.get().dpi
    }
    #[getter]
    fn source(&self) -> &'static str {
        self.get().source.as_str()
    }
    #[getter]
    fn rotation(&self) -> u32 {
        self.get().rotation
    }
    #[getter]
    fn confidence(&self) -> f32 {
        self.get().confidence()
    }
    #[getter]
    fn text(&self) -> String {
        self.get().text()
    }
    #[getter]
    fn blocks(&self) -> Vec<Block> {
        self.get().blocks.iter().map(Block::from).collect()
    }
    #[getter]
    fn lines(&self) -> Vec<Line> {
        self.get().lines().map(Line::from).collect()
    }
    #[getter]
    fn words(&self) -> Vec<Word> {
        self.get().words().map(Word::from).collect()
    }
    fn __repr__(&self) -> String {
        let p = self.get();
        format!("<Page {} {}x{} source={} words={}>", p.number, p.width, p.height, p.source.as_str(), p.words().count())
    }
}

#[pyclass(frozen, get_all, module = "ocrdesk._core")]
pub struct Block {
    bbox: BBox,
    lines: Vec<Line>,
}

impl From<&model::Block> for Block {
    fn from(b: &model::Block) -> Self {
        Block { bbox: bbox(b.bbox), lines: b.lines.iter().map(Line::from).collect() }
    }
}

#[pymethods]
impl Block {
    #[getter]
    fn text(&self) -> String {
        self.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n")
    }
}

#[pyclass(frozen, get_all, module = "ocrdesk._core")]
#[derive(Clone)]
pub struct Line {
    bbox: BBox,
    text: String,
    words: Vec<Word>,
}

impl From<&model::Line> for Line {
    fn from(l: &model::Line) -> Self {
        Line { bbox: bbox(l.bbox), text: model::line_text(l), words: l.words.iter().map(Word::from).collect() }
    }
}

#[pyclass(frozen, get_all, module = "ocrdesk._core")]
#[derive(Clone)]
pub struct Word {
    text: String,
    bbox: BBox,
    confidence: f32,
}

impl From<&model::Word> for Word {
    fn from(w: &model::Word) -> Self {
        Word { text: w.text.clone(), bbox: bbox(w.bbox), confidence: w.confidence }
    }
}

#[pymethods]
impl Word {
    fn __repr__(&self) -> String {
        format!("<Word {:?} bbox={:?} confidence={:.1}>", self.text, self.bbox, self.confidence)
    }
}
