import type { Pool } from '../db/pool.js';
import type { Logger } from '../logger.js';

/** What one vendor call adds to the usage counters. */
export interface ApiCallCount {
  calls: number;
  rateLimitHits: number;
  errors: number;
}

/**
 * Counts vendor calls in `api_usage` (per UTC day, for reports and the daily quota) and `api_usage_minutes` (per
 * minute, for the error-rate, per-minute quota and rate-limit alerts) in one statement. A failure to count is
 * logged, never thrown: usage is bookkeeping, not the call itself.
 *
 * @example
 * await countApiCall(pool, log, 'highlevel', { calls: 1, rateLimitHits: 0, errors: 1 });
 */
export async function countApiCall(
  pool: Pool,
  log: Logger,
  integration: 'zoho' | 'highlevel',
  count: ApiCallCount,
): Promise<void> {
  if (count.calls + count.rateLimitHits + count.errors === 0) return;
  await pool
    .query(
      `WITH per_minute AS (
         INSERT INTO api_usage_minutes AS m (integration, minute, calls, rate_limit_hits, errors)
         VALUES ($1, date_trunc('minute', now()), $2, $3, $4)
         ON CONFLICT (integration, minute) DO UPDATE SET calls = m.calls + $2,
           rate_limit_hits = m.rate_limit_hits + $3, errors = m.errors + $4
       )
       INSERT INTO api_usage AS u (integration, day, calls, rate_limit_hits, errors)
       VALUES ($1, (now() AT TIME ZONE 'UTC')::date, $2, $3, $4)
       ON CONFLICT (integration, day) DO UPDATE SET calls = u.calls + $2,
         rate_limit_hits = u.rate_limit_hits + $3, errors = u.errors + $4`,
      [integration, count.calls, count.rateLimitHits, count.errors],
    )
    .catch((err: Error) => log.warn({ err: err.message, integration }, 'could not count a call in api_usage'));
}
