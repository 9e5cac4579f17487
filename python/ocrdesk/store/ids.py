"""ObjectId-style ids and the one timestamp format of the store."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import threading
import time

__all__ = ["new_id", "is_id", "now_iso", "to_iso", "parse_iso", "ID_RE"]

ID_RE = re.compile(r"^[0-9a-f]{24}$")

_process_random = os.urandom(5)
_counter = itertools.count(int.from_bytes(os.urandom(3), "big"))
_lock = threading.Lock()


def new_id(at: float | None = None) -> str:
    """24 lowercase hex chars: 4-byte seconds, 5 random bytes per process, 3-byte counter.

    Same layout as a MongoDB ObjectId, so ids sort roughly by creation time.
    """
    seconds = int(time.time() if at is None else at) & 0xFFFFFFFF
    with _lock:
        count = next(_counter) & 0xFFFFFF
    return seconds.to_bytes(4, "big").hex() + _process_random.hex() + count.to_bytes(3, "big").hex()


def is_id(value: object) -> bool:
    return isinstance(value, str) and ID_RE.match(value) is not None


def to_iso(moment: dt.datetime) -> str:
    moment = moment.astimezone(dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_iso() -> str:
    return to_iso(dt.datetime.now(dt.timezone.utc))


def parse_iso(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)
