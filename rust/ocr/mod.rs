//! Document -> pages of words. The calling thread reads the file page by page (rendering
//! PDF pages under the pdfium lock, reading text layers directly); pages that need OCR go
//! to the worker pool and come back in any order.

pub mod engine;
pub mod pool;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use crossbeam_channel::{unbounded, Receiver, Sender};

use crate::error::{Error, Result};
use crate::model::{Document, Page, Source};
use crate::raster::{self, image_file, pdf, tiff_file::TiffPages, Gray, Kind, Limits};
use crate::textlayer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A PDF page's own usable text layer is read; other pages are OCRed.
    Auto,
    /// Every page is OCRed.
    Ocr,
    /// Nothing is OCRed: pages without a usable text layer come back empty.
    Text,
}

impl std::str::FromStr for Mode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Mode> {
        match s {
            "auto" => Ok(Mode::Auto),
            "ocr" => Ok(Mode::Ocr),
            "text" => Ok(Mode::Text),
            other => Err(Error::InvalidDocument(format!("mode must be auto, ocr or text, not {other:?}"))),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub lang: String,
    pub mode: Mode,
    pub dpi: u32,
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Options { lang: "eng".into(), mode: Mode::Auto, dpi: 300, limits: Limits::default() }
    }
}

/// Collects a document's pages as they come back from the pool.
struct Collector {
    pages: Vec<Option<Page>>,
    pending: usize,
    cancel: Arc<AtomicBool>,
    tx: Sender<(u32, Result<Page>)>,
    rx: Receiver<(u32, Result<Page>)>,
    lang: Arc<str>,
    dpi: u32,
    pool: Arc<pool::Pool>,
    first_error: Option<Error>,
}

impl Collector {
    fn new(opts: &Options) -> Collector {
        let (tx, rx) = unbounded();
        Collector {
            pages: Vec::new(),
            pending: 0,
            cancel: Arc::new(AtomicBool::new(false)),
            tx,
            rx,
            lang: Arc::from(opts.lang.as_str()),
            dpi: opts.dpi,
            pool: pool::get(),
            first_error: None,
        }
    }

    fn slot(&mut self, number: u32) -> &mut Option<Page> {
        let i = number as usize - 1;
        if self.pages.len() <= i {
            self.pages.resize_with(i + 1, || None);
        }
        &mut self.pages[i]
    }

    fn done(&mut self, page: Page) {
        let n = page.number;
        *self.slot(n) = Some(page);
    }

    fn ocr(&mut self, number: u32, image: Gray, dpi: u32) -> Result<()> {
        self.slot(number);
        self.drain_ready();
        if self.cancel.load(Ordering::Relaxed) {
            return Err(self.first_error.take().unwrap_or_else(|| Error::Engine("OCR failed".into())));
        }
        let job = pool::Job {
            number,
            image,
            dpi,
            lang: self.lang.clone(),
            cancel: self.cancel.clone(),
            reply: self.tx.clone(),
        };
        self.pool.submit(job)?;
        self.pending += 1;
        Ok(())
    }

    fn take(&mut self, (number, result): (u32, Result<Page>)) {
        self.pending -= 1;
        match result {
            Ok(page) => *self.slot(number) = Some(page),
            Err(e) => {
                if self.first_error.is_none() {
                    self.first_error = Some(e);
                }
            }
        }
    }

    fn drain_ready(&mut self) {
        while let Ok(r) = self.rx.try_recv() {
            self.take(r);
        }
    }

    fn finish(mut self, lang: &str) -> Result<Document> {
        while self.pending > 0 {
            match self.rx.recv() {
                Ok(r) => self.take(r),
                Err(_) => break,
            }
        }
        if let Some(e) = self.first_error.take() {
            return Err(e);
        }
        let pages: Vec<Page> = self.pages.into_iter().flatten().collect();
        let _ = self.dpi;
        Ok(Document { pages, lang: lang.to_string() })
    }

    /// Stop queued pages of this document from being read (after an error).
    fn abandon(self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

fn empty_page(number: u32, width: u32, height: u32, dpi: u32) -> Page {
    Page { number, width, height, dpi, source: Source::TextLayer, rotation: 0, blocks: Vec::new() }
}

pub fn check_dpi(dpi: u32) -> Result<()> {
    if !(30..=1200).contains(&dpi) {
        return Err(Error::InvalidDocument(format!("dpi must be between 30 and 1200, not {dpi}")));
    }
    Ok(())
}

/// Read a whole document.
pub fn read(data: &[u8], opts: &Options) -> Result<Document> {
    opts.limits.check_file(data.len())?;
    check_dpi(opts.dpi)?;
    let kind = raster::sniff(data)
        .ok_or_else(|| Error::UnsupportedFormat("not a PDF, PNG, JPEG, TIFF, WebP, BMP or GIF file".into()))?;
    if opts.mode != Mode::Text {
        engine::validate_lang(&opts.lang)?;
    }
    let mut col = Collector::new(opts);
    let produced = match kind {
        Kind::Pdf => produce_pdf(data, opts, &mut col),
        Kind::Tiff => produce_tiff(data, opts, &mut col),
        _ => produce_image(data, kind, opts, &mut col),
    };
    match produced {
        Ok(()) => col.finish(&opts.lang),
        Err(e) => {
            col.abandon();
            Err(e)
        }
    }
}

/// Read several documents at once: each gets a producer thread, all share the OCR pool.
/// Results come back in input order, each its own success or error.
pub fn read_many(inputs: &[&[u8]], opts: &Options) -> Vec<Result<Document>> {
    let threads = pool::get().threads().min(inputs.len()).max(1);
    let next = AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Result<Document>>>> =
        inputs.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= inputs.len() {
                    break;
                }
                let r = read(inputs[i], opts);
                *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
            });
        }
    });
    results
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or_else(|| Err(Error::Engine("document was not read".into())))
        })
        .collect()
}

fn produce_image(data: &[u8], kind: Kind, opts: &Options, col: &mut Collector) -> Result<()> {
    let dpi = image_file::embedded_dpi(data, kind).unwrap_or(opts.dpi);
    let gray = image_file::decode(data, kind, &opts.limits)?;
    if opts.mode == Mode::Text {
        col.done(empty_page(1, gray.width, gray.height, dpi));
        return Ok(());
    }
    col.ocr(1, gray, dpi)
}

fn produce_tiff(data: &[u8], opts: &Options, col: &mut Collector) -> Result<()> {
    let count = TiffPages::count(data, &opts.limits)?;
    opts.limits.check_pages(count)?;
    let mut pages = TiffPages::open(data, &opts.limits)?;
    let mut number = 0u32;
    while let Some((gray, dpi)) = pages.next_page()? {
        number += 1;
        let dpi = dpi.unwrap_or(opts.dpi);
        if opts.mode == Mode::Text {
            col.done(empty_page(number, gray.width, gray.height, dpi));
        } else {
            col.ocr(number, gray, dpi)?;
        }
    }
    if number == 0 {
        return Err(Error::InvalidDocument("TIFF has no pages".into()));
    }
    Ok(())
}

enum PdfPageWork {
    Done(Page),
    Render(Gray),
}

fn produce_pdf(data: &[u8], opts: &Options, col: &mut Collector) -> Result<()> {
    let pdfium = pdf::pdfium()?;
    let doc = {
        let _g = pdf::lock();
        pdfium.load_pdf_from_byte_slice(data, None).map_err(pdf::map_error)?
    };
    let result = (|| -> Result<()> {
        let count = {
            let _g = pdf::lock();
            doc.pages().len().max(0) as usize
        };
        if count == 0 {
            return Err(Error::InvalidDocument("the PDF has no pages".into()));
        }
        opts.limits.check_pages(count)?;
        for i in 0..count {
            let number = i as u32 + 1;
            let work = {
                let _g = pdf::lock();
                let page = doc.pages().get(i as i32).map_err(pdf::map_error)?;
                let layer = if opts.mode == Mode::Ocr { None } else { textlayer::extract(&page, number, opts.dpi).1 };
                match (layer, opts.mode) {
                    (Some(p), _) => PdfPageWork::Done(p),
                    (None, Mode::Text) => {
                        let (w, h) = pdf::pixel_size(&page, opts.dpi);
                        PdfPageWork::Done(empty_page(number, w as u32, h as u32, opts.dpi))
                    }
                    (None, _) => {
                        let (w, h) = pdf::pixel_size(&page, opts.dpi);
                        opts.limits.check_pixels(number, w, h)?;
                        PdfPageWork::Render(pdf::render(&page, opts.dpi)?)
                    }
                }
            };
            match work {
                PdfPageWork::Done(p) => col.done(p),
                PdfPageWork::Render(g) => col.ocr(number, g, opts.dpi)?,
            }
        }
        Ok(())
    })();
    let _g = pdf::lock();
    drop(doc);
    result
}
