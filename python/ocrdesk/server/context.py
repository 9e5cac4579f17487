"""Everything a request handler needs, built once in the app's lifespan."""

from __future__ import annotations

import dataclasses
from typing import Callable

from ocrdesk.config import Settings
from ocrdesk.files import FileStore
from ocrdesk.store.db import Database
from ocrdesk.store.repositories import (
    ApiKeys,
    Batches,
    History,
    IdempotencyKeys,
    Organizations,
    Projects,
    Templates,
    Uploads,
)


@dataclasses.dataclass
class AppContext:
    settings: Settings
    db: Database
    files: FileStore
    wake_workers: Callable[[], None] = lambda: None

    def __post_init__(self) -> None:
        self.organizations = Organizations(self.db)
        self.projects = Projects(self.db)
        self.api_keys = ApiKeys(self.db)
        self.templates = Templates(self.db)
        self.uploads = Uploads(self.db)
        self.batches = Batches(self.db)
        self.history = History(self.db)
        self.idempotency = IdempotencyKeys(self.db)
