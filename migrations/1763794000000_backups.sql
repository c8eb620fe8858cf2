-- Up Migration
-- One row per backup run (nightly schedule or POST /backups). A backup is trusted only once `status = 'verified'`:
-- its dump was restored into a scratch database, every table's row count matched the source at dump time and the
-- restored schema was current (docs/production.md, "Backups").
CREATE TABLE backups (
  id text PRIMARY KEY,
  trigger text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'verified', 'unverified', 'failed')),
  started_at timestamptz NOT NULL DEFAULT now(),
  dumped_at timestamptz,
  finished_at timestamptz,
  file_path text,
  size_bytes bigint,
  sha256 text,
  pg_dump_version text,
  server_version text,
  -- Row count of every table at dump time, taken in the dump's own snapshot: {"incidents": 12, ...}.
  source_counts jsonb,
  restored_counts jsonb,
  verified_at timestamptz,
  -- Why the backup failed or could not be verified, in words an operator can act on.
  error text,
  incident_id text,
  -- Set when retention removed the file; the row stays as the record that the backup existed.
  deleted_at timestamptz
);
CREATE INDEX backups_status_started_at ON backups (status, started_at DESC);

-- Down Migration
DROP TABLE backups;
