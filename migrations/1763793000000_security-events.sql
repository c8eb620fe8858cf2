-- Up Migration
-- Every request the API refused for want of a valid credential: its type, where it came from and what it asked
-- for. Never the presented token, signature or state (docs/security.md).
CREATE TABLE security_events (
  id bigserial PRIMARY KEY,
  type text NOT NULL,
  source_ip text,
  method text,
  route text,
  actor text,
  details jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX security_events_type_created_at ON security_events (type, created_at);

-- Down Migration
DROP TABLE security_events;
