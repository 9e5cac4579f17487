"""Content-addressed file storage under ``<data dir>/files``.

A file lives at ``files/<sha[:2]>/<sha[2:4]>/<sha256>``: the path is built only from the hash
of the bytes, never from anything a user sent, and identical uploads share one copy.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

__all__ = ["FileStore", "Incoming", "sniff", "safe_file_name", "file_type_for"]

HEAD_BYTES = 4096
SPOOL_BYTES = 1024 * 1024  # files up to this size are held in memory until committed
_tmp_counter = itertools.count()
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


class Incoming:
    """A file being received, then committed under the sha256 of its bytes.

    Up to ``SPOOL_BYTES`` it is kept in memory and hashed and written to disk once, by
    :meth:`commit`, off the event loop (``commit_async`` runs it in a thread; the upload
    endpoint runs it on the database writer's thread, in the same hop as its insert): creating
    a temp file per upload on the event loop cost more than parsing the whole upload. Bigger
    files spill to a temp file as soon as they pass the threshold (hashed as they arrive from
    then on), so memory stays bounded per upload.
    """

    def __init__(self, store: FileStore) -> None:
        self._store = store
        self._buffer: bytearray | None = bytearray()
        self._fh: Any = None
        self.tmp_path: Path | None = None
        self._hash: Any = None  # only once spilled; in-memory files are hashed in one go
        self._digest: str | None = None
        self.size = 0
        self.head = b""  # first bytes, for type sniffing
        self.sha256: str | None = None
        self.path: Path | None = None

    def write(self, chunk: bytes | bytearray | memoryview) -> None:
        if len(self.head) < HEAD_BYTES:
            self.head += bytes(chunk[: HEAD_BYTES - len(self.head)])
        buffer = self._buffer
        if buffer is not None and len(buffer) + len(chunk) <= SPOOL_BYTES:
            buffer += chunk
        else:
            if buffer is not None:
                self._spill()
            self._fh.write(chunk)
            self._hash.update(chunk)
        self.size += len(chunk)

    def digest(self) -> str:
        """The sha256 (hex) of the bytes received so far; call once the file is complete."""
        if self._digest is None:
            if self._hash is not None:
                self._digest = self._hash.hexdigest()
            else:
                self._digest = hashlib.sha256(self._buffer or b"").hexdigest()
        return self._digest

    def _spill(self) -> None:
        fd, name = tempfile.mkstemp(dir=self._store.tmp_dir, prefix="in-")
        self._fh = os.fdopen(fd, "wb")
        self.tmp_path = Path(name)
        self._hash = hashlib.sha256()
        if self._buffer:
            self._fh.write(self._buffer)
            self._hash.update(self._buffer)
        self._buffer = None

    def commit(self) -> str:
        """Move into place; returns the sha256. Idempotent for identical content."""
        sha = self.digest()
        final = self._store.path_for(sha)
        self._store.ensure_parent(final)
        try:
            # Already stored: make it fresh again (the retention job spares recently uploaded files).
            os.utime(final)
        except FileNotFoundError:
            if self._buffer is not None:
                self._write_new(final)
            else:
                self._fh.close()
                os.replace(self.tmp_path, final)  # type: ignore[arg-type]
        else:
            self._close_and_remove()
        self._buffer = None
        self.sha256, self.path = sha, final
        return sha

    def _write_new(self, final: Path) -> None:
        """The in-memory bytes to ``final``, through a temp file renamed into place."""
        name = f"{self._store.tmp_dir}/in-{os.getpid()}-{next(_tmp_counter)}"
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
        except FileExistsError:  # a leftover of an earlier process with the same pid
            fd, name = tempfile.mkstemp(dir=self._store.tmp_dir, prefix="in-")
        self.tmp_path = Path(name)
        try:
            view = memoryview(self._buffer or b"")
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(name, final)

    async def commit_async(self) -> str:
        import anyio.to_thread

        return await anyio.to_thread.run_sync(self.commit)

    def _close_and_remove(self) -> None:
        if self._fh is not None and not self._fh.closed:
            self._fh.close()
        if self.tmp_path is not None:
            self.tmp_path.unlink(missing_ok=True)

    def discard(self) -> None:
        self._buffer = None
        if self.sha256 is None:
            self._close_and_remove()


class FileStore:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.tmp_dir = self.root / "tmp"
        self.root.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self._made: set[Path] = set()

    def ensure_parent(self, path: Path) -> None:
        """mkdir -p of a shard folder, once per process (folders are never removed)."""
        parent = path.parent
        if parent not in self._made:
            parent.mkdir(parents=True, exist_ok=True)
            self._made.add(parent)

    def path_for(self, sha256: str) -> Path:
        if not _SHA_RE.match(sha256):
            raise ValueError("not a sha256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def relative_path(self, sha256: str) -> str:
        """The path stored in records (``filePath``), relative to the data dir."""
        return f"files/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def incoming(self) -> Incoming:
        return Incoming(self)

    def put_bytes(self, data: bytes) -> str:
        incoming = self.incoming()
        try:
            incoming.write(data)
            return incoming.commit()
        finally:
            incoming.discard()

    def read_bytes(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()

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
        """Remove partial uploads left by a crash."""
        for leftover in self.tmp_dir.glob("in-*"):
            leftover.unlink(missing_ok=True)


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
