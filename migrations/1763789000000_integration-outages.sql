-- Up Migration

-- Outage paging (src/incidents/outages.ts): per integration and kind ('down', 'degraded'), how many monitor checks
-- in a row were bad or good, and the incident the outage opened while it is open. last_run_id / last_decision make
-- a retried monitor step answer the same decision without counting the run twice.
CREATE TABLE integration_outages (
  integration      text NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('down', 'degraded')),
  consecutive_bad  int NOT NULL DEFAULT 0,
  consecutive_good int NOT NULL DEFAULT 0,
  incident_id      text,
  last_run_id      text,
  last_decision    jsonb,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (integration, kind)
);

-- Down Migration

DROP TABLE integration_outages;
