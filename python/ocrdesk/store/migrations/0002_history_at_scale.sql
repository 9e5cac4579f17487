-- History lists at millions of records (measured at 1,000,000; see benches/test_server_history.py).
--
-- 1. Ascending indexes. SQLite walks an index backwards for "newest first" just as fast, and
--    the usual insert (the newest record) then appends at the right end, which fills pages;
--    the DESC indexes of 0001 took every insert at their left end and stayed half empty.
-- 2. Every list index starts with project_id, so a filter never visits rows of other
--    projects (and skipping OFFSET rows stays inside the index).
-- 3. history_by_project carries search_text: a common search walks it newest first, checks
--    the substring in the index, and stops after one page.
-- 4. history_days: per project, UTC day and status, kept by triggers like history_counts, so
--    a fromDate/toDate total sums at most one row per day and status instead of counting rows.

DROP INDEX history_by_project;
DROP INDEX history_by_status;
DROP INDEX history_by_template;
DROP INDEX history_by_batch;
CREATE INDEX history_by_project ON processing_history(project_id, created_at, id, search_text);
CREATE INDEX history_by_status ON processing_history(project_id, status, created_at, id);
CREATE INDEX history_by_template ON processing_history(project_id, template_id, created_at, id) WHERE template_id IS NOT NULL;
CREATE INDEX history_by_batch ON processing_history(project_id, batch_id, created_at, id) WHERE batch_id IS NOT NULL;

CREATE TABLE history_days (
    project_id TEXT NOT NULL,
    day        TEXT NOT NULL,   -- YYYY-MM-DD (UTC) of created_at
    status     TEXT NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (project_id, day, status)
) WITHOUT ROWID;

INSERT INTO history_days(project_id, day, status, n)
SELECT project_id, substr(created_at, 1, 10), status, count(*) FROM processing_history
GROUP BY project_id, substr(created_at, 1, 10), status;

CREATE TRIGGER history_days_ai AFTER INSERT ON processing_history BEGIN
    INSERT INTO history_days(project_id, day, status, n) VALUES (new.project_id, substr(new.created_at, 1, 10), new.status, 1)
        ON CONFLICT(project_id, day, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER history_days_ad AFTER DELETE ON processing_history BEGIN
    UPDATE history_days SET n = n - 1
    WHERE project_id = old.project_id AND day = substr(old.created_at, 1, 10) AND status = old.status;
END;

CREATE TRIGGER history_days_au AFTER UPDATE OF status ON processing_history
WHEN old.status <> new.status BEGIN
    UPDATE history_days SET n = n - 1
    WHERE project_id = old.project_id AND day = substr(old.created_at, 1, 10) AND status = old.status;
    INSERT INTO history_days(project_id, day, status, n) VALUES (new.project_id, substr(new.created_at, 1, 10), new.status, 1)
        ON CONFLICT(project_id, day, status) DO UPDATE SET n = n + 1;
END;
