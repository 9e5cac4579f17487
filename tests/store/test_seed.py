"""`admin seed`'s bulk load: the counters, day counters and trigram index it fills in bulk
must equal what the per-row triggers would have kept, and the triggers must be back after."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocrdesk.store.db import Database
from ocrdesk.store.repositories import History, HistoryFilter, Organizations, Projects
from ocrdesk.store.repositories.history import NewDocument
from ocrdesk.store.seed import INSERT_TRIGGERS

pytestmark = pytest.mark.anyio

COUNTS_BY_SCOPE = """
SELECT scope, status, n FROM (
    SELECT 'p:' || project_id AS scope, status, count(*) AS n FROM processing_history GROUP BY 1, 2
    UNION ALL SELECT 't:' || template_id, status, count(*) FROM processing_history WHERE template_id IS NOT NULL GROUP BY 1, 2
    UNION ALL SELECT 'b:' || batch_id, status, count(*) FROM processing_history WHERE batch_id IS NOT NULL GROUP BY 1, 2
) ORDER BY 1, 2
"""
DAYS = """
SELECT project_id, substr(created_at, 1, 10), status, count(*) FROM processing_history GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""


async def test_seed_matches_what_the_triggers_keep(tmp_path: Path) -> None:
    async with Database(tmp_path / "x.db", readers=1) as db:
        org = await Organizations(db).create("o")
        project = await Projects(db).create(org.id, "p")
        history = History(db)
        doc = NewDocument(file_name="Before.pdf", sha256="0" * 64, file_path="files/x", file_size=1,
                          mime_type="application/pdf", file_type="pdf")
        async with db.transaction() as conn:
            await History.add_document(conn, doc, project_id=project.id, organization_id=org.id, key_id="k" * 24,
                                       template_id=None, template_name=None, result_format="json", batch_id=None,
                                       priority="medium", metadata=None)
        n = await history.seed(project_id=project.id, organization_id=org.id, user_id=project.id, count=3000,
                               days=30, templates=3, batch_size=50)
        assert n == 3000
        # Triggers are back: a record added after the seed is counted by them.
        async with db.transaction() as conn:
            await History.add_document(conn, doc, project_id=project.id, organization_id=org.id, key_id="k" * 24,
                                       template_id=None, template_name=None, result_format="json", batch_id=None,
                                       priority="medium", metadata=None)
        names = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert set(INSERT_TRIGGERS) <= names

        kept = [tuple(r) for r in await db.fetchall("SELECT scope, status, n FROM history_counts WHERE n > 0 ORDER BY 1, 2")]
        assert kept == [tuple(r) for r in await db.fetchall(COUNTS_BY_SCOPE)]
        days = [tuple(r) for r in await db.fetchall(
            "SELECT project_id, day, status, n FROM history_days WHERE n > 0 ORDER BY 1, 2, 3")]
        assert days == [tuple(r) for r in await db.fetchall(DAYS)]
        assert await db.fetchval("SELECT count(*) FROM batches WHERE status = 'completed' AND total_files = 50") == 60

        for needle in ("invoice", "0001234", "seed template 2", "before"):
            got, total = await history.list(HistoryFilter(project_id=project.id, search=needle), limit=100)
            want = await db.fetchval("SELECT count(*) FROM processing_history WHERE instr(search_text, ?) > 0", (needle,))
            assert total == want and len(got) == min(100, want), needle
        stats = await history.stats(project.id)
        assert (stats.total, stats.completed, stats.processing) == (3002, 3000, 2)
