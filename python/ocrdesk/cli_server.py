"""Server-side commands of ``ocrdesk``: serve, worker, admin (SPEC §2).

``ocrdesk.cli`` calls :func:`register` with its subparsers and dispatches with ``args.func(args)``.
Expected failures print one line and exit non-zero; no tracebacks for bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable

__all__ = ["register"]


def _fail(message: str, code: int = 2) -> SystemExit:
    print(f"ocrdesk: error: {message}", file=sys.stderr)
    return SystemExit(code)


def _settings(args: argparse.Namespace, **extra: Any) -> Any:
    from ocrdesk.config import Settings

    overrides = {
        "data_dir": getattr(args, "data_dir", None),
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
        "workers": getattr(args, "workers", None),
        "rate_limit_per_minute": getattr(args, "rate_limit", None),
        "public_url": getattr(args, "public_url", None),
        "ocr_lang": getattr(args, "lang", None),
        **extra,
    }
    max_mb = getattr(args, "max_upload_mb", None)
    if max_mb is not None:
        overrides["max_upload_bytes"] = int(max_mb * 1024 * 1024)
    try:
        return Settings.load(overrides)
    except ValueError as exc:
        raise _fail(str(exc)) from None


def _run(main: Callable[[], Awaitable[int | None]]) -> None:
    try:
        code = asyncio.run(main())
    except KeyboardInterrupt:
        code = 130
    except SystemExit:
        raise
    except OSError as exc:
        raise _fail(str(exc), 1) from None
    except Exception as exc:  # sqlite3 errors and the like: one line, not a traceback
        if os.environ.get("OCRDESK_DEBUG"):
            raise
        raise _fail(f"{type(exc).__name__}: {exc}", 1) from None
    if code:
        raise SystemExit(code)


def _install_stop(loop: asyncio.AbstractEventLoop, stop: Callable[[], None]) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)


def _logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


# --- serve --------------------------------------------------------------------------------
def _keep_freed_memory() -> None:
    """Have malloc keep freed memory for the next request instead of returning it at once.

    Upload bodies are around malloc's default mmap threshold (128 KiB); with the defaults,
    each one is mapped and unmapped, or trimmed off the heap top, and every page of the next
    one is faulted in afresh. Fixed thresholds keep those pages: memory stays bounded by what
    requests in flight hold at once (files over 1 MiB spill to disk).
    """
    if os.environ.get("OCRDESK_MALLOC_DEFAULTS"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt  # glibc; elsewhere there is nothing to tune
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 8 << 20)
    mallopt(m_trim_threshold, 64 << 20)


def cmd_serve(args: argparse.Namespace) -> None:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # before Tesseract loads (see DESIGN pitfalls)
    _keep_freed_memory()
    settings = _settings(args)
    _logging(args.log_level)

    async def main() -> int:
        from granian.constants import Interfaces
        from granian.server.embed import Server

        from ocrdesk.server.app import create_app
        from ocrdesk.store.bootstrap import ensure_defaults
        from ocrdesk.store.db import Database

        settings.ensure_dirs()
        async with Database(settings.db_path, readers=1) as db:
            org, project, raw, key = await ensure_defaults(db)
        if raw is not None:
            print("Created organization 'default', project 'default' and an organization API key.")
            print("Save this key now; it is shown only once:")
            print(f"\n    {raw}\n", flush=True)
        print(
            f"ocrdesk serving on http://{settings.host}:{settings.port}/v1/openapi "
            f"(docs: /v1/openapi/docs; data: {settings.data_dir}; OCR workers: {settings.workers})",
            flush=True,
        )
        app = create_app(settings)
        server = Server(
            target=app,
            address=settings.host,
            port=settings.port,
            interface=Interfaces.ASGI,
            log_enabled=True,
            log_access=args.access_log,
            backlog=1024,
        )
        _install_stop(asyncio.get_running_loop(), server.stop)
        await server.serve()
        return 0

    _run(main)


# --- worker -------------------------------------------------------------------------------
def cmd_worker(args: argparse.Namespace) -> None:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    settings = _settings(args)
    if settings.workers < 1:
        raise _fail("--workers must be at least 1 for a worker")
    _logging(args.log_level)

    async def main() -> int:
        from ocrdesk.files import FileStore
        from ocrdesk.queue import WorkerPool
        from ocrdesk.store.db import Database

        settings.ensure_dirs()
        async with Database(settings.db_path, readers=2) as db:
            pool = WorkerPool(db, FileStore(settings.files_dir), settings)
            stopping = asyncio.Event()
            _install_stop(asyncio.get_running_loop(), stopping.set)
            await pool.start()
            from ocrdesk.queue.events import EventServices  # webhook delivery and file retention

            events = await EventServices(db, FileStore(settings.files_dir), settings, with_hub=False).start()
            print(f"ocrdesk worker running ({settings.workers} OCR job(s) at once; data: {settings.data_dir})", flush=True)
            try:
                await stopping.wait()
            finally:
                await events.stop()
                await pool.stop()
        return 0

    _run(main)


# --- admin --------------------------------------------------------------------------------
def _require_data_dir(settings: Any) -> None:
    if not settings.db_path.exists():
        raise _fail(f"no ocrdesk database in {settings.data_dir} (start `ocrdesk serve --data-dir {settings.data_dir}` once)")


def cmd_create_project(args: argparse.Namespace) -> None:
    settings = _settings(args)
    _require_data_dir(settings)

    async def main() -> int:
        import msgspec

        from ocrdesk.store.db import Database
        from ocrdesk.store.repositories import Organizations, Projects

        async with Database(settings.db_path, readers=1) as db:
            org = await Organizations(db).by_name(args.org)
            if org is None:
                raise _fail(f"organization {args.org!r} does not exist")
            name = args.name.strip()
            if not name:
                raise _fail("the project name must not be empty")
            project = await Projects(db).create(org.id, name, args.description or "")
            print(msgspec.json.format(msgspec.json.encode(project)).decode())
        return 0

    _run(main)


def cmd_create_key(args: argparse.Namespace) -> None:
    settings = _settings(args)
    _require_data_dir(settings)
    if args.expires_days is not None and args.expires_days <= 0:
        raise _fail("--expires-days must be positive")

    async def main() -> int:
        from ocrdesk.store.db import Database
        from ocrdesk.store.ids import is_id
        from ocrdesk.store.repositories import ApiKeys, Organizations, Projects

        async with Database(settings.db_path, readers=1) as db:
            if args.project:
                if not is_id(args.project):
                    raise _fail("--project must be a 24-character hex project id")
                project = await Projects(db).get(args.project)
                if project is None:
                    raise _fail(f"project {args.project} does not exist")
                org_id, project_id = project.organization_id, project.id
            else:
                org = await Organizations(db).by_name(args.org)
                if org is None:
                    raise _fail(f"organization {args.org!r} does not exist")
                org_id, project_id = org.id, None
            raw, key = await ApiKeys(db).create(
                name=args.name or ("project key" if project_id else "organization key"),
                organization_id=org_id,
                project_id=project_id,
                expires_days=args.expires_days,
            )
            print(raw)
            print(
                f"({key.type} key {key.id}{', expires ' + key.expires_at if key.expires_at else ''}; "
                "shown once, only its hash is stored)",
                file=sys.stderr,
            )
        return 0

    _run(main)


def cmd_seed(args: argparse.Namespace) -> None:
    settings = _settings(args)
    _require_data_dir(settings)
    if args.records < 0:
        raise _fail("--records must be 0 or more")
    if args.templates < 0 or args.batch_size < 0 or args.days < 1:
        raise _fail("--templates and --batch-size must be 0 or more, --days at least 1")

    async def main() -> int:
        import time

        from ocrdesk.store.db import Database
        from ocrdesk.store.ids import is_id
        from ocrdesk.store.repositories import History, Projects

        async with Database(settings.db_path, readers=1) as db:
            if not is_id(args.project):
                raise _fail("--project must be a 24-character hex project id")
            project = await Projects(db).get(args.project)
            if project is None:
                raise _fail(f"project {args.project} does not exist")
            started = time.perf_counter()
            n = await History(db).seed(
                project_id=project.id,
                organization_id=project.organization_id,
                user_id=project.id,
                count=args.records,
                days=args.days,
                templates=args.templates,
                batch_size=args.batch_size,
            )
            print(f"inserted {n} completed records into project {project.id} in {time.perf_counter() - started:.1f} s")
        return 0

    _run(main)


# --- registration -------------------------------------------------------------------------
def _data_dir(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=default,
        help="data directory (database, files, JWT secret); env OCRDESK_DATA_DIR; default ./ocrdesk-data",
    )


def register(subparsers: Any) -> None:
    """Add ``serve``, ``worker`` and ``admin`` to the ``ocrdesk`` command."""
    serve = subparsers.add_parser("serve", help="run the Open API server (and OCR workers)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    _data_dir(serve)
    serve.add_argument("--workers", type=int, help="OCR jobs at once in this process; 0 = API only (default: CPU count)")
    serve.add_argument("--rate-limit", type=int, help="requests per minute per key, 0 = off (default 60)")
    serve.add_argument("--max-upload-mb", type=float, help="largest accepted file in MiB (default 50)")
    serve.add_argument("--public-url", help="absolute base URL used in fileUrl (default: the request's)")
    serve.add_argument("--lang", help="Tesseract languages for jobs, e.g. eng+tha (default eng)")
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.set_defaults(func=cmd_serve)

    worker = subparsers.add_parser("worker", help="run OCR workers without the HTTP server")
    _data_dir(worker)
    worker.add_argument("--workers", type=int, help="OCR jobs at once (default: CPU count)")
    worker.add_argument("--lang", help="Tesseract languages for jobs (default eng)")
    worker.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    worker.set_defaults(func=cmd_worker)

    admin = subparsers.add_parser("admin", help="projects, API keys and test data")
    admin_sub = admin.add_subparsers(dest="admin_command", metavar="COMMAND", required=True)

    create_project = admin_sub.add_parser("create-project", help="create a project; prints it as JSON")
    create_project.add_argument("name", metavar="NAME")
    _data_dir(create_project)
    create_project.add_argument("--org", default="default", help="organization name (default: default)")
    create_project.add_argument("--description", default="")
    create_project.set_defaults(func=cmd_create_project)

    create_key = admin_sub.add_parser("create-key", help="create an API key; prints the raw key once")
    _data_dir(create_key)
    scope = create_key.add_mutually_exclusive_group(required=True)
    scope.add_argument("--org", help="organization name: an organization key")
    scope.add_argument("--project", help="project id: a project key")
    create_key.add_argument("--name", help="a label for the key")
    create_key.add_argument("--expires-days", type=float, help="expire after this many days (default: never)")
    create_key.set_defaults(func=cmd_create_key)

    seed = admin_sub.add_parser("seed", help="bulk-insert synthetic completed records (load tests)")
    _data_dir(seed)
    seed.add_argument("--records", type=int, required=True, metavar="N")
    seed.add_argument("--project", required=True, metavar="ID")
    seed.add_argument("--days", type=int, default=365, help="spread createdAt over the last D days (default 365)")
    seed.add_argument("--templates", type=int, default=0, metavar="K",
                      help="create K templates and give each record one of them or none (default 0)")
    seed.add_argument("--batch-size", type=int, default=0, metavar="B",
                      help="group consecutive records into completed batches of B (default 0: no batches)")
    seed.set_defaults(func=cmd_seed)


def main(argv: list[str] | None = None) -> None:
    """Stand-alone entry (``python -m ocrdesk.cli_server``) until ``ocrdesk.cli`` wires it in."""
    parser = argparse.ArgumentParser(prog="ocrdesk")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
