import type { Pool } from '../../db/pool.js';
import type { Logger } from '../../logger.js';
import { countApiCall, type VendorCall } from '../api-usage.js';

/** What one call adds to ZOHO's usage counters. */
export interface ZohoCallOutcome {
  rateLimited: boolean;
  failed: boolean;
  /** The call itself was already counted when its slot was booked (see call-budget.ts): add only the outcome. */
  counted?: boolean;
}

/**
 * Counts one ZOHO call in `api_usage` and `api_usage_minutes` (calls, rate-limit hits and errors) and records it in
 * `vendor_calls` (endpoint group, status, duration, error class). The weekly report and the quota, error-rate and
 * rate-limit alerts read them (see api-usage.ts).
 *
 * @example
 * await countZohoCall(pool, log, { rateLimited: false, failed: false },
 *   { method: 'GET', path: '/invoices', status: 200, durationMs: 120, errorClass: null });
 */
export async function countZohoCall(
  pool: Pool,
  log: Logger,
  outcome: ZohoCallOutcome,
  call?: VendorCall,
): Promise<void> {
  await countApiCall(
    pool,
    log,
    'zoho',
    {
      calls: outcome.counted ? 0 : 1,
      rateLimitHits: outcome.rateLimited ? 1 : 0,
      errors: outcome.failed ? 1 : 0,
    },
    call,
  );
}

/** Calls counted today (UTC) for ZOHO, for health checks and quota alerts. */
export async function zohoCallsToday(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ calls: number }>(
    `SELECT calls FROM api_usage WHERE integration = 'zoho' AND day = (now() AT TIME ZONE 'UTC')::date`,
  );
  return rows[0]?.calls ?? 0;
}
