"""The content-addressed file store on a real file system: layout, dedupe, big files, old layout."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from pathlib import Path

from ocrdesk.files import SPOOL_BYTES, FileStore, Incoming


def test_small_file_is_stored_once_under_its_hash(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "files")
    assert sorted(p.name for p in store.root.iterdir() if len(p.name) == 2) == [f"{i:02x}" for i in range(256)]
    data = b"%PDF-1.4\n" + os.urandom(150_000)  # not a multiple of the disk block size
    incoming = store.incoming()
    for at in range(0, len(data), 7_000):  # arrives in many chunks
        incoming.write(data[at : at + 7_000])
    sha = incoming.commit()
    assert sha == hashlib.sha256(data).hexdigest() == incoming.digest()
    path = store.path_for(sha)
    assert path == store.root / sha[:2] / sha and store.relative_path(sha) == f"files/{sha[:2]}/{sha}"
    assert path.read_bytes() == data and path.stat().st_size == len(data)
    assert not list(store.tmp_dir.iterdir()), "no temp file left behind"

    # The same bytes again: no second copy, the stored one is made fresh for retention.
    os.utime(path, (time.time() - 3600, time.time() - 3600))
    again = store.incoming()
    again.write(data)
    assert again.commit() == sha
    assert time.time() - path.stat().st_mtime < 60
    assert [p for p in store.root.rglob(sha)] == [path]


def test_file_over_the_spool_size_streams_through_a_temp_file(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "files")
    data = os.urandom(SPOOL_BYTES + 12_345)
    incoming = store.incoming()
    for at in range(0, len(data), 64 * 1024):
        incoming.write(data[at : at + 64 * 1024])
    sha = incoming.commit()
    assert sha == hashlib.sha256(data).hexdigest()
    assert store.read_bytes(sha) == data
    assert not list(store.tmp_dir.iterdir())


def test_files_of_the_earlier_layout_are_found(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "files")
    data = b"stored by an earlier version"
    sha = hashlib.sha256(data).hexdigest()
    legacy = store.root / sha[:2] / sha[2:4] / sha
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(data)
    assert store.exists(sha) and store.locate(sha) == legacy and store.read_bytes(sha) == data
    assert store.copies(sha) == (store.path_for(sha), legacy)
    assert not store.exists(hashlib.sha256(b"never stored").hexdigest())


def test_discarded_upload_leaves_nothing(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "files")
    for size in (10, SPOOL_BYTES + 1):
        incoming = store.incoming()
        incoming.write(b"x" * size)
        incoming.discard()
    assert not list(store.tmp_dir.iterdir())
    assert not [p for p in store.root.rglob("*") if p.is_file()]


def test_adopted_slice_of_a_body_is_stored_without_the_rest(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "files")
    body = b"--boundary\r\nheaders\r\n\r\n" + b"%PDF-1.7 " + os.urandom(70_000) + b"\r\n--boundary--\r\n"
    start, end = body.index(b"%PDF"), len(body) - len(b"\r\n--boundary--\r\n")
    data = body[start:end]
    one = store.incoming()
    one.adopt(body, start, end)
    assert one.size == len(data) and one.head == data[:4096] and one.digest() == hashlib.sha256(data).hexdigest()
    two = store.incoming()
    two.adopt(body, start, end)
    two.write(b" and more")  # bytes after an adopted slice
    three = store.incoming()
    three.adopt(body, start, end)
    problems = type(one).commit_many([one, two, three])
    assert problems == [None, None, None]
    assert store.read_bytes(one.sha256 or "") == data
    assert store.read_bytes(two.sha256 or "") == data + b" and more"
    assert three.sha256 == one.sha256
    single = store.incoming()
    single.adopt(body, start, end)
    single.write(b"!")
    assert store.read_bytes(single.commit()) == data + b"!"


def test_concurrent_commits_are_grouped_on_the_store_thread_and_fail_alone(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "files")
    datas = [os.urandom(20_000 + 4096 * (i % 3)) for i in range(40)] + [os.urandom(SPOOL_BYTES + 5)]

    def incoming_of(data: bytes) -> Incoming:
        incoming = store.incoming()
        for at in range(0, len(data), 64 * 1024):
            incoming.write(data[at : at + 64 * 1024])
        return incoming

    async def run() -> list[str | BaseException]:
        items = [incoming_of(data) for data in datas]
        broken = incoming_of(os.urandom(SPOOL_BYTES + 9))  # spilled; its temp file vanishes
        assert broken.tmp_path is not None
        broken.tmp_path.unlink()
        return await asyncio.gather(*(store.commit_grouped(i) for i in [*items, broken]), return_exceptions=True)

    try:
        outcomes = asyncio.run(run())
        assert isinstance(outcomes[-1], OSError)
        assert outcomes[:-1] == [hashlib.sha256(d).hexdigest() for d in datas]
        for sha, data in zip(outcomes, datas):
            assert store.read_bytes(str(sha)) == data
        # A second event loop (as a second test client would have) is served by the same thread.
        again = asyncio.run(run())
        assert again[:-1] == outcomes[:-1] and isinstance(again[-1], OSError)
    finally:
        store.close()
    assert store._stage is None


def test_an_upload_discarded_before_its_group_runs_fails_alone(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "files")
    gone, kept = store.incoming(), store.incoming()
    gone.write(b"%PDF-1.7 whose request went away")
    kept.write(b"%PDF-1.7 still wanted")
    gone.discard()
    problems = Incoming.commit_many([gone, kept])
    assert isinstance(problems[0], RuntimeError) and problems[1] is None
    assert store.read_bytes(kept.sha256 or "") == b"%PDF-1.7 still wanted"
    assert [p.name for p in store.root.rglob("*") if p.is_file()] == [kept.sha256]
