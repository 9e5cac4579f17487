//! The OCR worker pool: one thread per core, each owning its Tesseract engines (one per
//! language string, created on first use and shut down with the thread). Jobs come through
//! one bounded queue, so a document that renders faster than it is read waits instead of
//! piling bitmaps up in memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Receiver, Sender};

use super::engine::{Engine, Osd};
use crate::error::{Error, Result};
use crate::model::{Block, Page, Source};
use crate::raster::Gray;

pub struct Job {
    pub number: u32,
    pub image: Gray,
    pub dpi: u32,
    pub lang: Arc<str>,
    pub cancel: Arc<AtomicBool>,
    pub reply: Sender<(u32, Result<Page>)>,
}

enum Msg {
    Job(Box<Job>),
    Stop,
}

pub struct Pool {
    tx: Sender<Msg>,
    /// Kept to answer jobs still queued when the pool shuts down.
    rx: Receiver<Msg>,
    closed: AtomicBool,
    threads: usize,
    handles: Mutex<Vec<JoinHandle<()>>>,
}

static POOL: Mutex<Option<Arc<Pool>>> = Mutex::new(None);
static THREADS: Mutex<Option<usize>> = Mutex::new(None);

/// Threads the pool uses: set by `configure`, else `OCRDESK_THREADS`, else the CPU count.
pub fn default_threads() -> usize {
    if let Some(n) = *THREADS.lock().unwrap_or_else(|e| e.into_inner()) {
        return n;
    }
    std::env::var("OCRDESK_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
}

/// Set the number of OCR threads; an existing pool of another size is shut down first.
pub fn configure(threads: usize) {
    let threads = threads.max(1);
    *THREADS.lock().unwrap_or_else(|e| e.into_inner()) = Some(threads);
    let current = POOL.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map(|p| p.threads);
    if current.is_some_and(|n| n != threads) {
        shutdown();
    }
}

pub fn get() -> Arc<Pool> {
    let mut guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = guard.as_ref() {
        return p.clone();
    }
    let threads = default_threads();
    let (tx, rx) = bounded::<Msg>(threads * 2);
    let handles = (0..threads)
        .map(|i| {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("ocrdesk-ocr-{i}"))
                .spawn(move || worker(rx))
                .expect("spawn OCR thread")
        })
        .collect();
    let pool = Arc::new(Pool { tx, rx, closed: AtomicBool::new(false), threads, handles: Mutex::new(handles) });
    *guard = Some(pool.clone());
    pool
}

/// Stop the pool's threads (their engines end with them). The next OCR starts a new pool.
pub fn shutdown() {
    let pool = POOL.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(pool) = pool {
        pool.closed.store(true, Ordering::SeqCst);
        for _ in 0..pool.threads {
            let _ = pool.tx.send(Msg::Stop);
        }
        for h in pool.handles.lock().unwrap_or_else(|e| e.into_inner()).drain(..) {
            let _ = h.join();
        }
        // pages queued behind the stop messages get an answer instead of waiting forever
        while let Ok(msg) = pool.rx.try_recv() {
            if let Msg::Job(job) = msg {
                let _ = job.reply.send((job.number, Err(Error::Engine("the OCR pool was shut down".into()))));
            }
        }
    }
}

impl Pool {
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Queue a page; blocks while the queue is full.
    pub fn submit(&self, job: Job) -> Result<()> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Error::Engine("the OCR pool has shut down".into()));
        }
        self.tx.send(Msg::Job(Box::new(job))).map_err(|_| Error::Engine("the OCR pool has shut down".into()))
    }
}

fn worker(rx: Receiver<Msg>) {
    let mut engines: HashMap<Arc<str>, Engine> = HashMap::new();
    let mut osd: Option<Option<Osd>> = None;
    while let Ok(msg) = rx.recv() {
        let job = match msg {
            Msg::Job(job) => job,
            Msg::Stop => break,
        };
        if job.cancel.load(Ordering::Relaxed) {
            let _ = job.reply.send((job.number, Err(Error::Engine("cancelled".into()))));
            continue;
        }
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_page(&mut engines, &mut osd, &job)))
            .unwrap_or_else(|_| Err(Error::Engine("internal error while reading a page".into())));
        if result.is_err() {
            job.cancel.store(true, Ordering::Relaxed);
        }
        let _ = job.reply.send((job.number, result));
    }
}

/// Sum of the confidences of the words OCR is fairly sure of: more readable text scores higher.
fn score(blocks: &[Block]) -> f32 {
    blocks
        .iter()
        .flat_map(|b| b.lines.iter())
        .flat_map(|l| l.words.iter())
        .filter(|w| w.confidence >= 50.0 && w.text.chars().any(|c| c.is_alphanumeric()))
        .map(|w| w.confidence)
        .sum()
}

fn mean_confidence(blocks: &[Block]) -> (usize, f32) {
    let words: Vec<f32> =
        blocks.iter().flat_map(|b| b.lines.iter()).flat_map(|l| l.words.iter()).map(|w| w.confidence).collect();
    let n = words.len();
    (n, if n == 0 { 0.0 } else { words.iter().sum::<f32>() / n as f32 })
}

/// OCR a page upright. The first pass reads it as it is; only a page that reads poorly
/// (few words or low confidence, as a turned page does) pays for orientation detection,
/// and the turned reading is kept only when it reads better.
fn read_page(engines: &mut HashMap<Arc<str>, Engine>, osd: &mut Option<Option<Osd>>, job: &Job) -> Result<Page> {
    if !engines.contains_key(&job.lang) {
        engines.insert(job.lang.clone(), Engine::new(&job.lang)?);
    }
    let engine = engines.get_mut(&job.lang).expect("engine just inserted");
    let mut blocks = engine.recognize(&job.image, job.dpi)?;
    let (mut width, mut height, mut rotation) = (job.image.width, job.image.height, 0u32);
    let (n, mean) = mean_confidence(&blocks);
    if n < 8 || mean < 75.0 {
        let detector = osd.get_or_insert_with(|| Osd::new().ok());
        if let Some(det) = detector.as_mut() {
            if let Some((deg, _conf)) = det.detect(&job.image, job.dpi) {
                if deg != 0 {
                    // OSD reports the text's counter-clockwise orientation; turn it back.
                    let turn = (360 - deg) % 360;
                    let turned = job.image.rotated_cw(turn);
                    let other = engine.recognize(&turned, job.dpi)?;
                    if score(&other) > score(&blocks) {
                        blocks = other;
                        width = turned.width;
                        height = turned.height;
                        rotation = turn;
                    }
                }
            }
        }
    }
    Ok(Page { number: job.number, width, height, dpi: job.dpi, source: Source::Ocr, rotation, blocks })
}
