"""Content-addressed file storage under ``<data dir>/files``.

A file lives at ``files/<sha[:2]>/<sha256>``: the path is built only from the hash of the
bytes, never from anything a user sent, and identical uploads share one copy. The 256
shard folders are created with the store, so storing a file never needs a ``mkdir``.
Files stored by earlier versions at ``files/<sha[:2]>/<sha[2:4]>/<sha256>`` are still
found (:meth:`FileStore.locate`).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import queue
import re
import tempfile
import threading
import unicodedata
from pathlib import Path
from typing import Any

__all__ = ["FileStore", "Incoming", "sniff", "safe_file_name", "file_type_for"]

try:
    from ocrdesk._core import store_blobs as _store_blobs
except ImportError:  # the compiled core is not built yet: sniffing and names still work

    def _store_blobs(root: str, tmp_dir: str, files: list[tuple[list[bytes], int, int]], threads: int) -> list[Any]:
        raise RuntimeError("the ocrdesk core extension is not built (run `make dev`)")


HEAD_BYTES = 4096
SPOOL_BYTES = 1024 * 1024  # files up to this size are held in memory until committed
STORE_THREADS = 4  # files of one group written side by side (direct writes wait on the disk)
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_SHARDS = tuple(f"{i:02x}" for i in range(256))


class Incoming:
    """A file being received, then committed under the sha256 of its bytes.

    Up to ``SPOOL_BYTES`` it is kept in memory, as the chunks it arrived in (or as a slice of a
    body read whole, :meth:`adopt`), and hashed and written to disk once: one call into the
    core that hashes, then either refreshes a stored copy or writes the file and links it in
    under its name (``rust/blobstore.rs``), without the GIL. Uploads arriving together are
    committed together, on the store's own thread (:meth:`FileStore.commit_grouped`), just
    before their rows are written.
    Bigger files spill to a temp file as soon as they pass the threshold (hashed as they
    arrive from then on), so memory stays bounded per upload.
    """

    def __init__(self, store: FileStore) -> None:
        self._store = store
        self._chunks: list[bytes] | None = []
        self._start = 0  # the file is bytes start..start+size of its chunks joined (see adopt)
        self._adopted = False
        self._fh: Any = None
        self.tmp_path: Path | None = None
        self._hash: Any = None  # only once spilled; in-memory files are hashed in one go
        self._digest: str | None = None
        self.size = 0
        self.head = b""  # first bytes, for type sniffing
        self.sha256: str | None = None

    def write(self, chunk: bytes | bytearray | memoryview) -> None:
        if not chunk:
            return
        if len(self.head) < HEAD_BYTES:
            self.head += bytes(chunk[: HEAD_BYTES - len(self.head)])
        chunks = self._chunks
        if self._adopted and chunks is not None:  # more bytes after an adopted slice: keep only the slice
            chunks = self._chunks = [b"".join(self._views())]
            self._start, self._adopted = 0, False
        if chunks is not None and self.size + len(chunk) <= SPOOL_BYTES:
            chunks.append(chunk if type(chunk) is bytes else bytes(chunk))
        else:
            if chunks is not None:
                self._spill()
            self._fh.write(chunk)
            self._hash.update(chunk)
        self.size += len(chunk)

    def adopt(self, body: bytes, start: int, end: int) -> None:
        """Take bytes ``start..end`` of a body already in memory as the whole file, without a copy."""
        if self.size or self._chunks is None or end - start > SPOOL_BYTES:
            self.write(memoryview(body)[start:end])
            return
        self.head = body[start : start + HEAD_BYTES]
        self._chunks = [body]
        self._start, self._adopted = start, True
        self.size = end - start

    def _views(self) -> list[memoryview]:
        """The file's bytes as views of the chunks held in memory."""
        views, at, end = [], 0, self._start + self.size
        for chunk in self._chunks or ():
            lo, hi = max(self._start, at), min(end, at + len(chunk))
            if lo < hi:
                views.append(memoryview(chunk)[lo - at : hi - at])
            at += len(chunk)
        return views

    def digest(self) -> str:
        """The sha256 (hex) of the bytes received so far; call once the file is complete."""
        if self._digest is None:
            if self._hash is not None:
                self._digest = self._hash.hexdigest()
            else:
                digest = hashlib.sha256()
                for view in self._views():
                    digest.update(view)
                self._digest = digest.hexdigest()
        return self._digest

    def _spill(self) -> None:
        fd, name = tempfile.mkstemp(dir=self._store.tmp_dir, prefix="in-")
        self._fh = os.fdopen(fd, "wb")
        self.tmp_path = Path(name)
        self._hash = hashlib.sha256()
        for view in self._views():
            self._fh.write(view)
            self._hash.update(view)
        self._chunks = None

    def commit(self) -> str:
        """Move into place; returns the sha256. Idempotent for identical content."""
        if self._chunks is not None:
            (problem,) = Incoming.commit_many([self])
            if problem is not None:
                raise problem
            assert self.sha256 is not None
            return self.sha256
        sha = self.digest()
        final = self._store.path_for(sha)
        try:
            # Already stored: make it fresh again (the retention job spares recently uploaded files).
            os.utime(final)
        except FileNotFoundError:
            self._fh.close()
            final.parent.mkdir(exist_ok=True)
            os.replace(self.tmp_path, final)  # type: ignore[arg-type]
        else:
            self._close_and_remove()
        self.sha256 = sha
        return sha

    @staticmethod
    def commit_many(items: list[Incoming]) -> list[BaseException | None]:
        """Commit several files at once (``FileStore.commit_grouped`` runs its groups so).

        The in-memory ones take one call into the core, which writes them side by side
        without the GIL; one failure is that file's own. Returns the failure of each, or None.
        """
        problems: list[BaseException | None] = [None] * len(items)
        in_memory: dict[FileStore, list[tuple[int, tuple[list[bytes], int, int]]]] = {}
        for i, item in enumerate(items):
            # Read once: the upload may be discarded meanwhile on the event loop's thread
            # (its request gone); the bytes taken here stay alive for the call below.
            chunks = item._chunks
            if chunks is not None:
                in_memory.setdefault(item._store, []).append((i, (chunks, item._start, item._start + item.size)))
            elif item._fh is None and item.sha256 is None:
                problems[i] = RuntimeError("the upload was discarded before it was committed")
            else:
                try:
                    item.commit()
                except Exception as exc:
                    problems[i] = exc
        for store, spans in in_memory.items():
            results = _store_blobs(store.root_str, store.tmp_str, [span for _, span in spans], STORE_THREADS)
            for (i, _), result in zip(spans, results):
                if isinstance(result, BaseException):
                    problems[i] = result
                    continue
                item = items[i]
                if item._digest is not None and item._digest != result[0]:  # pragma: no cover - a bug, not input
                    problems[i] = RuntimeError("stored file hash differs from the received bytes")
                    continue
                item._digest = item.sha256 = result[0]
                item._chunks = None
        return problems

    def _close_and_remove(self) -> None:
        if self._fh is not None and not self._fh.closed:
            self._fh.close()
        if self.tmp_path is not None:
            self.tmp_path.unlink(missing_ok=True)

    def discard(self) -> None:
        self._chunks = None
        if self.sha256 is None:
            self._close_and_remove()


class FileStore:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.tmp_dir = self.root / "tmp"
        self.root.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        present = set(os.listdir(self.root))
        for shard in _SHARDS:
            if shard not in present:
                (self.root / shard).mkdir(exist_ok=True)
        self.root_str = str(self.root)
        self.tmp_str = str(self.tmp_dir)
        self._stage: _GroupStage | None = None

    def path_for(self, sha256: str) -> Path:
        """Where a file with this hash is stored (and where a new one goes)."""
        if not _SHA_RE.match(sha256):
            raise ValueError("not a sha256 hex digest")
        return self.root / sha256[:2] / sha256

    def copies(self, sha256: str) -> tuple[Path, Path]:
        """Where a file with this hash may be: the current layout, then an earlier version's."""
        path = self.path_for(sha256)
        return path, path.parent / sha256[2:4] / sha256

    def locate(self, sha256: str) -> Path:
        """The stored file with this hash, also in the layout of earlier versions."""
        path, legacy = self.copies(sha256)
        if not path.exists() and legacy.exists():
            return legacy
        return path

    def relative_path(self, sha256: str) -> str:
        """The path stored in records (``filePath``), relative to the data dir."""
        return f"files/{sha256[:2]}/{sha256}"

    def incoming(self) -> Incoming:
        return Incoming(self)

    async def commit_grouped(self, incoming: Incoming) -> str:
        """Commit on the store's own thread, together with whatever else is waiting (one core call).

        Uploads await this before their rows are written, so the disk works on the next
        files while the database writer commits the rows of the previous ones.
        """
        stage = self._stage
        if stage is None:
            stage = self._stage = _GroupStage(Incoming.commit_many, "ocrdesk-files")
        await stage.submit(incoming)
        assert incoming.sha256 is not None
        return incoming.sha256

    def close(self) -> None:
        """Stop the commit thread, if one was started (it stops by itself with the process)."""
        if self._stage is not None:
            self._stage.stop()
            self._stage = None

    def put_bytes(self, data: bytes) -> str:
        incoming = self.incoming()
        try:
            incoming.write(data)
            return incoming.commit()
        finally:
            incoming.discard()

    def read_bytes(self, sha256: str) -> bytes:
        return self.locate(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self.locate(sha256).exists()

    # --- OCR documents (word boxes) kept next to the files, for exports -----------------
    def document_path(self, record_id: str) -> Path:
        """``documents/<id[-2:]>/<record id>.json.gz``: the OCR document of a record."""
        if not re.fullmatch(r"[0-9a-f]{24}", record_id):
            raise ValueError("not a record id")
        return self.root / "documents" / record_id[-2:] / f"{record_id}.json.gz"

    def save_document(self, record_id: str, document_json: bytes) -> None:
        """Keep the OCR document (``Document.export("json")``) of a record, gzipped."""
        import gzip

        path = self.document_path(record_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.tmp_dir, prefix="doc-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(gzip.compress(document_json, compresslevel=5))
        os.replace(tmp, path)

    def load_document(self, record_id: str) -> bytes | None:
        import gzip

        try:
            return gzip.decompress(self.document_path(record_id).read_bytes())
        except (FileNotFoundError, ValueError, OSError):
            return None

    def clean_tmp(self) -> None:
        """Remove partial uploads and files half-way through deletion, left by a crash."""
        for pattern in ("in-*", "expired-*"):
            for leftover in self.tmp_dir.glob(pattern):
                leftover.unlink(missing_ok=True)


class _GroupStage:
    """A thread that runs ``run(items) -> [exception or None]`` on groups of waiting items.

    Callers on an event loop submit one item and await its outcome; the thread takes
    everything waiting (up to ``MAX_GROUP``) in one go and hands each group's outcomes back
    with one wake-up of the loop.
    """

    MAX_GROUP = 64

    def __init__(self, run: Any, name: str) -> None:
        self._run = run
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def submit(self, item: Any) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._queue.put((item, future, loop))
        return future

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        q = self._queue
        while True:
            first = q.get()
            if first is None:
                return
            group = [first]
            while len(group) < self.MAX_GROUP:
                try:
                    nxt = q.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    q.put(None)  # stop after this group
                    break
                group.append(nxt)
            try:
                outcomes = self._run([item for item, _, _ in group])
            except BaseException as exc:  # a bug, even a panic in the core: these fail, the thread goes on
                outcomes = [exc] * len(group)
            by_loop: dict[Any, list[tuple[asyncio.Future[None], BaseException | None]]] = {}
            for (_, future, loop), outcome in zip(group, outcomes):
                by_loop.setdefault(loop, []).append((future, outcome))
            for loop, settled in by_loop.items():
                try:
                    loop.call_soon_threadsafe(_settle, settled)
                except RuntimeError:  # that loop is closed: nobody waits any more
                    pass


def _settle(settled: list[tuple[asyncio.Future[None], BaseException | None]]) -> None:
    for future, outcome in settled:
        if future.done():
            continue
        if outcome is None:
            future.set_result(None)
        else:
            future.set_exception(outcome)


# --- type sniffing ------------------------------------------------------------------------
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"%PDF-", 0, "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"II*\x00", 0, "image/tiff"),
    (b"MM\x00*", 0, "image/tiff"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"BM", 0, "image/bmp"),
)


def _fallback_sniff(head: bytes) -> str | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    # PDFs may have a little junk before the header; readers accept it in the first 1 KiB.
    for magic, offset, mime in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return mime
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    return None


def sniff(head: bytes) -> str | None:
    """The MIME type of a file from its first bytes (the core's ``ocrdesk.sniff`` when present)."""
    try:
        import ocrdesk

        core_sniff = getattr(ocrdesk, "sniff", None)
    except ImportError:  # the compiled core is not built yet
        core_sniff = None
    if core_sniff is not None:
        return core_sniff(head)
    return _fallback_sniff(head)


def file_type_for(mime_type: str) -> str:
    """``fileType`` of the API: pdf, image or document."""
    if mime_type == "application/pdf":
        return "pdf"
    if mime_type.startswith("image/"):
        return "image"
    return "document"


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


def safe_file_name(name: str | None, fallback: str = "upload") -> str:
    """A display name without path parts or control characters, at most 255 characters.

    Only ever shown back to the user; storage paths come from hashes, not names.
    """
    if not name:
        return fallback
    name = unicodedata.normalize("NFC", name)
    # Keep the last path component whatever the separator, then drop what is left unsafe.
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE.sub("", name).strip().lstrip(".") or fallback
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 255 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 16 else name[:255]
    return name
