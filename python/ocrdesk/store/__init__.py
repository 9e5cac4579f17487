"""SQLite store: connection, migrations, repositories. Knows neither HTTP nor the queue."""

from ocrdesk.store.db import Database, connect
from ocrdesk.store.ids import new_id, now_iso

__all__ = ["Database", "connect", "new_id", "now_iso"]
