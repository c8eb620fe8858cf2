-- Up Migration

-- Opsflow's own alert channels are watched: messages that failed, or stayed pending over 10 minutes, in the last
-- hour (metric notification_failures in src/activities/alerts.ts). The page goes out through whichever channels
-- still work, since each recipient's copy is sent on its own.
INSERT INTO alert_rules (id, name, metric, comparison, threshold, window_minutes, severity, auto_resolve) VALUES
  ('notification-failures', 'Notifications failing or stuck', 'notification_failures', '>', 0, 60, 'P2', true)
ON CONFLICT (id) DO NOTHING;

-- Down Migration
DELETE FROM alert_events WHERE rule_id = 'notification-failures';
DELETE FROM alert_rules WHERE id = 'notification-failures';
