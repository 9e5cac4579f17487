"""A short-lived cache of rows that are read on every request (API keys, projects).

An entry is used only while the database's credentials epoch is the one it was read under
(any process that revokes a key or changes a project bumps it: ``Database.bump_credentials_epoch``)
and for at most ``seconds``, which bounds how long a change made behind the application's
back (plain SQL on the file) can go unseen.
"""

from __future__ import annotations

import time
from typing import Generic, Hashable, TypeVar

from ocrdesk.store.db import Database

__all__ = ["EpochCache", "CACHE_SECONDS"]

CACHE_SECONDS = 2.0
V = TypeVar("V")


class EpochCache(Generic[V]):
    def __init__(self, db: Database, seconds: float = CACHE_SECONDS, size: int = 10_000) -> None:
        self.db = db
        self.seconds = seconds
        self.size = size
        self._items: dict[Hashable, tuple[V, bytes, float]] = {}

    def get(self, key: Hashable) -> tuple[V | None, bytes | None]:
        """(cached value or None, the epoch to store a freshly read value under)."""
        epoch = self.db.credentials_epoch()
        hit = self._items.get(key)
        if hit is not None and epoch is not None and hit[1] == epoch and time.monotonic() - hit[2] < self.seconds:
            return hit[0], epoch
        return None, epoch

    def put(self, key: Hashable, value: V, epoch: bytes | None) -> None:
        """Keep ``value``, read under ``epoch`` (from :meth:`get`, taken before the read)."""
        if epoch is None:
            return
        if len(self._items) >= self.size:
            self._items.clear()
        self._items[key] = (value, epoch, time.monotonic())
