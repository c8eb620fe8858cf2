import type { Pool } from '../../db/pool.js';
import type { Logger } from '../../logger.js';

/** What one call adds to today's `api_usage` row of ZOHO. */
export interface ZohoCallOutcome {
  rateLimited: boolean;
  failed: boolean;
  /** The call itself was already counted when its slot was booked (see call-budget.ts): add only the outcome. */
  counted?: boolean;
}

/**
 * Counts one ZOHO call in `api_usage` (per UTC day): calls, rate-limit hits and errors. The weekly report and the
 * quota alert read it. A failure to count is logged, never thrown: usage is bookkeeping, not the call itself.
 *
 * @example
 * await countZohoCall(pool, log, { rateLimited: false, failed: false });
 */
export async function countZohoCall(pool: Pool, log: Logger, outcome: ZohoCallOutcome): Promise<void> {
  const hits = outcome.rateLimited ? 1 : 0;
  const errors = outcome.failed ? 1 : 0;
  const calls = outcome.counted ? 0 : 1;
  if (calls + hits + errors === 0) return;
  await pool
    .query(
      `INSERT INTO api_usage (integration, day, calls, rate_limit_hits, errors)
       VALUES ('zoho', (now() AT TIME ZONE 'UTC')::date, $3, $1, $2)
       ON CONFLICT (integration, day) DO UPDATE SET calls = api_usage.calls + $3,
         rate_limit_hits = api_usage.rate_limit_hits + $1, errors = api_usage.errors + $2`,
      [hits, errors, calls],
    )
    .catch((err: Error) => log.warn({ err: err.message }, 'could not count a ZOHO call in api_usage'));
}

/** Calls counted today (UTC) for ZOHO, for health checks and quota alerts. */
export async function zohoCallsToday(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ calls: number }>(
    `SELECT calls FROM api_usage WHERE integration = 'zoho' AND day = (now() AT TIME ZONE 'UTC')::date`,
  );
  return rows[0]?.calls ?? 0;
}
