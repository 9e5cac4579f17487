"""Content-addressed file storage under ``<data dir>/files``.

A file lives at ``files/<sha[:2]>/<sha[2:4]>/<sha256>``: the path is built only from the hash
of the bytes, never from anything a user sent, and identical uploads share one copy.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path

__all__ = ["FileStore", "Incoming", "sniff", "safe_file_name", "file_type_for"]

HEAD_BYTES = 4096
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


class Incoming:
    """A file being received: written to a temp file while hashed, then committed by hash."""

    def __init__(self, store: FileStore) -> None:
        self._store = store
        fd, name = tempfile.mkstemp(dir=store.tmp_dir, prefix="in-")
        self._fh = os.fdopen(fd, "wb")
        self.tmp_path = Path(name)
        self._hash = hashlib.sha256()
        self.size = 0
        self.head = b""  # first bytes, for type sniffing
        self.sha256: str | None = None
        self.path: Path | None = None

    def write(self, chunk: bytes | bytearray | memoryview) -> None:
        if len(self.head) < HEAD_BYTES:
            self.head += bytes(chunk[: HEAD_BYTES - len(self.head)])
        self._fh.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)

    def commit(self) -> str:
        """Move into place; returns the sha256. Idempotent for identical content."""
        self._fh.close()
        sha = self._hash.hexdigest()
        final = self._store.path_for(sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            self.tmp_path.unlink(missing_ok=True)
        else:
            os.replace(self.tmp_path, final)
        self.sha256, self.path = sha, final
        return sha

    def discard(self) -> None:
        if not self._fh.closed:
            self._fh.close()
        if self.sha256 is None:
            self.tmp_path.unlink(missing_ok=True)


class FileStore:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.tmp_dir = self.root / "tmp"
        self.root.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

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
