-- Up Migration

-- One row per reconciliation run: what was compared and, per entity, the summary counts and amounts.
CREATE TABLE reconciliations (
  id           text PRIMARY KEY,
  integration  text NOT NULL CHECK (integration IN ('zoho')),
  entities     text[] NOT NULL,
  repair       text NOT NULL CHECK (repair IN ('none', 'approval', 'auto')),
  status       text NOT NULL DEFAULT 'running',
  summary      jsonb NOT NULL DEFAULT '{}',
  decided_by   text,
  decision     text CHECK (decision IN ('approved', 'rejected', 'timed-out')),
  repair_workflow_id text,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz
);

-- Remote keys and compared fields of one reconciliation, written page by page while ZOHO is listed, so the
-- comparison runs as SQL over two sorted sets instead of arrays in memory. Deleted when the report is done.
CREATE TABLE reconciliation_remote (
  reconciliation_id text NOT NULL REFERENCES reconciliations (id) ON DELETE CASCADE,
  entity            text NOT NULL,
  zoho_id           text NOT NULL,
  reference         text,
  fields            jsonb NOT NULL,
  PRIMARY KEY (reconciliation_id, entity, zoho_id)
);
CREATE INDEX reconciliation_remote_reference ON reconciliation_remote (reconciliation_id, entity, reference);

-- The stored mismatch report: one row per record that differs.
CREATE TABLE reconciliation_mismatches (
  reconciliation_id text NOT NULL REFERENCES reconciliations (id) ON DELETE CASCADE,
  entity            text NOT NULL,
  kind              text NOT NULL CHECK (kind IN ('missing-remote', 'missing-local', 'different')),
  reference         text NOT NULL,
  record_id         bigint,
  zoho_id           text,
  fields            jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (reconciliation_id, entity, kind, reference)
);

-- Down Migration
DROP TABLE reconciliation_mismatches, reconciliation_remote, reconciliations;
