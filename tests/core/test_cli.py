"""`ocrdesk ocr` as a user runs it: a real process, real files."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import docgen
import pytest


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "ocrdesk.cli", *args], capture_output=True, cwd=cwd, timeout=300
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory, sample_pages) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli")
    out = {
        "pdf": d / "letter.pdf",
        "png": d / "page one.png",
        "junk": d / "notes.pdf",
        "empty": d / "empty.png",
    }
    out["pdf"].write_bytes(docgen.text_pdf(sample_pages))
    out["png"].write_bytes(docgen.image_bytes(sample_pages[0]))
    out["junk"].write_bytes(b"this is not a pdf at all")
    out["empty"].write_bytes(b"")
    return out


def test_text_to_stdout(files, sample_text: str) -> None:
    r = run("ocr", str(files["pdf"]))
    assert r.returncode == 0, r.stderr
    assert docgen.word_accuracy(sample_text, r.stdout.decode()) == 1.0


def test_json_to_file(files, tmp_path: Path, sample_pages) -> None:
    out = tmp_path / "out.json"
    r = run("ocr", str(files["png"]), "-f", "json", "-o", str(out), "--mode", "ocr", "--dpi", "300")
    assert r.returncode == 0, r.stderr
    data = json.loads(out.read_text())
    assert data["pages"][0]["source"] == "ocr"
    assert docgen.word_accuracy("\n".join(sample_pages[0]), data["text"]) >= 0.98


def test_several_files_into_a_folder(files, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    r = run("ocr", str(files["pdf"]), str(files["png"]), "-f", "alto", "-o", str(out))
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["letter.xml", "page one.xml"]
    for p in out.iterdir():
        ET.parse(p)


@pytest.mark.parametrize(
    ("key", "extra", "message"),
    [
        ("junk", [], "unsupported file type"),
        ("empty", [], "empty"),
        ("pdf", ["-f", "exe"], "unknown format"),
        ("pdf", ["--lang", "xx_missing"], "language not available"),
    ],
)
def test_bad_input_gives_one_line_and_nonzero_exit(files, key: str, extra: list[str], message: str) -> None:
    r = run("ocr", str(files[key]), *extra)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert message in err
    assert err.startswith("ocrdesk: error:")


def test_missing_file(tmp_path: Path) -> None:
    r = run("ocr", str(tmp_path / "nope.pdf"))
    assert r.returncode == 1
    assert "no such file" in r.stderr.decode()
    assert "Traceback" not in r.stderr.decode()
