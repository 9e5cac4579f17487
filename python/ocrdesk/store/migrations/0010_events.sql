-- Events, webhooks and file retention (SPEC §4.3).
--
-- Outbox: every event is a row of `events`, written by triggers in the same transaction as the
-- state change it reports, so an event exists if and only if the change committed. A trigger
-- on `events` then writes one `webhook_deliveries` row per matching webhook (same transaction).
-- A background task (ocrdesk.queue.webhooks) sends the deliveries; SSE reads `events` by `seq`.

CREATE TABLE events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,   -- commit order (SQLite has one writer)
    id              TEXT NOT NULL,                       -- evt_<unixMs>_<6 chars>
    event_type      TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    project_id      TEXT NOT NULL,
    subject         TEXT NOT NULL,                       -- document:<recordId> | batch:<id> | template:<id>
    payload         TEXT NOT NULL,                       -- JSON
    created_at      TEXT NOT NULL
);
CREATE INDEX events_by_id ON events(id);
CREATE INDEX events_by_org ON events(organization_id, seq);
CREATE INDEX events_by_subject ON events(subject, event_type);
CREATE INDEX events_by_age ON events(created_at);

CREATE TABLE webhooks (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    project_id      TEXT REFERENCES projects(id),        -- NULL: every project of the organization
    key_id          TEXT NOT NULL,                       -- the key that created it
    url             TEXT NOT NULL,
    events          TEXT NOT NULL,                       -- JSON array of event types
    secret          TEXT NOT NULL,
    is_active       INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX webhooks_by_org ON webhooks(organization_id, is_active);

CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    webhook_id       TEXT NOT NULL REFERENCES webhooks(id),
    event_seq        INTEGER NOT NULL,
    subject          TEXT NOT NULL,                      -- deliveries of one subject go out in order
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    lease_until      TEXT,                               -- a sender holds it until then (crash-safe claim)
    last_status_code INTEGER,
    last_error       TEXT,
    last_duration_ms INTEGER,
    delivered_at     TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_in_order ON webhook_deliveries(webhook_id, subject, event_seq) WHERE status = 'pending';
CREATE INDEX deliveries_by_webhook ON webhook_deliveries(webhook_id, event_seq DESC);
CREATE INDEX deliveries_by_event ON webhook_deliveries(event_seq);

CREATE TRIGGER events_fan_out AFTER INSERT ON events BEGIN
    INSERT INTO webhook_deliveries (id, webhook_id, event_seq, subject, status, attempts, next_attempt_at,
                                    created_at, updated_at)
    SELECT printf('%08x', CAST(strftime('%s', 'now') AS INTEGER)) || lower(hex(randomblob(8))),
           w.id, new.seq, new.subject, 'pending', 0, new.created_at, new.created_at, new.created_at
    FROM webhooks w
    WHERE w.organization_id = new.organization_id AND w.is_active = 1
      AND (w.project_id IS NULL OR w.project_id = new.project_id)
      AND EXISTS (SELECT 1 FROM json_each(w.events) WHERE value = new.event_type);
END;

-- A record whose file expired keeps its place in its batch's counters: completed -> retention_expired
-- is not a change of outcome. (Same trigger as 0001 plus the retention_expired exclusion.)
-- It is created before the event triggers on purpose: SQLite fires the newest trigger first, so
-- document.processed is written before the batch.completed it causes.
DROP TRIGGER batch_progress;
CREATE TRIGGER batch_progress AFTER UPDATE OF status ON processing_history
WHEN new.batch_id IS NOT NULL AND old.status <> new.status
     AND new.status <> 'retention_expired' AND old.status <> 'retention_expired'
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

-- document.uploaded: a record created for processing (bulk-seeded `completed` rows are not uploads).
CREATE TRIGGER events_document_uploaded AFTER INSERT ON processing_history
WHEN new.status IN ('pending', 'queued') BEGIN
    INSERT INTO events (id, event_type, organization_id, project_id, subject, payload, created_at)
    VALUES (
        'evt_' || CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) || '_' || lower(hex(randomblob(3))),
        'document.uploaded', new.organization_id, new.project_id, 'document:' || new.id,
        json_object('id', new.id, 'processingHistoryId', new.id, 'uploadId', new.upload_id,
            'projectId', new.project_id, 'fileName', new.file_name,
            'fileUrl', '/v1/openapi/files/' || new.upload_id, 'fileSize', CAST(new.file_size AS TEXT),
            'mimeType', new.mime_type, 'status', new.status, 'templateId', new.template_id,
            'templateName', new.template_name, 'batchId', new.batch_id, 'resultFormat', new.result_format,
            'priority', new.priority, 'createdAt', new.created_at),
        strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

-- document.processed / document.failed: the record reached a final state.
CREATE TRIGGER events_document_finished AFTER UPDATE OF status ON processing_history
WHEN new.status IN ('completed', 'failed') AND old.status NOT IN ('completed', 'failed', 'retention_expired') BEGIN
    INSERT INTO events (id, event_type, organization_id, project_id, subject, payload, created_at)
    VALUES (
        'evt_' || CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) || '_' || lower(hex(randomblob(3))),
        CASE new.status WHEN 'completed' THEN 'document.processed' ELSE 'document.failed' END,
        new.organization_id, new.project_id, 'document:' || new.id,
        json_object('id', new.id, 'processingHistoryId', new.id, 'uploadId', new.upload_id,
            'projectId', new.project_id, 'fileName', new.file_name,
            'fileUrl', '/v1/openapi/files/' || new.upload_id, 'fileSize', CAST(new.file_size AS TEXT),
            'mimeType', new.mime_type, 'status', new.status, 'templateId', new.template_id,
            'templateName', new.template_name, 'batchId', new.batch_id, 'resultFormat', new.result_format,
            'priority', new.priority, 'error', new.error, 'pageCount', new.page_count,
            'startedAt', new.started_at, 'completedAt', new.completed_at, 'createdAt', new.created_at,
            'updatedAt', new.updated_at),
        strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

-- batch.completed: once per batch, when it leaves `processing` for completed / partial / failed.
CREATE TRIGGER events_batch_completed AFTER UPDATE OF status ON batches
WHEN old.status = 'processing' AND new.status IN ('completed', 'partial', 'failed')
     AND NOT EXISTS (SELECT 1 FROM events WHERE subject = 'batch:' || new.id AND event_type = 'batch.completed') BEGIN
    INSERT INTO events (id, event_type, organization_id, project_id, subject, payload, created_at)
    VALUES (
        'evt_' || CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) || '_' || lower(hex(randomblob(3))),
        'batch.completed', new.organization_id, new.project_id, 'batch:' || new.id,
        json_object('id', new.id, 'name', new.name, 'projectId', new.project_id,
            'organizationId', new.organization_id, 'templateId', new.template_id,
            'templateName', new.template_name, 'totalFiles', new.total_files,
            'completedFiles', new.completed_files, 'failedFiles', new.failed_files, 'status', new.status,
            'progress', CASE WHEN new.total_files > 0
                THEN (new.completed_files + new.failed_files) * 100 / new.total_files ELSE 0 END,
            'createdAt', new.created_at, 'updatedAt', new.updated_at),
        strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

-- template.created / template.updated / template.deleted (soft delete = isActive 1 -> 0).
CREATE TRIGGER events_template_created AFTER INSERT ON templates BEGIN
    INSERT INTO events (id, event_type, organization_id, project_id, subject, payload, created_at)
    SELECT 'evt_' || CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) || '_' || lower(hex(randomblob(3))),
        'template.created', p.organization_id, new.project_id, 'template:' || new.id,
        json_object('templateId', new.id, 'name', new.name, 'description', new.description,
            'templateSchema', json(new.template_schema), 'instructions', new.instructions,
            'projectId', new.project_id, 'isActive', json(CASE WHEN new.is_active THEN 'true' ELSE 'false' END),
            'resultFormat', new.result_format, 'extractionMode', new.extraction_mode,
            'createdAt', new.created_at, 'updatedAt', new.updated_at),
        strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    FROM projects p WHERE p.id = new.project_id;
END;

CREATE TRIGGER events_template_changed AFTER UPDATE ON templates
WHEN new.is_active = 1 OR old.is_active = 1 BEGIN
    INSERT INTO events (id, event_type, organization_id, project_id, subject, payload, created_at)
    SELECT 'evt_' || CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) || '_' || lower(hex(randomblob(3))),
        CASE WHEN old.is_active = 1 AND new.is_active = 0 THEN 'template.deleted' ELSE 'template.updated' END,
        p.organization_id, new.project_id, 'template:' || new.id,
        json_object('templateId', new.id, 'name', new.name, 'description', new.description,
            'templateSchema', json(new.template_schema), 'instructions', new.instructions,
            'projectId', new.project_id, 'isActive', json(CASE WHEN new.is_active THEN 'true' ELSE 'false' END),
            'resultFormat', new.result_format, 'extractionMode', new.extraction_mode,
            'createdAt', new.created_at, 'updatedAt', new.updated_at),
        strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    FROM projects p WHERE p.id = new.project_id;
END;

-- File retention: the stored file of an upload was removed on this date.
ALTER TABLE uploads ADD COLUMN expired_at TEXT;
CREATE INDEX uploads_by_project_age ON uploads(project_id, created_at) WHERE expired_at IS NULL;
