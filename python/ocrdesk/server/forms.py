"""Streaming multipart/form-data: file parts go straight to the file store while hashed.

The body is never held in memory. A declared ``Content-Length`` over the limit is refused
with 413 before a byte is read; a file part that grows past the limit stops the read at
that point with 413.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any, AsyncIterator

from litestar import Request
from multipart import MultipartSegment, ParserError, ParserLimitReached, PushMultipartParser

from ocrdesk.files import SPOOL_BYTES, FileStore, Incoming
from ocrdesk.server.errors import ApiError

__all__ = ["FormFile", "ParsedForm", "read_form", "human_size"]

MAX_FIELD_BYTES = 1024 * 1024
MAX_TEXT_FIELDS = 64
#: Room for the text fields and the multipart framing around the files.
FORM_OVERHEAD = 2 * 1024 * 1024
#: Bodies up to this size are read whole and parsed by the core (``ocrdesk._core.parse_form``).
FAST_BODY_BYTES = SPOOL_BYTES + 64 * 1024

try:
    from ocrdesk._core import parse_form as _parse_form
except ImportError:  # the compiled core is not built yet: the streaming parser does it all
    _parse_form = None


def human_size(n: int) -> str:
    if n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MiB"
    if n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n} bytes"


class FormFile:
    def __init__(self, field: str, filename: str | None, content_type: str | None, incoming: Incoming) -> None:
        self.field = field
        self.filename = filename
        self.content_type = content_type
        self.incoming = incoming

    @property
    def size(self) -> int:
        return self.incoming.size


class ParsedForm:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}
        self.files: list[FormFile] = []
        self._digest = hashlib.sha256()

    def value(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[-1] if values else None

    def files_named(self, name: str) -> list[FormFile]:
        return [f for f in self.files if f.field == name]

    def request_hash(self) -> str:
        """A digest of every field and file (by content), for Idempotency-Key comparison."""
        digest = hashlib.sha256()
        for name in sorted(self.fields):
            for value in self.fields[name]:
                digest.update(f"f\x00{name}\x00{value}\x00".encode())
        for f in self.files:
            digest.update(f"F\x00{f.field}\x00{f.filename}\x00{f.incoming.digest()}\x00".encode())
        return digest.hexdigest()

    def discard(self) -> None:
        """Forget files that were not committed (on error)."""
        for f in self.files:
            f.incoming.discard()


async def read_form(
    request: Request[Any, Any, Any],
    store: FileStore,
    *,
    file_fields: frozenset[str],
    max_file_bytes: int,
    max_files: int,
    commit: bool = True,
) -> ParsedForm:
    """Parse the request body; file fields are committed to the store, the rest kept as text.

    Files are committed on the store's own thread, with those of other requests arriving at
    the same time (``FileStore.commit_grouped``). With ``commit=False`` they are left for the
    caller to commit.
    """
    content_type = request.headers.get("content-type", "")
    media, _, params = content_type.partition(";")
    if media.strip().lower() != "multipart/form-data":
        raise ApiError(400, ["body must be multipart/form-data"])
    boundary = _boundary(params)
    if not boundary:
        raise ApiError(400, ["multipart/form-data needs a boundary"])

    limit_total = max_files * max_file_bytes + FORM_OVERHEAD
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            declared_size = int(declared)
        except ValueError:
            raise ApiError(400, ["invalid Content-Length"]) from None
        if declared_size > limit_total:
            raise _too_large(max_file_bytes)

    source: AsyncIterator[bytes] = request.stream()
    if declared is not None and declared_size <= FAST_BODY_BYTES and _parse_form is not None:
        # A small body is read whole and parsed in one call into the core; should it be in
        # any but the plain shape, the streaming parser below goes over the same bytes.
        chunks: list[bytes] = []
        received = 0
        async for chunk in source:
            received += len(chunk)
            if received > limit_total:
                raise _too_large(max_file_bytes)
            chunks.append(chunk)
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        if type(body) is not bytes:
            body = bytes(body)
        parts = _parse_form(body, boundary, max_files + MAX_TEXT_FIELDS + 1)
        if parts is not None:
            form = _form_from_parts(body, parts, store, file_fields, max_file_bytes, max_files)
            if commit:
                try:  # all of the body's files in one group
                    await asyncio.gather(*(store.commit_grouped(f.incoming) for f in form.files))
                except BaseException:
                    form.discard()
                    raise
            return form
        source = _once(body)

    form = ParsedForm()
    current_file: FormFile | None = None
    current_text: bytearray | None = None
    segment: MultipartSegment | None = None
    received = 0
    try:
        with PushMultipartParser(boundary, max_segment_count=max_files + MAX_TEXT_FIELDS + 1) as parser:
            async for chunk in source:
                received += len(chunk)
                if received > limit_total:
                    raise _too_large(max_file_bytes)
                for event in parser.parse(chunk):
                    if isinstance(event, MultipartSegment):
                        segment = event
                        name = segment.name or ""
                        if name in file_fields or segment.filename is not None:
                            if name not in file_fields:
                                raise ApiError(400, [f"unexpected file field {name!r}"])
                            if len(form.files) >= max_files:
                                raise ApiError(400, [f"{name} accepts at most {max_files} file(s)"])
                            current_file = FormFile(name, segment.filename, segment.content_type, store.incoming())
                            form.files.append(current_file)
                        else:
                            if sum(len(v) for v in form.fields.values()) >= MAX_TEXT_FIELDS:
                                raise ApiError(400, ["too many form fields"])
                            current_text = bytearray()
                    elif event:
                        if current_file is not None:
                            if current_file.size + len(event) > max_file_bytes:
                                raise _too_large(max_file_bytes)
                            current_file.incoming.write(event)
                        elif current_text is not None:
                            if len(current_text) + len(event) > MAX_FIELD_BYTES:
                                raise ApiError(400, [f"{segment.name if segment else 'field'} is too long"])
                            current_text.extend(event)
                    else:  # end of a part
                        if current_file is not None:
                            if commit:
                                await store.commit_grouped(current_file.incoming)
                        elif current_text is not None and segment is not None:
                            charset = segment.charset or "utf-8"
                            try:
                                text = current_text.decode(charset)
                            except (UnicodeDecodeError, LookupError):
                                raise ApiError(400, [f"{segment.name} is not valid {charset} text"]) from None
                            form.fields.setdefault(segment.name or "", []).append(text)
                        current_file, current_text, segment = None, None, None
            if not parser.closed:
                raise ApiError(400, ["multipart body ended early"])
    except ParserLimitReached:
        form.discard()
        raise ApiError(400, ["multipart body has too many parts or headers"]) from None
    except ParserError as exc:
        form.discard()
        raise ApiError(400, [f"malformed multipart body: {exc}"]) from None
    except BaseException:
        form.discard()
        raise
    return form


async def _once(body: bytes) -> AsyncIterator[bytes]:
    yield body
    yield b""  # the end of the body, as the request stream signals it


def _form_from_parts(
    body: bytes,
    parts: list[tuple[str, str | None, str | None, int, int]],
    store: FileStore,
    file_fields: frozenset[str],
    max_file_bytes: int,
    max_files: int,
) -> ParsedForm:
    """The form of a body the core parsed whole, with the same rules and messages as the stream."""
    form = ParsedForm()
    try:
        for name, filename, content_type, start, end in parts:
            if name in file_fields or filename is not None:
                if name not in file_fields:
                    raise ApiError(400, [f"unexpected file field {name!r}"])
                if len(form.files) >= max_files:
                    raise ApiError(400, [f"{name} accepts at most {max_files} file(s)"])
                if end - start > max_file_bytes:
                    raise _too_large(max_file_bytes)
                current = FormFile(name, filename, content_type, store.incoming())
                form.files.append(current)
                if end > start:
                    current.incoming.adopt(body, start, end)
            else:
                if sum(len(v) for v in form.fields.values()) >= MAX_TEXT_FIELDS:
                    raise ApiError(400, ["too many form fields"])
                if end - start > MAX_FIELD_BYTES:
                    raise ApiError(400, [f"{name} is too long"])
                try:
                    text = body[start:end].decode("utf-8")
                except UnicodeDecodeError:
                    raise ApiError(400, [f"{name} is not valid utf-8 text"]) from None
                form.fields.setdefault(name, []).append(text)
    except BaseException:
        form.discard()
        raise
    return form


def _too_large(max_file_bytes: int) -> ApiError:
    return ApiError(413, f"File too large: the limit is {human_size(max_file_bytes)} per file")


def _boundary(params: str) -> str | None:
    for part in params.split(";"):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "boundary":
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            return value or None
    return None
