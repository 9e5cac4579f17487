-- ocrdesk schema, version 1.
-- Ids are 24 lowercase hex characters (ObjectId style); times are ISO-8601 UTC strings with
-- milliseconds and Z, so text order is time order. JSON columns hold compact JSON text.

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE projects (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    name            TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    is_active       INTEGER NOT NULL DEFAULT 1,
    settings        TEXT NOT NULL DEFAULT '{}',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX projects_by_org ON projects(organization_id, is_active, created_at);

CREATE TABLE api_keys (
    id              TEXT PRIMARY KEY,
    key_hash        TEXT NOT NULL UNIQUE,          -- sha256 hex of the raw key; the raw key is never stored
    key_prefix      TEXT NOT NULL,                 -- first characters, to recognise a key in listings
    name            TEXT NOT NULL,
    type            TEXT NOT NULL CHECK (type IN ('organization', 'project')),
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    project_id      TEXT REFERENCES projects(id),
    expires_at      TEXT,
    revoked_at      TEXT,
    created_at      TEXT NOT NULL,
    CHECK ((type = 'project') = (project_id IS NOT NULL))
);

CREATE TABLE templates (
    id              TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL REFERENCES projects(id),
    name            TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    template_schema TEXT NOT NULL,
    instructions    TEXT,
    result_format   TEXT NOT NULL,
    extraction_mode TEXT NOT NULL,
    is_active       INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX templates_by_project ON templates(project_id, created_at);

CREATE TABLE uploads (
    id              TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL REFERENCES projects(id),
    organization_id TEXT NOT NULL,
    key_id          TEXT NOT NULL,
    file_name       TEXT NOT NULL,
    sha256          TEXT NOT NULL,                 -- content address under <data>/files
    file_size       INTEGER NOT NULL,
    mime_type       TEXT NOT NULL,
    file_type       TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX uploads_by_sha ON uploads(sha256);

CREATE TABLE batches (
    id              TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL REFERENCES projects(id),
    organization_id TEXT NOT NULL,
    template_id     TEXT,
    template_name   TEXT,
    name            TEXT NOT NULL,
    total_files     INTEGER NOT NULL DEFAULT 0,
    completed_files INTEGER NOT NULL DEFAULT 0,
    failed_files    INTEGER NOT NULL DEFAULT 0,
    status          TEXT NOT NULL DEFAULT 'processing',
    metadata        TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX batches_by_project ON batches(project_id, created_at DESC, id DESC);

CREATE TABLE processing_history (
    id               TEXT NOT NULL UNIQUE,
    upload_id        TEXT NOT NULL,
    project_id       TEXT NOT NULL,
    organization_id  TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    file_name        TEXT NOT NULL,
    file_path        TEXT NOT NULL,
    file_size        INTEGER NOT NULL,
    mime_type        TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'queued', 'in_progress', 'completed', 'failed', 'retention_expired')),
    template_id      TEXT,
    template_name    TEXT,
    batch_id         TEXT,
    result_format    TEXT NOT NULL DEFAULT 'json',
    priority         TEXT NOT NULL DEFAULT 'medium',
    priority_rank    INTEGER NOT NULL DEFAULT 1,   -- high 2, medium 1, low 0: claim order
    processing_result TEXT,                       -- JSON, SPEC §4.4
    result_text      TEXT,                        -- the recognised text, pages separated by form feed
    error            TEXT,
    page_count       INTEGER,
    attempts         INTEGER NOT NULL DEFAULT 0,
    worker_id        TEXT,
    metadata         TEXT,
    search_text      TEXT NOT NULL,                -- casefold(file_name) || x'1f' || casefold(template_name)
    started_at       TEXT,
    completed_at     TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
-- Every list filter is scoped to one project and ordered newest first.
CREATE INDEX history_by_project ON processing_history(project_id, created_at DESC, id DESC);
CREATE INDEX history_by_status ON processing_history(project_id, status, created_at DESC, id DESC);
CREATE INDEX history_by_template ON processing_history(template_id, created_at DESC, id DESC) WHERE template_id IS NOT NULL;
CREATE INDEX history_by_batch ON processing_history(batch_id, created_at DESC, id DESC) WHERE batch_id IS NOT NULL;
-- The queue: claim highest priority first, then oldest.
CREATE INDEX history_queue ON processing_history(priority_rank DESC, created_at, id) WHERE status = 'queued';
CREATE INDEX history_running ON processing_history(worker_id) WHERE status = 'in_progress';

-- Substring search (case-insensitive) on file and template name: a trigram index.
CREATE VIRTUAL TABLE history_search USING fts5(
    search_text, content='processing_history', content_rowid='rowid', tokenize='trigram case_sensitive 1'
);
CREATE TRIGGER history_search_ai AFTER INSERT ON processing_history BEGIN
    INSERT INTO history_search(rowid, search_text) VALUES (new.rowid, new.search_text);
END;
CREATE TRIGGER history_search_ad AFTER DELETE ON processing_history BEGIN
    INSERT INTO history_search(history_search, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
END;
CREATE TRIGGER history_search_au AFTER UPDATE OF search_text ON processing_history BEGIN
    INSERT INTO history_search(history_search, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
    INSERT INTO history_search(rowid, search_text) VALUES (new.rowid, new.search_text);
END;

-- Counters kept by triggers, so stats and unfiltered totals cost O(1) at any table size.
-- scope is 'p:<projectId>', 't:<templateId>' or 'b:<batchId>'.
CREATE TABLE history_counts (
    scope   TEXT NOT NULL,
    status  TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (scope, status)
) WITHOUT ROWID;

CREATE TRIGGER history_counts_ai AFTER INSERT ON processing_history BEGIN
    INSERT INTO history_counts(scope, status, n) VALUES ('p:' || new.project_id, new.status, 1)
        ON CONFLICT(scope, status) DO UPDATE SET n = n + 1;
    INSERT INTO history_counts(scope, status, n) SELECT 't:' || new.template_id, new.status, 1
        WHERE new.template_id IS NOT NULL
        ON CONFLICT(scope, status) DO UPDATE SET n = n + 1;
    INSERT INTO history_counts(scope, status, n) SELECT 'b:' || new.batch_id, new.status, 1
        WHERE new.batch_id IS NOT NULL
        ON CONFLICT(scope, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER history_counts_ad AFTER DELETE ON processing_history BEGIN
    UPDATE history_counts SET n = n - 1 WHERE status = old.status AND scope IN
        ('p:' || old.project_id, 't:' || old.template_id, 'b:' || old.batch_id);
END;

CREATE TRIGGER history_counts_au AFTER UPDATE OF status ON processing_history
WHEN old.status <> new.status BEGIN
    UPDATE history_counts SET n = n - 1 WHERE status = old.status AND scope IN
        ('p:' || old.project_id, 't:' || old.template_id, 'b:' || old.batch_id);
    INSERT INTO history_counts(scope, status, n) VALUES ('p:' || new.project_id, new.status, 1)
        ON CONFLICT(scope, status) DO UPDATE SET n = n + 1;
    INSERT INTO history_counts(scope, status, n) SELECT 't:' || new.template_id, new.status, 1
        WHERE new.template_id IS NOT NULL
        ON CONFLICT(scope, status) DO UPDATE SET n = n + 1;
    INSERT INTO history_counts(scope, status, n) SELECT 'b:' || new.batch_id, new.status, 1
        WHERE new.batch_id IS NOT NULL
        ON CONFLICT(scope, status) DO UPDATE SET n = n + 1;
END;

-- A batch follows its records: counters and status change in the same transaction.
CREATE TRIGGER batch_progress AFTER UPDATE OF status ON processing_history
WHEN new.batch_id IS NOT NULL AND old.status <> new.status
     AND (new.status IN ('completed', 'failed') OR old.status IN ('completed', 'failed')) BEGIN
    UPDATE batches SET
        completed_files = completed_files + (new.status = 'completed') - (old.status = 'completed'),
        failed_files = failed_files + (new.status = 'failed') - (old.status = 'failed'),
        updated_at = new.updated_at
    WHERE id = new.batch_id;
    UPDATE batches SET status = CASE
            WHEN completed_files + failed_files < total_files THEN 'processing'
            WHEN failed_files = 0 THEN 'completed'
            WHEN completed_files = 0 THEN 'failed'
            ELSE 'partial' END
    WHERE id = new.batch_id;
END;

-- Live workers (serve's and `ocrdesk worker`'s); a job whose worker stopped beating is re-queued.
CREATE TABLE workers (
    id            TEXT PRIMARY KEY,
    pid           INTEGER NOT NULL,
    hostname      TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    heartbeat_at  TEXT NOT NULL
);

-- Idempotency-Key replay for POST /upload and /batch/upload (24 h).
CREATE TABLE idempotency_keys (
    key_id        TEXT NOT NULL,
    idem_key      TEXT NOT NULL,
    path          TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    status_code   INTEGER NOT NULL,
    response      TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (key_id, idem_key)
) WITHOUT ROWID;
CREATE INDEX idempotency_by_age ON idempotency_keys(created_at);
