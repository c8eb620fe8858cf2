-- Up Migration

-- Incoming HighLevel webhooks already accepted, by the vendor's webhook id: a replay of the same delivery is
-- refused. Rows older than the signature tolerance can be deleted (a replay that old fails the timestamp check).
CREATE TABLE hl_webhook_events (
  webhook_id      text PRIMARY KEY,
  event_type      text NOT NULL,
  company_id      text,
  location_id     text,
  event_timestamp timestamptz NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hl_webhook_events_received ON hl_webhook_events (received_at);

-- Down Migration
DROP TABLE hl_webhook_events;
