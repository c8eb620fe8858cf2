-- Up Migration

-- One evaluation of a rule per monitor run: a retried activity records its state change once.
ALTER TABLE alert_events ADD COLUMN run_id text;
CREATE UNIQUE INDEX alert_events_once ON alert_events (rule_id, run_id) WHERE run_id IS NOT NULL;

-- A retried "store the report" activity writes one report per run.
CREATE UNIQUE INDEX runbook_reports_run ON runbook_reports (run_id) WHERE run_id IS NOT NULL;

-- The default alert rules. Metrics are computed by src/activities/alerts.ts; thresholds are percentages or counts.
INSERT INTO alert_rules (id, name, metric, comparison, threshold, window_minutes, severity, auto_resolve) VALUES
  ('api-error-rate', 'API error rate above 5 %', 'api_error_rate', '>', 5, 1440, 'P2', true),
  ('sync-success-rate', 'ZOHO sync success rate below 98 %', 'sync_success_rate', '<', 98, 60, 'P2', true),
  ('tokens-expiring', 'HighLevel tokens expiring within 24 h', 'tokens_expiring_24h', '>', 0, 1440, 'P3', true),
  ('api-quota', 'Daily API quota use above 80 %', 'api_quota_pct', '>', 80, 1440, 'P2', true),
  ('webhook-failure-rate', 'Webhook delivery failure rate above 10 %', 'webhook_failure_rate', '>', 10, 60, 'P3', true)
ON CONFLICT (id) DO NOTHING;

-- Down Migration
DELETE FROM alert_events WHERE rule_id IN ('api-error-rate', 'sync-success-rate', 'tokens-expiring', 'api-quota', 'webhook-failure-rate');
DELETE FROM alert_rules WHERE id IN ('api-error-rate', 'sync-success-rate', 'tokens-expiring', 'api-quota', 'webhook-failure-rate');
DROP INDEX runbook_reports_run;
DROP INDEX alert_events_once;
ALTER TABLE alert_events DROP COLUMN run_id;
