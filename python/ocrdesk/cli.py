"""The ``ocrdesk`` command: ``ocr`` here; ``serve``, ``worker`` and ``admin`` from the server."""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

EXTENSIONS = {
    "json": "json",
    "text": "txt",
    "hocr": "hocr",
    "alto": "xml",
    "tsv": "tsv",
    "xml": "xml",
    "html": "html",
    "csv": "csv",
    "pdf": "pdf",
    "docx": "docx",
}


class CliError(Exception):
    """A problem to report in one line, with exit status 1."""


def _add_ocr(sub: Any) -> None:
    p = sub.add_parser("ocr", help="OCR files without a server", description="OCR PDFs and images.")
    p.add_argument("files", nargs="+", metavar="FILE", help="PDF or image files")
    p.add_argument("-f", "--format", default="text", help="output format (default: text)")
    p.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="output file (one input) or folder (several inputs); default: standard output",
    )
    p.add_argument("--lang", default="eng", help="Tesseract languages, e.g. eng+tha (default: eng)")
    p.add_argument("--mode", default="auto", choices=["auto", "ocr", "text"])
    p.add_argument("--dpi", type=int, default=300)
    p.add_argument("--threads", type=int, default=0, help="OCR threads (default: CPU count)")
    p.add_argument("--max-pages", type=int, default=None)
    p.add_argument("--max-file-size", type=int, default=None, help="bytes")
    p.add_argument("--max-megapixels", type=float, default=None)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_run_ocr)


def _run_ocr(args: argparse.Namespace) -> int:
    import ocrdesk

    fmt = args.format.lower()
    if fmt not in ocrdesk.EXPORT_FORMATS:
        raise CliError(f"unknown format {fmt!r}; accepted: {', '.join(ocrdesk.EXPORT_FORMATS)}")
    files = [Path(f) for f in args.files]
    for f in files:
        if not f.is_file():
            raise CliError(f"{f}: no such file")
    out = Path(args.output) if args.output else None
    several = len(files) > 1
    if several and out is not None and out.exists() and not out.is_dir():
        raise CliError(f"{out}: with several inputs, -o must name a folder")
    if several and out is None and fmt not in ("text", "tsv"):
        raise CliError(f"with several inputs and format {fmt}, give -o FOLDER")
    if args.threads:
        ocrdesk.set_threads(args.threads)
    limits: dict[str, Any] = {}
    if args.max_pages is not None:
        limits["max_pages"] = args.max_pages
    if args.max_file_size is not None:
        limits["max_file_size"] = args.max_file_size
    if args.max_megapixels is not None:
        limits["max_megapixels"] = args.max_megapixels

    def one(path: Path) -> bytes:
        try:
            doc = ocrdesk.ocr(path, lang=args.lang, mode=args.mode, dpi=args.dpi, **limits)
            if fmt == "pdf":  # the searchable PDF draws the original pages under the text
                return doc.export(fmt, original=path.read_bytes())
            return doc.export(fmt)
        except ocrdesk.errors.OcrdeskError as e:
            raise CliError(f"{path}: {e}") from None
        except OSError as e:
            raise CliError(f"{path}: {e.strerror or e}") from None

    bar = None
    if not args.no_progress and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=len(files), unit="file", file=sys.stderr, leave=False)
    workers = min(len(files), max(1, os.cpu_count() or 1))
    results: list[bytes] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        try:
            for data in pool.map(one, files):
                results.append(data)
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()
    if out is None:
        stdout = sys.stdout.buffer
        for i, data in enumerate(results):
            if i:
                stdout.write(b"\f" if fmt == "text" else b"")
            stdout.write(data)
        if fmt == "text":
            stdout.write(b"\n")
        stdout.flush()
    elif several:
        out.mkdir(parents=True, exist_ok=True)
        for path, data in zip(files, results):
            (out / f"{path.stem}.{EXTENSIONS.get(fmt, fmt)}").write_bytes(data)
    else:
        out.write_bytes(results[0])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ocrdesk", description="Self-hosted OCR service and OCR tool.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_ocr(sub)
    try:
        from ocrdesk import cli_server
    except ImportError:  # the server parts are not installed
        cli_server = None
    if cli_server is not None:
        cli_server.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CliError as e:
        print(f"ocrdesk: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("ocrdesk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as e:  # noqa: BLE001 - bad input must never show a traceback
        from ocrdesk import errors

        if isinstance(e, (errors.OcrdeskError, OSError, ValueError)):
            print(f"ocrdesk: error: {e}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
