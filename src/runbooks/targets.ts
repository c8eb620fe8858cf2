import { WEBHOOK_REPLAY_PROTECTION_MS } from '../integrations/highlevel/webhook-window.js';

/**
 * The monthly runbook's declared targets and policies: pure data, shared by the workflow (which loops and judges)
 * and the activities (which query and delete).
 */

/**
 * A retention policy: rows of `table` whose `ageColumn` is older than `maxAgeDays` are deleted by the monthly
 * runbook, in bounded batches.
 */
export interface RetentionPolicy {
  name: string;
  table: string;
  ageColumn: string;
  maxAgeDays: number;
  /** Rows younger than this are never deleted, whatever `maxAgeDays` a run asks for (a protection window). */
  keepAtLeastMs?: number;
  /** Patch id of a policy added after runs were recorded: those replay without it (docs/changing-workflows.md). */
  patch?: string;
}

export const RETENTION_POLICIES: readonly RetentionPolicy[] = [
  { name: 'expired-sessions', table: 'user_sessions', ageColumn: 'expires_at', maxAgeDays: 0 },
  { name: 'old-otp-codes', table: 'otp_codes', ageColumn: 'created_at', maxAgeDays: 7 },
  { name: 'health-logs', table: 'integration_health_logs', ageColumn: 'checked_at', maxAgeDays: 30 },
  { name: 'sync-logs', table: 'zoho_sync_logs', ageColumn: 'created_at', maxAgeDays: 90 },
  { name: 'token-refresh-logs', table: 'token_refresh_logs', ageColumn: 'created_at', maxAgeDays: 90 },
  { name: 'alert-events', table: 'alert_events', ageColumn: 'created_at', maxAgeDays: 180 },
  { name: 'api-audit-log', table: 'api_audit_log', ageColumn: 'created_at', maxAgeDays: 365 },
  {
    // Accepted webhook ids: kept a month for troubleshooting, and never less than the replay-protection window.
    name: 'webhook-events',
    table: 'hl_webhook_events',
    ageColumn: 'received_at',
    maxAgeDays: 30,
    keepAtLeastMs: WEBHOOK_REPLAY_PROTECTION_MS,
    patch: 'retention-webhook-events',
  },
  {
    // Per-minute API call counts feed the alert rules' short windows; the daily totals in api_usage stay.
    name: 'api-usage-minutes',
    table: 'api_usage_minutes',
    ageColumn: 'minute',
    maxAgeDays: 7,
    patch: 'retention-api-usage-minutes',
  },
  {
    // Timed vendor calls behind the weekly latency figures: this week and the previous one are all a report reads.
    // The schedule passes OPSFLOW_VENDOR_CALLS_RETENTION_DAYS in place of this default (monthlyRunbookInput).
    name: 'vendor-calls',
    table: 'vendor_calls',
    ageColumn: 'called_at',
    maxAgeDays: 35,
    patch: 'retention-vendor-calls',
  },
];

/**
 * The cutoff of a policy at `asOf`: rows whose age column is before it are deleted. `maxAgeDays` overrides the
 * policy's period (a run's input); the protection window still holds.
 *
 * @example
 * retentionCutoff(policy, '2026-11-02T10:00:00.000Z'); // '2026-10-03T10:00:00.000Z' for 30 days
 */
export function retentionCutoff(policy: RetentionPolicy, asOf: string, maxAgeDays = policy.maxAgeDays): string {
  const age = Math.max(maxAgeDays * 86_400_000, policy.keepAtLeastMs ?? 0);
  return new Date(Date.parse(asOf) - age).toISOString();
}

/** Targets the monthly KPI review holds the last 30 days against. */
export const KPI_TARGETS = {
  syncSuccessRatePct: 98,
  avgSyncMs: 5000,
  failedSyncsPerDay: 5,
  rateLimitHits: 0,
} as const;

/** Credentials not rotated for this many days are flagged in the credential age review. */
export const CREDENTIAL_MAX_AGE_DAYS = 90;
