//! Content-addressed file storage: a blob lives at `<root>/<sha[0..2]>/<sha256>`.
//!
//! One call hashes the bytes, and either refreshes the modification time of a stored copy
//! (identical uploads share one file; retention spares recently uploaded files) or writes a
//! new file without a name in its shard folder (`O_TMPFILE`) and links it in under its hash,
//! so a reader never sees a partial file (a temp file in `tmp_dir` and a rename where that is
//! not available). The path comes only from the hash. The shard folder is created on first
//! need (the Python side creates all 256 with the store), so the common case costs no `mkdir`.
//! Groups of files are written side by side on a pool of threads kept for the process.

use std::alloc::{self, Layout};
use std::cell::RefCell;
use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, IoSlice, Write};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use sha2::{Digest, Sha256};

/// What [`store`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Lowercase hex sha256 of the bytes.
    pub sha256: String,
    /// False when an identical file was already stored.
    pub created: bool,
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Lowercase hex sha256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(digest: &[u8]) -> String {
    let mut out = String::with_capacity(64);
    for &byte in digest {
        out.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(byte & 0xf), 16).unwrap_or('0'));
    }
    out
}

/// Where the blob with this hash lives under `root`.
pub fn path_for(root: &Path, sha256: &str) -> PathBuf {
    root.join(&sha256[..2]).join(sha256)
}

/// Store the bytes of `chunks`, in order, under their sha256 below `root`: a file without a
/// name linked in, or where that is not available a temp file in `tmp_dir` (on the same file
/// system) renamed into place.
pub fn store<C: AsRef<[u8]>>(root: &Path, tmp_dir: &Path, chunks: &[C]) -> io::Result<Stored> {
    store_with(root, tmp_dir, chunks, TMPFILE_OK.load(Ordering::Relaxed))
}

/// [`store`], linking in a file without a name when `anonymous`, else through a temp file.
fn store_with<C: AsRef<[u8]>>(root: &Path, tmp_dir: &Path, chunks: &[C], anonymous: bool) -> io::Result<Stored> {
    let mut hasher = Sha256::new();
    for chunk in chunks {
        hasher.update(chunk.as_ref());
    }
    let sha256 = hex(&hasher.finalize());
    let target = path_for(root, &sha256);
    if touch(&target)? {
        return Ok(Stored { sha256, created: false });
    }
    if anonymous {
        match store_anonymous(&target, chunks) {
            Ok(created) => return Ok(Stored { sha256, created }),
            Err(err) if unsupported(&err) => TMPFILE_OK.store(false, Ordering::Relaxed),
            Err(err) => return Err(err),
        }
    }
    let tmp = tmp_dir.join(format!("in-{}-{}-r", std::process::id(), TMP_COUNTER.fetch_add(1, Ordering::Relaxed)));
    let written = write_new(&tmp, chunks).and_then(|()| match fs::rename(&tmp, &target) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            // The shard folder does not exist yet (the temp file does: we just wrote it).
            fs::create_dir_all(target.parent().unwrap_or(root))?;
            fs::rename(&tmp, &target)
        }
        other => other,
    });
    if let Err(err) = written {
        let _ = fs::remove_file(&tmp);
        return Err(err);
    }
    Ok(Stored { sha256, created: true })
}

/// Store several files, each given as its chunks, side by side on up to `threads` threads:
/// the calling one and threads kept for the process (direct writes wait on the disk; in
/// parallel they overlap). One result per file, in order.
pub fn store_many<C: AsRef<[u8]> + Sync>(
    root: &Path,
    tmp_dir: &Path,
    files: &[Vec<C>],
    threads: usize,
) -> Vec<io::Result<Stored>> {
    let threads = threads.clamp(1, files.len().max(1)).min(MAX_THREADS);
    let per_thread = files.len().div_ceil(threads).max(1);
    let mut results: Vec<Vec<io::Result<Stored>>> = Vec::new();
    results.resize_with(files.len().div_ceil(per_thread), Vec::new);
    let jobs: Vec<Box<dyn FnOnce() + Send + '_>> = files
        .chunks(per_thread)
        .zip(results.iter_mut())
        .map(|(part, out)| {
            Box::new(move || *out = part.iter().map(|chunks| store(root, tmp_dir, chunks)).collect()) as Box<_>
        })
        .collect();
    helpers::run_all(jobs);
    // A part whose thread panicked left its slot empty: each of its files gets an error.
    files
        .chunks(per_thread)
        .zip(results)
        .flat_map(|(part, done)| {
            if done.len() == part.len() {
                done
            } else {
                part.iter().map(|_| Err(io::Error::other("file store thread panicked"))).collect()
            }
        })
        .collect()
}

/// Most threads [`store_many`] writes on.
pub const MAX_THREADS: usize = 4;

/// Threads kept for the process that run jobs borrowing from their caller (starting threads
/// for every group of files costs more than writing a small file). An idle thread sleeps on
/// its queue rather than spinning: on a small machine the CPU is needed elsewhere.
mod helpers {
    use std::panic::{self, AssertUnwindSafe};
    use std::sync::OnceLock;

    use crossbeam_channel::{bounded, unbounded, Sender};

    type Job = Box<dyn FnOnce() + Send + 'static>;

    fn queue() -> Option<&'static Sender<Job>> {
        static QUEUE: OnceLock<Option<Sender<Job>>> = OnceLock::new();
        QUEUE
            .get_or_init(|| {
                let (tx, rx) = unbounded::<Job>();
                for i in 0..super::MAX_THREADS - 1 {
                    let rx = rx.clone();
                    let spawned = std::thread::Builder::new()
                        .name(format!("ocrdesk-store-{i}"))
                        .spawn(move || rx.iter().for_each(|job| job()));
                    if spawned.is_err() {
                        return None;
                    }
                }
                Some(tx)
            })
            .as_ref()
    }

    /// Run every job, the first on this thread and the others on the kept threads; returns
    /// once all have finished. A job that panics just ends (the caller sees what it left
    /// undone); the threads stay.
    pub fn run_all(mut jobs: Vec<Box<dyn FnOnce() + Send + '_>>) {
        if jobs.is_empty() {
            return;
        }
        let first = jobs.remove(0);
        let (done_tx, done_rx) = bounded::<()>(jobs.len());
        let mut handed = 0;
        let mut inline = Vec::new();
        for job in jobs {
            let done = done_tx.clone();
            let wrapped: Box<dyn FnOnce() + Send + '_> = Box::new(move || {
                let _ = panic::catch_unwind(AssertUnwindSafe(job));
                let _ = done.send(());
            });
            // SAFETY: the job borrows from our caller, and this function returns only once
            // every handed job has run (each sends on `done`, even when it panics) or has been
            // dropped unrun (its sender goes with it, ending the wait below): no borrow is
            // used after this function returns.
            let wrapped: Job = unsafe { std::mem::transmute::<Box<dyn FnOnce() + Send + '_>, Job>(wrapped) };
            match queue() {
                Some(queue) => match queue.send(wrapped) {
                    Ok(()) => handed += 1,
                    Err(unsent) => inline.push(unsent.into_inner()),
                },
                None => inline.push(wrapped),
            }
        }
        drop(done_tx);
        let _ = panic::catch_unwind(AssertUnwindSafe(first));
        for job in inline {
            job();
        }
        for _ in 0..handed {
            if done_rx.recv().is_err() {
                break; // every sender is gone: nothing is running any more
            }
        }
    }
}

/// Set the modification time of `path` to now; false when there is no such file.
fn touch(path: &Path) -> io::Result<bool> {
    let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: a valid NUL-terminated path; a null `times` means "now" for both stamps.
    let rc = unsafe { libc::utimensat(libc::AT_FDCWD, c_path.as_ptr(), std::ptr::null(), 0) };
    if rc == 0 {
        return Ok(true);
    }
    let err = io::Error::last_os_error();
    match err.kind() {
        io::ErrorKind::NotFound => Ok(false),
        _ if err.raw_os_error() == Some(libc::ENOTDIR) => Ok(false),
        _ => Err(err),
    }
}

/// A file without a name in the shard folder (`O_TMPFILE`), written, then linked in under
/// its final name: no temp name, no rename, nothing left behind by a crash, and creations
/// spread over the shard folders instead of queueing on one temp folder. True when this
/// call created the file, false when an identical upload linked it first.
fn store_anonymous<C: AsRef<[u8]>>(target: &Path, chunks: &[C]) -> io::Result<bool> {
    let dir = target.parent().ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
    let file = write_file(chunks, |direct| {
        let flags = libc::O_TMPFILE | if direct { libc::O_DIRECT } else { 0 };
        let open = || OpenOptions::new().write(true).mode(0o600).custom_flags(flags).open(dir);
        match open() {
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(dir)?;
                open()
            }
            other => other,
        }
    })?;
    let from = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd())).map_err(io::Error::other)?;
    let to = CString::new(target.as_os_str().as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: two valid NUL-terminated paths.
    let rc =
        unsafe { libc::linkat(libc::AT_FDCWD, from.as_ptr(), libc::AT_FDCWD, to.as_ptr(), libc::AT_SYMLINK_FOLLOW) };
    if rc == 0 {
        return Ok(true);
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EEXIST) => Ok(false),
        // No /proc: take the temp-file path from now on.
        Some(libc::ENOENT) => Err(io::Error::from_raw_os_error(libc::EOPNOTSUPP)),
        _ => Err(err),
    }
}

/// Errors that mean "this system cannot do that", not "this file failed".
fn unsupported(err: &io::Error) -> bool {
    matches!(err.raw_os_error(), Some(libc::EOPNOTSUPP | libc::EISDIR | libc::ENOSYS))
}

static TMPFILE_OK: AtomicBool = AtomicBool::new(true);

fn write_new<C: AsRef<[u8]>>(path: &Path, chunks: &[C]) -> io::Result<()> {
    write_file(chunks, |direct| {
        if !direct {
            let _ = fs::remove_file(path); // what a refused direct write left
        }
        let flags = if direct { libc::O_DIRECT } else { 0 };
        OpenOptions::new().write(true).create_new(true).mode(0o600).custom_flags(flags).open(path)
    })
    .map(drop)
}

/// A new file opened by `open(direct)` with `chunks` written to it: around the page cache
/// when the file system takes it (`O_DIRECT`; refused once with EINVAL, never asked again),
/// else buffered.
fn write_file<C: AsRef<[u8]>>(chunks: &[C], open: impl Fn(bool) -> io::Result<File>) -> io::Result<File> {
    let len: usize = chunks.iter().map(|c| c.as_ref().len()).sum();
    if DIRECT_OK.load(Ordering::Relaxed) && len <= MAX_DIRECT {
        match open(true).and_then(|file| write_direct(&file, chunks, len).map(|()| file)) {
            Err(err) if err.raw_os_error() == Some(libc::EINVAL) => DIRECT_OK.store(false, Ordering::Relaxed),
            other => return other,
        }
    }
    let file = open(false)?;
    write_buffered(&file, chunks)?;
    Ok(file)
}

static DIRECT_OK: AtomicBool = AtomicBool::new(true);
const ALIGN: usize = 4096;

thread_local! {
    static ALIGNED: RefCell<AlignedBuf> = const { RefCell::new(AlignedBuf { ptr: std::ptr::null_mut(), cap: 0 }) };
}

/// A block-aligned buffer, kept per thread and reused, for O_DIRECT writes.
struct AlignedBuf {
    ptr: *mut u8,
    cap: usize,
}

impl AlignedBuf {
    fn reserve(&mut self, len: usize) -> &mut [u8] {
        if len > self.cap {
            self.free();
            let cap = len.next_multiple_of(1 << 20).max(1 << 20);
            let layout = Layout::from_size_align(cap, ALIGN).expect("aligned layout");
            // SAFETY: a non-zero size; a null result is handled below.
            let ptr = unsafe { alloc::alloc(layout) };
            if ptr.is_null() {
                alloc::handle_alloc_error(layout);
            }
            self.ptr = ptr;
            self.cap = cap;
        }
        // SAFETY: `ptr` points to `cap >= len` bytes owned by this buffer.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, len) }
    }

    fn free(&mut self) {
        if !self.ptr.is_null() {
            // SAFETY: allocated in `reserve` with this very layout.
            unsafe { alloc::dealloc(self.ptr, Layout::from_size_align_unchecked(self.cap, ALIGN)) };
            self.ptr = std::ptr::null_mut();
            self.cap = 0;
        }
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        self.free();
    }
}

/// Write around the page cache: an upload is written once and read once, by the OCR worker,
/// so caching its pages only costs memory (and, on virtual machines, fresh pages are slow).
/// The whole blocks go straight to the disk; the part of a last block after them is written
/// through the page cache (cutting a padded block back with a truncate would read it from
/// the disk first).
fn write_direct<C: AsRef<[u8]>>(file: &File, chunks: &[C], len: usize) -> io::Result<()> {
    let whole = len - len % ALIGN;
    ALIGNED.with_borrow_mut(|buf| {
        let block = buf.reserve(len);
        let mut at = 0;
        for chunk in chunks {
            let chunk = chunk.as_ref();
            block[at..at + chunk.len()].copy_from_slice(chunk);
            at += chunk.len();
        }
        let mut file = file;
        if whole > 0 {
            file.write_all(&block[..whole])?;
        }
        if whole < len {
            buffered_from_now(file)?;
            file.write_all(&block[whole..])?;
        }
        Ok(())
    })
}

/// Turn `O_DIRECT` off for the rest of this open file.
fn buffered_from_now(file: &File) -> io::Result<()> {
    let fd = file.as_raw_fd();
    // SAFETY: F_GETFL/F_SETFL on a descriptor we own.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_DIRECT) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Files up to this size go through the aligned buffer; bigger ones are written buffered.
const MAX_DIRECT: usize = 8 << 20;

fn write_buffered<C: AsRef<[u8]>>(file: &File, chunks: &[C]) -> io::Result<()> {
    let mut file = file;
    // As few write calls as possible: vectored writes of the remaining chunks.
    let mut slices: Vec<&[u8]> = chunks.iter().map(AsRef::as_ref).filter(|c| !c.is_empty()).collect();
    let mut first = 0;
    while first < slices.len() {
        let io: Vec<IoSlice<'_>> = slices[first..].iter().take(IOV_MAX).map(|c| IoSlice::new(c)).collect();
        let mut n = file.write_vectored(&io)?;
        if n == 0 {
            return Err(io::Error::from(io::ErrorKind::WriteZero));
        }
        while first < slices.len() && n >= slices[first].len() {
            n -= slices[first].len();
            first += 1;
        }
        if n > 0 {
            slices[first] = &slices[first][n..];
        }
    }
    Ok(())
}

const IOV_MAX: usize = 1024;

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ocrdesk-blobstore-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("tmp")).unwrap();
        dir
    }

    #[test]
    fn hash_matches_known_vector() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn stores_once_and_dedupes() {
        let root = scratch("dedupe");
        let first = store(&root, &root.join("tmp"), &[b"hel".as_slice(), b"", b"lo"]).unwrap();
        assert!(first.created);
        let path = path_for(&root, &first.sha256);
        assert_eq!(fs::read(&path).unwrap(), b"hello");
        let second = store(&root, &root.join("tmp"), &[b"hello"]).unwrap();
        assert_eq!(second, Stored { sha256: first.sha256.clone(), created: false });
        assert_eq!(fs::read_dir(root.join("tmp")).unwrap().count(), 0, "no temp file left behind");
        let other = store::<&[u8]>(&root, &root.join("tmp"), &[]).unwrap();
        assert!(other.created);
        assert_eq!(fs::read(path_for(&root, &other.sha256)).unwrap(), b"");
        // Many chunks, more than one vectored write can take.
        let many: Vec<Vec<u8>> = (0..3000u32).map(|i| i.to_le_bytes().to_vec()).collect();
        let big = store(&root, &root.join("tmp"), &many).unwrap();
        assert_eq!(fs::read(path_for(&root, &big.sha256)).unwrap(), many.concat());
        assert_eq!(big.sha256, sha256_hex(&many.concat()));
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn stores_many_in_order_on_several_threads() {
        let root = scratch("many");
        let files: Vec<Vec<Vec<u8>>> = (0..10u8).map(|i| vec![vec![i; 5000 + usize::from(i)], vec![b'x']]).collect();
        for threads in [1, 3, 16] {
            let stored = store_many(&root, &root.join("tmp"), &files, threads);
            assert_eq!(stored.len(), files.len());
            for (result, chunks) in stored.into_iter().zip(&files) {
                let stored = result.unwrap();
                assert_eq!(stored.sha256, sha256_hex(&chunks.concat()));
                assert_eq!(fs::read(path_for(&root, &stored.sha256)).unwrap(), chunks.concat());
            }
        }
        assert!(store_many::<Vec<u8>>(&root, &root.join("tmp"), &[], 4).is_empty());
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn kept_threads_run_borrowing_jobs_and_outlive_a_panic() {
        for round in 0..3 {
            let mut slots = vec![0usize; 7];
            let jobs: Vec<Box<dyn FnOnce() + Send + '_>> = slots
                .iter_mut()
                .enumerate()
                .map(|(i, slot)| {
                    Box::new(move || {
                        if i == 3 && round == 1 {
                            panic!("a job that fails");
                        }
                        std::thread::sleep(std::time::Duration::from_millis(2));
                        *slot = i + 1;
                    }) as Box<_>
                })
                .collect();
            helpers::run_all(jobs);
            let expected: Vec<usize> = (0..7).map(|i| if i == 3 && round == 1 { 0 } else { i + 1 }).collect();
            assert_eq!(slots, expected, "round {round}");
        }
    }

    #[test]
    fn sizes_around_a_block_are_stored_whole() {
        let root = scratch("blocks");
        for len in [1, 511, 4095, 4096, 4097, 8191, 8192, 12_289, 131_071] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 253) as u8).collect();
            for anonymous in [true, false] {
                let (head, tail) = data.split_at(len / 3);
                let stored = store_with(&root, &root.join("tmp"), &[head, tail], anonymous).unwrap();
                let path = path_for(&root, &stored.sha256);
                assert_eq!(fs::read(&path).unwrap(), data, "{len} bytes");
                fs::remove_file(path).unwrap();
            }
        }
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn the_temp_file_path_stores_alike_and_reports_a_missing_tmp_dir() {
        let root = scratch("tmppath");
        let data: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
        for anonymous in [true, false] {
            let stored = store_with(&root, &root.join("tmp"), &[&data[..1000], &data[1000..]], anonymous).unwrap();
            assert_eq!(fs::read(path_for(&root, &stored.sha256)).unwrap(), data);
            fs::remove_file(path_for(&root, &stored.sha256)).unwrap();
        }
        assert_eq!(fs::read_dir(root.join("tmp")).unwrap().count(), 0, "no temp file left behind");
        let err = store_with(&root, &root.join("absent"), &[b"x"], false).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        // Without a name, no temp folder is needed at all.
        assert!(store_with(&root, &root.join("absent"), &[b"x"], true).unwrap().created);
        fs::remove_dir_all(&root).unwrap();
    }
}
