-- Up Migration

-- A dedup key whose incident was resolved opens a new incident under the same workflow id (a new run), so the
-- workflow id no longer identifies one incident; the incident id does.
ALTER TABLE incidents DROP CONSTRAINT incidents_workflow_id_key;
CREATE INDEX incidents_workflow ON incidents (workflow_id, opened_at);
ALTER TABLE incidents ADD COLUMN assignee text;
-- The workflow's state version last written: a late retry of an older mirror write never overwrites a newer one.
ALTER TABLE incidents ADD COLUMN mirror_version integer NOT NULL DEFAULT 0;

-- Maintenance windows pause the escalation of matching open incidents while they last.
CREATE TABLE maintenance_windows (
  id          text PRIMARY KEY,
  starts_at   timestamptz NOT NULL,
  ends_at     timestamptz NOT NULL,
  reason      text NOT NULL,
  -- NULL matches every severity / source.
  severities  text[],
  sources     text[],
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at)
);
CREATE INDEX maintenance_windows_time ON maintenance_windows (ends_at, starts_at);

-- Down Migration
DROP TABLE maintenance_windows;
ALTER TABLE incidents DROP COLUMN mirror_version;
ALTER TABLE incidents DROP COLUMN assignee;
DROP INDEX incidents_workflow;
ALTER TABLE incidents ADD CONSTRAINT incidents_workflow_id_key UNIQUE (workflow_id);
