-- Up Migration

-- Vendor calls per minute (src/integrations/api-usage.ts, call-budget.ts): api_usage is per day, too coarse for an
-- error rate over the last hour or the 150 calls/min ZOHO limit. A call booked through the call budget is counted
-- in the minute its slot goes out.
CREATE TABLE api_usage_minutes (
  integration     text NOT NULL,
  minute          timestamptz NOT NULL,
  calls           integer NOT NULL DEFAULT 0,
  rate_limit_hits integer NOT NULL DEFAULT 0,
  errors          integer NOT NULL DEFAULT 0,
  PRIMARY KEY (integration, minute)
);
CREATE INDEX api_usage_minutes_time ON api_usage_minutes (minute);

-- The error rate is the last hour's, per integration (it was a sum over the days the window touched). A window an
-- operator already changed is left as it is.
UPDATE alert_rules SET window_minutes = 60 WHERE id = 'api-error-rate' AND window_minutes = 1440;

-- The rest of the default rules. Metrics are computed by src/activities/alerts.ts.
INSERT INTO alert_rules (id, name, metric, comparison, threshold, window_minutes, severity, auto_resolve) VALUES
  ('zoho-minute-quota', 'ZOHO calls per minute above 80 % of 150', 'zoho_minute_quota_pct', '>', 80, 5, 'P3', true),
  ('rate-limit-hits', 'Vendor rate-limit answers (HTTP 429)', 'rate_limit_hits', '>', 0, 15, 'P3', true),
  ('vendor-latency', 'Integration latency above 2 s', 'vendor_latency_ms', '>', 2000, 15, 'P3', true),
  ('integration-down', 'An integration is down', 'integrations_down', '>', 0, 15, 'P2', true)
ON CONFLICT (id) DO NOTHING;

-- Off by default: outage paging (integration_outages) already opens one incident per integration after failed
-- checks in a row, and keeps a flapping integration quiet; this rule fires on a single failed check. Enable it
-- (UPDATE alert_rules SET enabled = true WHERE id = 'integration-down') for one aggregate page as well.
UPDATE alert_rules SET enabled = false WHERE id = 'integration-down';

-- Down Migration
DELETE FROM alert_events WHERE rule_id IN ('zoho-minute-quota', 'rate-limit-hits', 'vendor-latency', 'integration-down');
DELETE FROM alert_rules WHERE id IN ('zoho-minute-quota', 'rate-limit-hits', 'vendor-latency', 'integration-down');
UPDATE alert_rules SET window_minutes = 1440 WHERE id = 'api-error-rate' AND window_minutes = 60;
DROP TABLE api_usage_minutes;
