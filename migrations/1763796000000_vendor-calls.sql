-- Up Migration
-- One row per HTTP call to a vendor (HighLevel, ZOHO), written by the clients with their usage counts: the weekly
-- report's latency p50 / p95 per integration and per endpoint group, and each group's most frequent error.
-- `endpoint_group` is `<integration>:<group>` from the request path (src/integrations/api-usage.ts); `status` is
-- null when no answer came; `error_class` is null for a call that succeeded. The monthly retention deletes rows
-- older than OPSFLOW_VENDOR_CALLS_RETENTION_DAYS (35 by default, so last week's comparison always has its rows).
CREATE TABLE vendor_calls (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  integration    text NOT NULL,
  endpoint_group text NOT NULL,
  method         text NOT NULL,
  status         integer,
  duration_ms    integer NOT NULL,
  error_class    text,
  called_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vendor_calls_time ON vendor_calls (called_at);

-- Down Migration
DROP TABLE vendor_calls;
