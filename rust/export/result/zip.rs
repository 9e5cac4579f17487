//! A small streaming ZIP writer (deflate, UTF-8 names) for DOCX packages: whole entries,
//! and one entry at a time written in pieces (sizes in a data descriptor), so a batch's
//! document streams out with bounded memory.

use std::io::Write;

use flate2::write::DeflateEncoder;
use flate2::Compression;

struct Entry {
    name: String,
    crc: u32,
    compressed: u64,
    size: u64,
    offset: u64,
    streamed: bool,
}

struct Open {
    name: String,
    offset: u64,
    crc: crc32fast::Hasher,
    size: u64,
    compressed: u64,
    encoder: DeflateEncoder<Vec<u8>>,
}

pub(crate) struct ZipWriter {
    written: u64,
    entries: Vec<Entry>,
    open: Option<Open>,
}

const FLAG_UTF8: u16 = 1 << 11;
const FLAG_DESCRIPTOR: u16 = 1 << 3;
const DEFLATE: u16 = 8;
// 1980-01-01 00:00 in DOS format.
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;

fn u16le(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn u32le(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

impl ZipWriter {
    pub fn new() -> ZipWriter {
        ZipWriter { written: 0, entries: Vec::new(), open: None }
    }

    fn local_header(out: &mut Vec<u8>, name: &str, flags: u16, crc: u32, compressed: u32, size: u32) {
        u32le(out, 0x04034b50);
        u16le(out, 20);
        u16le(out, flags);
        u16le(out, DEFLATE);
        u16le(out, DOS_TIME);
        u16le(out, DOS_DATE);
        u32le(out, crc);
        u32le(out, compressed);
        u32le(out, size);
        u16le(out, name.len() as u16);
        u16le(out, 0);
        out.extend_from_slice(name.as_bytes());
    }

    /// A whole entry; returns the bytes to append to the archive.
    pub fn file(&mut self, name: &str, data: &[u8]) -> Vec<u8> {
        let mut enc = DeflateEncoder::new(Vec::with_capacity(data.len() / 3 + 64), Compression::fast());
        let _ = enc.write_all(data);
        let compressed = enc.finish().unwrap_or_default();
        let crc = crc32fast::hash(data);
        let mut out = Vec::with_capacity(compressed.len() + 64);
        Self::local_header(&mut out, name, FLAG_UTF8, crc, compressed.len() as u32, data.len() as u32);
        out.extend_from_slice(&compressed);
        self.entries.push(Entry {
            name: name.to_owned(),
            crc,
            compressed: compressed.len() as u64,
            size: data.len() as u64,
            offset: self.written,
            streamed: false,
        });
        self.written += out.len() as u64;
        out
    }

    /// Starts an entry written in pieces with [`ZipWriter::write`].
    pub fn begin(&mut self, name: &str) -> Vec<u8> {
        let mut out = Vec::new();
        Self::local_header(&mut out, name, FLAG_UTF8 | FLAG_DESCRIPTOR, 0, 0, 0);
        self.open = Some(Open {
            name: name.to_owned(),
            offset: self.written,
            crc: crc32fast::Hasher::new(),
            size: 0,
            compressed: 0,
            encoder: DeflateEncoder::new(Vec::new(), Compression::fast()),
        });
        self.written += out.len() as u64;
        out
    }

    pub fn write(&mut self, data: &[u8]) -> Vec<u8> {
        let Some(open) = self.open.as_mut() else { return Vec::new() };
        open.crc.update(data);
        open.size += data.len() as u64;
        let _ = open.encoder.write_all(data);
        let out = std::mem::take(open.encoder.get_mut());
        open.compressed += out.len() as u64;
        self.written += out.len() as u64;
        out
    }

    pub fn end(&mut self) -> Vec<u8> {
        let Some(open) = self.open.take() else { return Vec::new() };
        let mut out = open.encoder.finish().unwrap_or_default();
        let compressed = open.compressed + out.len() as u64;
        let crc = open.crc.finalize();
        u32le(&mut out, 0x08074b50);
        u32le(&mut out, crc);
        u32le(&mut out, compressed as u32);
        u32le(&mut out, open.size as u32);
        self.entries.push(Entry {
            name: open.name,
            crc,
            compressed,
            size: open.size,
            offset: open.offset,
            streamed: true,
        });
        self.written += out.len() as u64;
        out
    }

    /// The central directory; the archive is complete after these bytes.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = self.end();
        let start = self.written;
        let mut dir = Vec::new();
        for e in &self.entries {
            u32le(&mut dir, 0x02014b50);
            u16le(&mut dir, 20);
            u16le(&mut dir, 20);
            u16le(&mut dir, if e.streamed { FLAG_UTF8 | FLAG_DESCRIPTOR } else { FLAG_UTF8 });
            u16le(&mut dir, DEFLATE);
            u16le(&mut dir, DOS_TIME);
            u16le(&mut dir, DOS_DATE);
            u32le(&mut dir, e.crc);
            u32le(&mut dir, e.compressed as u32);
            u32le(&mut dir, e.size as u32);
            u16le(&mut dir, e.name.len() as u16);
            u16le(&mut dir, 0);
            u16le(&mut dir, 0);
            u16le(&mut dir, 0);
            u16le(&mut dir, 0);
            u32le(&mut dir, 0);
            u32le(&mut dir, e.offset as u32);
            dir.extend_from_slice(e.name.as_bytes());
        }
        let dir_len = dir.len() as u32;
        u32le(&mut dir, 0x06054b50);
        u16le(&mut dir, 0);
        u16le(&mut dir, 0);
        u16le(&mut dir, self.entries.len() as u16);
        u16le(&mut dir, self.entries.len() as u16);
        u32le(&mut dir, dir_len);
        u32le(&mut dir, start as u32);
        u16le(&mut dir, 0);
        out.extend_from_slice(&dir);
        self.written += dir.len() as u64;
        out
    }
}
