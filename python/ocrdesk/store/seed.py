"""Synthetic completed history records for load tests (``ocrdesk admin seed``).

One transaction, fast: rows are generated in time order (so every newest-first index is
appended to, not scattered into), inserted with ``executemany`` while the per-row insert
triggers are dropped, and the trigram index and the counters are then filled once with
set-based statements over the new rowid range. The triggers are re-created from their own
stored SQL before the commit; a failure anywhere rolls all of it back (SQLite DDL is
transactional), and other writers wait on the write lock meanwhile, so no row ever bypasses
the triggers unseen.
"""

from __future__ import annotations

import itertools
import logging
import os
import random
import time
from collections import Counter
from typing import Iterator, Sequence

import msgspec

from ocrdesk.store.db import Database
from ocrdesk.store.ids import new_id, now_iso
from ocrdesk.store.models import PRIORITY_RANK

__all__ = ["seed_history", "INSERT_TRIGGERS"]

log = logging.getLogger("ocrdesk.store.seed")

# Per-row insert triggers replaced by set-based statements during a bulk load.
INSERT_TRIGGERS = ("history_search_ai", "history_counts_ai", "history_days_ai")

INSERT_SEED = """
INSERT INTO processing_history (
    id, upload_id, project_id, organization_id, user_id, file_name, file_path, file_size, mime_type,
    status, template_id, template_name, batch_id, result_format, priority, priority_rank, metadata,
    search_text, processing_result, result_text, page_count, attempts, started_at, completed_at, created_at,
    updated_at)
VALUES (?, ?, ?, ?, ?, ?, 'files/seed', ?, 'application/pdf', 'completed', ?, ?, ?, 'json', ?, ?, NULL, ?, ?, ?,
        1, 1, ?, ?, ?, ?)
"""
INSERT_BATCH = """
INSERT INTO batches (id, project_id, organization_id, template_id, template_name, name, total_files,
                     completed_files, failed_files, status, metadata, created_at, updated_at)
VALUES (?, ?, ?, NULL, NULL, ?, ?, ?, 0, 'completed', NULL, ?, ?)
"""
INSERT_TEMPLATE = """
INSERT INTO templates (id, project_id, name, description, template_schema, instructions,
                       result_format, extraction_mode, is_active, created_at, updated_at)
VALUES (?, ?, ?, 'Synthetic template (admin seed)', ?, NULL, 'json', 'structured', 1, ?, ?)
"""
TRIGGER_SQL = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name = ?"
FILL_SEARCH = """
INSERT INTO history_search(rowid, search_text)
SELECT rowid, search_text FROM processing_history WHERE rowid > ? ORDER BY rowid
"""
ADD_COUNT = """
INSERT INTO history_counts(scope, status, n) VALUES (?, 'completed', ?)
ON CONFLICT(scope, status) DO UPDATE SET n = n + excluded.n
"""
ADD_DAY = """
INSERT INTO history_days(project_id, day, status, n) VALUES (?, ?, 'completed', ?)
ON CONFLICT(project_id, day, status) DO UPDATE SET n = n + excluded.n
"""

WORDS = ("invoice", "receipt", "contract", "statement", "report", "letter", "form", "scan")
PRIORITIES = ("low", "medium", "high")
SCHEMA = '{"type":"object","properties":{"total":{"type":"number"}}}'


def _iso(ts: float) -> str:
    # Same text as ids.to_iso, at half the cost (this runs millions of times).
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + ".%03dZ" % (int(ts * 1000) % 1000)


_RANDOM = os.urandom(5).hex()
_COUNTER = itertools.count(int.from_bytes(os.urandom(3), "big"))


def _fast_id(ts: float) -> str:
    """ids.new_id's layout (4-byte seconds, 5 random bytes, 3-byte counter) without its lock."""
    return "%08x%s%06x" % (int(ts) & 0xFFFFFFFF, _RANDOM, next(_COUNTER) & 0xFFFFFF)


def _rows(
    *,
    times: Sequence[float],
    position: int,
    number_base: int,
    project_id: str,
    organization_id: str,
    user_id: str,
    templates: Sequence[tuple[str, str]],
    batch_ids: Sequence[str],
    batch_size: int,
    rng: random.Random,
) -> Iterator[tuple[object, ...]]:
    from ocrdesk.store.repositories.history import search_text

    encode = msgspec.json.encode
    choices: list[tuple[str | None, str | None]] = [(None, None), *templates]
    for i, ts in enumerate(times):
        pos = position + i
        n = number_base + pos
        created = _iso(ts)
        name = f"{WORDS[n % len(WORDS)]}-{n:07d}.pdf"
        template_id, template_name = choices[rng.randrange(len(choices))]
        batch_id = batch_ids[pos // batch_size] if batch_size else None
        priority = PRIORITIES[rng.randrange(3)]
        text = f"Synthetic document {n}"
        result = encode({"text": text, "pages": [{"page": 1, "source": "ocr", "text": text, "confidence": 90.0}]})
        yield (
            _fast_id(ts), _fast_id(ts), project_id, organization_id, user_id, name, 1000 + n % 100_000,
            template_id, template_name, batch_id, priority, PRIORITY_RANK[priority],
            search_text(name, template_name), result.decode(), text, created, created, created, created,
        )


async def seed_history(
    db: Database,
    *,
    project_id: str,
    organization_id: str,
    user_id: str,
    count: int,
    days: int = 365,
    templates: int = 0,
    batch_size: int = 0,
    chunk: int = 50_000,
    seed: int | None = None,
) -> int:
    """Insert ``count`` completed records spread over the last ``days`` days, in one transaction.

    ``templates`` > 0 creates that many templates in the project and gives each record one of
    them or none, at random; ``batch_size`` > 0 groups consecutive records into completed
    batches of that size. File names are ``<word>-<n:07d>.pdf`` with ``word`` cycling over
    eight words, so a search for ``invoice`` matches one record in eight and ``0012345``
    one record.
    """
    if count <= 0:
        return 0
    rng = random.Random(count if seed is None else seed)
    now = time.time()
    # Oldest first: the newest-first indexes then grow at one end.
    times = sorted(now - rng.uniform(0, days * 86400) for _ in range(count))
    stamp = now_iso()
    phase = time.perf_counter()
    async with db.transaction() as conn:
        async with conn.execute("PRAGMA cache_size") as cur:
            (cache_size,) = await cur.fetchone()
        await conn.execute("PRAGMA cache_size = -262144")  # 256 MiB while loading
        try:
            template_rows: list[tuple[str, str]] = []
            for k in range(templates):
                tid = new_id()
                name = f"Seed template {k + 1}"
                await conn.execute(INSERT_TEMPLATE, (tid, project_id, name, SCHEMA, stamp, stamp))
                template_rows.append((tid, name))
            batch_ids: list[str] = []
            if batch_size:
                batch_rows = []
                for b in range(0, count, batch_size):
                    size = min(batch_size, count - b)
                    bid = new_id(times[b])
                    batch_rows.append((bid, project_id, organization_id, f"Seed batch {b // batch_size + 1}", size, size,
                                       _iso(times[b]), _iso(times[b + size - 1])))
                    batch_ids.append(bid)
                await conn.executemany(INSERT_BATCH, batch_rows)

            triggers = []
            for name in INSERT_TRIGGERS:
                async with conn.execute(TRIGGER_SQL, (name,)) as cur:
                    row = await cur.fetchone()
                if row is not None:
                    triggers.append(row["sql"])
                    await conn.execute(f"DROP TRIGGER {name}")
            async with conn.execute("SELECT coalesce(max(rowid), 0) FROM processing_history") as cur:
                (first,) = await cur.fetchone()

            base = await _first_index(conn)
            scopes: Counter[str] = Counter()
            days_count: Counter[str] = Counter()
            for start in range(0, count, chunk):
                rows = list(
                    _rows(
                        times=times[start : start + chunk], position=start, number_base=base, project_id=project_id,
                        organization_id=organization_id, user_id=user_id, templates=template_rows,
                        batch_ids=batch_ids, batch_size=batch_size, rng=rng,
                    )
                )
                await conn.executemany(INSERT_SEED, rows)
                # What the dropped count triggers would have added (every seeded record is completed).
                for row in rows:
                    scopes["p:" + project_id] += 1
                    if row[7] is not None:
                        scopes["t:" + row[7]] += 1
                    if row[9] is not None:
                        scopes["b:" + row[9]] += 1
                    days_count[row[-1][:10]] += 1
            phase = _phase("rows", phase)
            await conn.execute(FILL_SEARCH, (first,))
            phase = _phase("search index", phase)
            await conn.executemany(ADD_COUNT, list(scopes.items()))
            await conn.executemany(ADD_DAY, [(project_id, day, n) for day, n in days_count.items()])
            phase = _phase("counters", phase)
            for sql in triggers:
                await conn.execute(sql)
        finally:
            await conn.execute(f"PRAGMA cache_size = {int(cache_size):d}")
    _phase("commit", phase)
    return count


def _phase(name: str, since: float) -> float:
    now = time.perf_counter()
    log.debug("seed: %s took %.1f s", name, now - since)
    return now


async def _first_index(conn: object) -> int:
    """Numbering continues over earlier seeds, so file names stay unique."""
    async with conn.execute(  # type: ignore[attr-defined]
        "SELECT count(*) FROM processing_history WHERE file_path = 'files/seed'"
    ) as cur:
        (n,) = await cur.fetchone()
    return int(n)
