"""Repositories: SQL as constants next to small typed methods. Parameterised SQL only."""

from ocrdesk.store.repositories.api_keys import ApiKeys, hash_key, new_raw_key
from ocrdesk.store.repositories.batches import Batches
from ocrdesk.store.repositories.history import History, HistoryFilter
from ocrdesk.store.repositories.idempotency import IdempotencyKeys
from ocrdesk.store.repositories.organizations import Organizations
from ocrdesk.store.repositories.projects import Projects
from ocrdesk.store.repositories.templates import Templates
from ocrdesk.store.repositories.uploads import Uploads
from ocrdesk.store.repositories.workers import Workers

__all__ = [
    "ApiKeys",
    "Batches",
    "History",
    "HistoryFilter",
    "IdempotencyKeys",
    "Organizations",
    "Projects",
    "Templates",
    "Uploads",
    "Workers",
    "hash_key",
    "new_raw_key",
]
