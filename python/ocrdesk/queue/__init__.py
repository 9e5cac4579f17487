"""The job queue: workers claim queued records, OCR them and store results.

Runs inside ``ocrdesk serve`` or alone as ``ocrdesk worker``; needs no web server.
"""

from ocrdesk.queue.worker import WorkerPool, process_document

__all__ = ["WorkerPool", "process_document"]
