import type { Pool } from '../db/pool.js';
import type { Logger } from '../logger.js';
import type { ErrorClass } from './errors.js';

/** The vendors whose calls are counted. */
export type VendorIntegration = 'zoho' | 'highlevel';

/** What one vendor call adds to the usage counters. */
export interface ApiCallCount {
  calls: number;
  rateLimitHits: number;
  errors: number;
}

/** One vendor HTTP call as `vendor_calls` records it, for the weekly report's latency per endpoint group. */
export interface VendorCall {
  method: string;
  /** The request path under the API base (`/contacts/search`, `/invoices/123`): its group is looked up. */
  path: string;
  /** The HTTP status of the answer; null when none came (network failure, timeout). */
  status: number | null;
  durationMs: number;
  /** The class the failure was given; null for a call that succeeded. */
  errorClass: ErrorClass | null;
}

/**
 * The endpoint groups of each vendor, by the first segment of the request path: what the weekly report compares.
 * A path outside the table is the group `other`, so a new endpoint is still timed before it is named here.
 */
const ENDPOINT_GROUPS: Record<VendorIntegration, readonly string[]> = {
  highlevel: ['oauth', 'contacts', 'locations'],
  zoho: ['customers', 'subscriptions', 'invoices', 'payments', 'organizations', 'plans', 'products'],
};

/**
 * The endpoint group of a request path: `<integration>:<group>`.
 *
 * @example
 * endpointGroup('highlevel', '/oauth/locationToken'); // 'highlevel:oauth'
 * endpointGroup('zoho', '/invoices/4000123'); // 'zoho:invoices'
 */
export function endpointGroup(integration: VendorIntegration, path: string): string {
  const first =
    path
      .split('?')[0]!
      .split('/')
      .find((s) => s !== '') ?? '';
  return `${integration}:${ENDPOINT_GROUPS[integration].includes(first) ? first : 'other'}`;
}

/**
 * Counts vendor calls in `api_usage` (per UTC day, for reports and the daily quota) and `api_usage_minutes` (per
 * minute, for the error-rate, per-minute quota and rate-limit alerts), and records the HTTP call itself in
 * `vendor_calls` (endpoint group, status, duration, error class), all in one statement: timing every call costs no
 * extra round trip. A failure to count is logged, never thrown: usage is bookkeeping, not the call itself.
 *
 * @example
 * await countApiCall(pool, log, 'highlevel', { calls: 1, rateLimitHits: 0, errors: 1 },
 *   { method: 'GET', path: '/contacts/', status: 500, durationMs: 84, errorClass: 'ServerError' });
 */
export async function countApiCall(
  pool: Pool,
  log: Logger,
  integration: VendorIntegration,
  count: ApiCallCount,
  call?: VendorCall,
): Promise<void> {
  if (count.calls + count.rateLimitHits + count.errors === 0 && !call) return;
  await pool
    .query(
      `WITH per_minute AS (
         INSERT INTO api_usage_minutes AS m (integration, minute, calls, rate_limit_hits, errors)
         SELECT $1::text, date_trunc('minute', now()), $2::int, $3::int, $4::int WHERE $2::int + $3::int + $4::int > 0
         ON CONFLICT (integration, minute) DO UPDATE SET calls = m.calls + $2,
           rate_limit_hits = m.rate_limit_hits + $3, errors = m.errors + $4
       ), per_call AS (
         INSERT INTO vendor_calls (integration, endpoint_group, method, status, duration_ms, error_class)
         SELECT $1::text, $5::text, $6::text, $7::int, $8::int, $9::text WHERE $5::text IS NOT NULL
       )
       INSERT INTO api_usage AS u (integration, day, calls, rate_limit_hits, errors)
       SELECT $1::text, (now() AT TIME ZONE 'UTC')::date, $2::int, $3::int, $4::int WHERE $2::int + $3::int + $4::int > 0
       ON CONFLICT (integration, day) DO UPDATE SET calls = u.calls + $2,
         rate_limit_hits = u.rate_limit_hits + $3, errors = u.errors + $4`,
      [
        integration,
        count.calls,
        count.rateLimitHits,
        count.errors,
        call ? endpointGroup(integration, call.path) : null,
        call?.method ?? null,
        call?.status ?? null,
        call ? Math.round(call.durationMs) : null,
        call?.errorClass ?? null,
      ],
    )
    .catch((err: Error) => log.warn({ err: err.message, integration }, 'could not count a call in api_usage'));
}
