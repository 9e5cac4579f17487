"""Worker loop: claim (priority, then age) -> OCR in a thread -> complete / retry / fail.

Each of ``concurrency`` loops handles one document at a time; the OCR call releases the GIL
in the Rust core, so the event loop (and the API, under ``serve``) keeps running. A heartbeat
marks this worker alive; jobs of workers that stopped beating are re-queued by the reaper
(and at start-up), and after ``max_attempts`` claims a job becomes ``failed``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any, Callable

import anyio
import msgspec

from ocrdesk.config import Settings
from ocrdesk.files import FileStore
from ocrdesk.store.db import Database
from ocrdesk.store.models import HistoryRecord
from ocrdesk.store.repositories import Workers

__all__ = ["WorkerPool", "process_document", "PermanentError"]

log = logging.getLogger("ocrdesk.queue")

HEARTBEAT_SECONDS = 5.0
TEMPLATE_INSTRUCTIONS = "SELECT instructions FROM templates WHERE id = ?"
REAP_SECONDS = 10.0


class PermanentError(Exception):
    """A failure that another attempt would repeat (bad input): fail at once."""


def _permanent_types() -> tuple[type[BaseException], ...]:
    try:
        from ocrdesk import errors
    except ImportError:  # pragma: no cover
        return (PermanentError,)
    return (
        PermanentError,
        errors.UnsupportedFormatError,
        errors.InvalidDocumentError,
        errors.DocumentTooLargeError,
        errors.LanguageNotAvailableError,
    )


def _extractor() -> Callable[..., Any] | None:
    """The template extractor (``ocrdesk.extract.extract(document, schema)``) once it exists."""
    try:
        from ocrdesk.extract import extract  # type: ignore[import-not-found]
    except ImportError:
        return None
    return extract  # type: ignore[no-any-return]


class Processed(tuple):  # type: ignore[type-arg]
    """(result JSON, text, page count), plus ``.document``: the OCR document's JSON (word
    boxes), kept beside the files for the exports that need it (searchable PDF, hOCR, ALTO,
    TSV). A tuple, so callers that unpack three values keep working."""

    document: bytes | None = None


def _template_lang(schema: Any, default: str) -> str:
    """The OCR language for a template's documents (its ``"x-lang"``, see ocrdesk.extract.ocr_lang)."""
    try:
        from ocrdesk.extract import ocr_lang
    except ImportError:
        return default
    return ocr_lang(schema, default)


def process_document(path: Path, settings: Settings, template: tuple[str, ...] | None) -> tuple[bytes, str, int]:
    """OCR one file (blocking; run it in a thread). ``template`` is (schema JSON, extraction
    mode[, instructions]). Returns (result JSON, text, page count) as a :class:`Processed`
    that also carries the OCR document."""
    import ocrdesk

    schema: Any = msgspec.json.decode(template[0]) if template is not None else None
    lang = _template_lang(schema, settings.ocr_lang) if schema is not None else settings.ocr_lang
    note = None
    started = time.perf_counter()

    def run(lang: str) -> Any:
        return ocrdesk.ocr(
            path,
            lang=lang,
            mode=settings.ocr_mode,
            dpi=settings.ocr_dpi,
            max_file_size=settings.max_upload_bytes,
            max_pages=settings.max_pages,
            max_megapixels=settings.max_megapixels,
        )

    try:
        doc = run(lang)
    except ocrdesk.errors.LanguageNotAvailableError:
        if lang == settings.ocr_lang:
            raise
        # The template asks for a language this server lacks: OCR with the server's own.
        note = f"template language {lang!r} is not installed; OCR used {settings.ocr_lang!r}"
        doc = run(settings.ocr_lang)
    seconds = round(time.perf_counter() - started, 3)
    pages = list(doc.pages)
    result: Any = None
    if template is not None:
        mode = template[1]
        instructions = template[2] if len(template) > 2 else None
        extract = _extractor()
        if mode == "structured" and extract is not None:
            result = extract(doc, schema, instructions=instructions)
            if isinstance(result, dict):
                meta = result.setdefault("_meta", {})
                if isinstance(meta, dict):
                    meta.setdefault("pages", len(pages))
                    meta.setdefault("ocrSeconds", seconds)
                    meta.setdefault("ocrLang", lang if note is None else settings.ocr_lang)
                    if note:
                        meta.setdefault("ocrNote", note)
    if result is None:
        result = {
            "text": doc.text,
            "pages": [
                {"page": p.number, "source": p.source, "text": p.text, "confidence": round(float(p.confidence), 2)}
                for p in pages
            ],
        }
    processed = Processed((msgspec.json.encode(result), doc.text, len(pages)))
    processed.document = doc.export("json")
    return processed


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:500]


class WorkerPool:
    """``concurrency`` job loops plus heartbeat and reaper tasks, in the current event loop."""

    def __init__(
        self,
        db: Database,
        files: FileStore,
        settings: Settings,
        *,
        concurrency: int | None = None,
        processor: Callable[[Path, Settings, tuple[str, ...] | None], tuple[bytes, str, int]] = process_document,
    ) -> None:
        self.db = db
        self.files = files
        self.settings = settings
        self.concurrency = settings.workers if concurrency is None else concurrency
        self.processor = processor
        self.jobs = Workers(db)
        self.worker_id: str | None = None
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._limiter = anyio.CapacityLimiter(max(1, self.concurrency))
        self.processed = 0

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        """Register, re-queue orphaned jobs, start the loops."""
        await self._forget_dead_local_workers()
        requeued = await self.jobs.requeue_orphans(
            stale_seconds=self.settings.worker_stale_seconds, max_attempts=self.settings.max_attempts
        )
        if requeued:
            log.warning("re-queued %d job(s) left in progress by a stopped worker", requeued)
        self.worker_id = await self.jobs.register()
        self._tasks = [asyncio.create_task(self._loop(i), name=f"ocrdesk-job-{i}") for i in range(self.concurrency)]
        self._tasks.append(asyncio.create_task(self._heartbeat(), name="ocrdesk-heartbeat"))
        self._tasks.append(asyncio.create_task(self._reaper(), name="ocrdesk-reaper"))

    async def stop(self, timeout: float = 30.0) -> None:
        """Stop claiming; let running documents finish (up to ``timeout``), then unregister."""
        self._stopping.set()
        self._wake.set()
        loops = [t for t in self._tasks if t.get_name().startswith("ocrdesk-job")]
        others = [t for t in self._tasks if t not in loops]
        for task in others:
            task.cancel()
        if loops:
            done, pending = await asyncio.wait(loops, timeout=timeout)
            for task in pending:
                task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self.worker_id is not None:
            # Jobs of a cancelled loop stay in_progress; unregistering makes the next start re-queue them.
            with contextlib.suppress(Exception):
                await self.jobs.unregister(self.worker_id)
            self.worker_id = None

    async def run_until_stopped(self) -> None:
        await self.start()
        try:
            await self._stopping.wait()
        finally:
            await self.stop()

    async def drain(self, timeout: float = 60.0) -> None:
        """Wait until nothing is queued or running (tests and one-shot runs)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not await self.jobs.busy_count():
                return
            await asyncio.sleep(0.05)
        raise TimeoutError("jobs still queued or running")

    # --- internals -----------------------------------------------------------------------
    async def _loop(self, index: int) -> None:
        assert self.worker_id is not None
        while not self._stopping.is_set():
            try:
                claimed = await self.jobs.claim(self.worker_id)
            except Exception:  # database busy beyond the timeout, disk full...
                log.exception("claiming a job failed")
                await self._sleep(self.settings.poll_interval)
                continue
            if claimed is None:
                self._wake.clear()
                await self._sleep(self.settings.poll_interval)
                continue
            record, attempts = claimed
            # More work may be waiting: let an idle sibling look too.
            self._wake.set()
            await self._process(record, attempts)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    async def _process(self, record: HistoryRecord, attempts: int) -> None:
        assert self.worker_id is not None
        try:
            sha = await self.jobs.upload_sha(record.upload_id)
            if sha is None or not self.files.exists(sha):
                raise PermanentError("the uploaded file is missing from storage")
            template: tuple[str, ...] | None = await self.jobs.template_for(record.template_id) if record.template_id else None
            if template is not None:
                # the template's instructions, for the llm extractor
                instructions = await self.db.fetchval(TEMPLATE_INSTRUCTIONS, (record.template_id,))
                template = (*template, instructions)
            path = self.files.locate(sha)
            processed = await anyio.to_thread.run_sync(
                self.processor, path, self.settings, template, limiter=self._limiter
            )
            result, text, pages = processed
            document = getattr(processed, "document", None)
            if document:
                # Word boxes for the exports; a failure here must not fail the job.
                try:
                    await anyio.to_thread.run_sync(self.files.save_document, record.id, document)
                except Exception:
                    log.exception("keeping the OCR document of %s failed", record.id)
        except asyncio.CancelledError:
            raise
        except _permanent_types() as exc:
            log.info("job %s failed: %s", record.id, exc)
            await self.jobs.fail(self.worker_id, record.id, _one_line(exc))
        except Exception as exc:
            message = _one_line(exc)
            if attempts >= self.settings.max_attempts:
                log.warning("job %s failed after %d attempts: %s", record.id, attempts, message)
                await self.jobs.fail(self.worker_id, record.id, f"failed after {attempts} attempts: {message}")
            else:
                log.warning("job %s attempt %d failed, retrying: %s", record.id, attempts, message)
                await self.jobs.retry(self.worker_id, record.id, message)
                self._wake.set()
        else:
            await self.jobs.complete(self.worker_id, record.id, result.decode(), text, pages)
            self.processed += 1

    async def _heartbeat(self) -> None:
        assert self.worker_id is not None
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            with contextlib.suppress(Exception):
                await self.jobs.heartbeat(self.worker_id)

    async def _reaper(self) -> None:
        while True:
            await asyncio.sleep(REAP_SECONDS)
            try:
                n = await self.jobs.requeue_orphans(
                    stale_seconds=self.settings.worker_stale_seconds, max_attempts=self.settings.max_attempts
                )
            except Exception:
                log.exception("re-queueing orphaned jobs failed")
                continue
            if n:
                log.warning("re-queued %d job(s) of a worker that stopped", n)
                self._wake.set()

    async def _forget_dead_local_workers(self) -> None:
        """Workers on this host whose process is gone are dead now, not in 30 s."""
        for worker_id, pid in await self.jobs.on_host(socket.gethostname()):
            if pid == os.getpid() or not _pid_alive(pid):
                await self.jobs.unregister(worker_id)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
