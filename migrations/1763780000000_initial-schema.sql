-- Up Migration

-- HighLevel app installs. Tokens are encrypted at rest (AES-256-GCM); key_id names the key for rotation.
CREATE TABLE hl_installations (
  id                 bigserial PRIMARY KEY,
  location_id        text,
  company_id         text NOT NULL,
  user_type          text NOT NULL CHECK (user_type IN ('Company', 'Location')),
  status             text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'expired', 'revoked', 'error')),
  access_token_enc   bytea,
  refresh_token_enc  bytea,
  token_key_id       text,
  token_version      integer NOT NULL DEFAULT 0,
  expires_at         timestamptz,
  last_refreshed_at  timestamptz,
  last_error         text,
  installed_at       timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (company_id, location_id)
);
CREATE INDEX hl_installations_expiry ON hl_installations (status, expires_at);

CREATE TABLE hl_audit_log (
  id          bigserial PRIMARY KEY,
  event_type  text NOT NULL,
  actor       text,
  ip_address  text,
  location_id text,
  details     jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hl_audit_log_type_time ON hl_audit_log (event_type, created_at);

CREATE TABLE token_refresh_logs (
  id              bigserial PRIMARY KEY,
  integration     text NOT NULL CHECK (integration IN ('highlevel', 'zoho')),
  installation_id bigint REFERENCES hl_installations (id) ON DELETE SET NULL,
  outcome         text NOT NULL CHECK (outcome IN ('refreshed', 'failed', 'skipped')),
  error_class     text,
  message         text,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX token_refresh_logs_time ON token_refresh_logs (created_at);

-- Local billing records and their ZOHO sync state.
CREATE TYPE sync_state AS ENUM ('pending', 'synced', 'failed', 'abandoned');

CREATE TABLE customers (
  id               bigserial PRIMARY KEY,
  reference        text NOT NULL UNIQUE,
  display_name     text NOT NULL,
  email            text NOT NULL,
  company_name     text,
  zoho_id          text UNIQUE,
  sync_state       sync_state NOT NULL DEFAULT 'pending',
  sync_attempts    integer NOT NULL DEFAULT 0,
  last_error_class text,
  last_error       text,
  synced_at        timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE subscriptions (
  id               bigserial PRIMARY KEY,
  reference        text NOT NULL UNIQUE,
  customer_id      bigint NOT NULL REFERENCES customers (id),
  plan_code        text NOT NULL,
  status           text NOT NULL DEFAULT 'live',
  amount           numeric(12, 2) NOT NULL,
  currency         text NOT NULL DEFAULT 'USD',
  zoho_id          text UNIQUE,
  sync_state       sync_state NOT NULL DEFAULT 'pending',
  sync_attempts    integer NOT NULL DEFAULT 0,
  last_error_class text,
  last_error       text,
  synced_at        timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE invoices (
  id               bigserial PRIMARY KEY,
  reference        text NOT NULL UNIQUE,
  customer_id      bigint NOT NULL REFERENCES customers (id),
  subscription_id  bigint REFERENCES subscriptions (id),
  invoice_date     date NOT NULL,
  total            numeric(12, 2) NOT NULL,
  currency         text NOT NULL DEFAULT 'USD',
  status           text NOT NULL DEFAULT 'sent',
  zoho_id          text UNIQUE,
  sync_state       sync_state NOT NULL DEFAULT 'pending',
  sync_attempts    integer NOT NULL DEFAULT 0,
  last_error_class text,
  last_error       text,
  synced_at        timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE payments (
  id               bigserial PRIMARY KEY,
  reference        text NOT NULL UNIQUE,
  customer_id      bigint NOT NULL REFERENCES customers (id),
  invoice_id       bigint REFERENCES invoices (id),
  payment_date     date NOT NULL,
  amount           numeric(12, 2) NOT NULL,
  payment_mode     text NOT NULL DEFAULT 'banktransfer',
  zoho_id          text UNIQUE,
  sync_state       sync_state NOT NULL DEFAULT 'pending',
  sync_attempts    integer NOT NULL DEFAULT 0,
  last_error_class text,
  last_error       text,
  synced_at        timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX customers_sync ON customers (sync_state, id);
CREATE INDEX subscriptions_sync ON subscriptions (sync_state, id);
CREATE INDEX invoices_sync ON invoices (sync_state, id);
CREATE INDEX payments_sync ON payments (sync_state, id);

CREATE TABLE zoho_sync_logs (
  id          bigserial PRIMARY KEY,
  entity      text NOT NULL CHECK (entity IN ('customers', 'subscriptions', 'invoices', 'payments')),
  record_id   bigint NOT NULL,
  run_id      text,
  outcome     text NOT NULL CHECK (outcome IN ('created', 'updated', 'linked', 'skipped', 'failed')),
  error_class text,
  message     text,
  duration_ms integer NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX zoho_sync_logs_time ON zoho_sync_logs (created_at, entity);

CREATE TABLE hl_contacts (
  id          bigserial PRIMARY KEY,
  location_id text NOT NULL,
  contact_id  text NOT NULL,
  email       text,
  phone       text,
  first_name  text,
  last_name   text,
  tags        text[] NOT NULL DEFAULT '{}',
  raw         jsonb NOT NULL DEFAULT '{}',
  remote_updated_at timestamptz,
  pulled_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (location_id, contact_id)
);

CREATE TABLE webhook_deliveries (
  id              bigserial PRIMARY KEY,
  target_url      text NOT NULL,
  event_type      text NOT NULL,
  payload         jsonb NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'abandoned')),
  attempts        integer NOT NULL DEFAULT 0,
  last_status_code integer,
  last_error      text,
  next_attempt_at timestamptz,
  delivered_at    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_status ON webhook_deliveries (status, next_attempt_at);

-- Opsflow's own records.
CREATE TABLE integration_health_logs (
  id          bigserial PRIMARY KEY,
  integration text NOT NULL,
  status      text NOT NULL CHECK (status IN ('healthy', 'degraded', 'down')),
  latency_ms  integer,
  details     jsonb NOT NULL DEFAULT '{}',
  run_id      text,
  checked_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX integration_health_logs_time ON integration_health_logs (integration, checked_at);
-- A retried activity writes the same check once.
CREATE UNIQUE INDEX integration_health_logs_once ON integration_health_logs (run_id, integration) WHERE run_id IS NOT NULL;

CREATE TABLE api_usage (
  integration     text NOT NULL,
  day             date NOT NULL,
  calls           integer NOT NULL DEFAULT 0,
  rate_limit_hits integer NOT NULL DEFAULT 0,
  errors          integer NOT NULL DEFAULT 0,
  PRIMARY KEY (integration, day)
);

CREATE TABLE alert_rules (
  id            text PRIMARY KEY,
  name          text NOT NULL,
  metric        text NOT NULL,
  comparison    text NOT NULL CHECK (comparison IN ('>', '>=', '<', '<=')),
  threshold     numeric NOT NULL,
  window_minutes integer NOT NULL DEFAULT 60,
  severity      text NOT NULL CHECK (severity IN ('P1', 'P2', 'P3', 'P4')),
  auto_resolve  boolean NOT NULL DEFAULT true,
  enabled       boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE alert_events (
  id         bigserial PRIMARY KEY,
  rule_id    text NOT NULL REFERENCES alert_rules (id),
  state      text NOT NULL CHECK (state IN ('firing', 'cleared')),
  value      numeric,
  incident_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_events_rule_time ON alert_events (rule_id, created_at);

CREATE TABLE incidents (
  id               text PRIMARY KEY,
  workflow_id      text NOT NULL UNIQUE,
  dedup_key        text,
  title            text NOT NULL,
  description      text,
  source           text,
  severity         text NOT NULL CHECK (severity IN ('P1', 'P2', 'P3', 'P4')),
  status           text NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
  level            integer NOT NULL DEFAULT 1,
  trigger_count    integer NOT NULL DEFAULT 1,
  opened_at        timestamptz NOT NULL,
  acknowledged_at  timestamptz,
  resolved_at      timestamptz,
  last_seen_at     timestamptz,
  postmortem       jsonb,
  timeline         jsonb NOT NULL DEFAULT '[]',
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incidents_status ON incidents (status, severity, opened_at);

CREATE TABLE runbook_reports (
  id          text PRIMARY KEY,
  kind        text NOT NULL,
  run_id      text,
  health      text,
  period_start timestamptz,
  period_end  timestamptz,
  data        jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX runbook_reports_kind_time ON runbook_reports (kind, created_at);

-- Outbox: the unique key makes a retried activity or a restarted worker send a message once.
CREATE TABLE notifications (
  id              bigserial PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE,
  channel         text NOT NULL CHECK (channel IN ('email', 'webhook', 'sms')),
  target          text NOT NULL,
  subject         text,
  body            jsonb NOT NULL DEFAULT '{}',
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  last_error      text,
  provider_id     text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz
);

CREATE TABLE api_audit_log (
  id          bigserial PRIMARY KEY,
  actor       text NOT NULL,
  role        text NOT NULL,
  method      text NOT NULL,
  path        text NOT NULL,
  status      integer NOT NULL,
  idempotency_key text,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_audit_log_time ON api_audit_log (created_at);

-- Retention targets (see the monthly runbook).
CREATE TABLE user_sessions (
  id         text PRIMARY KEY,
  user_id    text NOT NULL,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_sessions_expiry ON user_sessions (expires_at);

CREATE TABLE otp_codes (
  id         bigserial PRIMARY KEY,
  user_id    text NOT NULL,
  code_hash  text NOT NULL,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX otp_codes_created ON otp_codes (created_at);

-- Down Migration
DROP TABLE otp_codes, user_sessions, api_audit_log, notifications, runbook_reports, incidents, alert_events,
  alert_rules, api_usage, integration_health_logs, webhook_deliveries, hl_contacts, zoho_sync_logs, payments,
  invoices, subscriptions, customers, token_refresh_logs, hl_audit_log, hl_installations;
DROP TYPE sync_state;
