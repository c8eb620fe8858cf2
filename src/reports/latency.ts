import type { Pool } from '../db/pool.js';

/** Latency of a vendor's calls, or of one group of its endpoints, over a period, and the most frequent error. */
export interface CallLatency {
  integration: string;
  /** The endpoint group (`zoho:invoices`, `highlevel:oauth`, …); null for the integration as a whole. */
  endpoint: string | null;
  calls: number;
  /** Calls that failed (any error class, rate limits included). */
  failed: number;
  p50Ms: number;
  p95Ms: number;
  /** The error class that failed most calls (ties: by name), null when none failed. */
  topError: string | null;
  topErrorCount: number;
}

/** Vendor call latency over a period: per integration, and per endpoint group slowest (p95) first. */
export interface VendorLatency {
  integrations: CallLatency[];
  endpoints: CallLatency[];
}

/**
 * Vendor call latency over `[from, to)` from `vendor_calls` (one row per HTTP call, timed by the clients): p50 and
 * p95 (`percentile_cont`, rounded to the millisecond) per integration and per endpoint group, each with its top
 * error class.
 *
 * @example
 * const { integrations, endpoints } = await vendorLatency(pool, weekStart, weekEnd);
 */
export async function vendorLatency(pool: Pool, from: Date, to: Date): Promise<VendorLatency> {
  const { rows } = await pool.query<{
    integration: string;
    endpoint: string | null;
    calls: number;
    failed: number;
    p50: number;
    p95: number;
    top_error: string | null;
    top_error_count: number | null;
  }>(
    `WITH calls AS (
       SELECT integration, endpoint_group, duration_ms, error_class FROM vendor_calls
        WHERE called_at >= $1 AND called_at < $2
     ), figures AS (
       SELECT integration, CASE WHEN grouping(endpoint_group) = 0 THEN endpoint_group END AS endpoint,
              count(*)::int AS calls, count(error_class)::int AS failed,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95
         FROM calls GROUP BY GROUPING SETS ((integration), (integration, endpoint_group))
     ), errors AS (
       SELECT integration, CASE WHEN grouping(endpoint_group) = 0 THEN endpoint_group END AS endpoint,
              error_class, count(*)::int AS n
         FROM calls WHERE error_class IS NOT NULL
        GROUP BY GROUPING SETS ((integration, error_class), (integration, endpoint_group, error_class))
     )
     SELECT f.*, e.error_class AS top_error, e.n AS top_error_count
       FROM figures f
       LEFT JOIN LATERAL (
         SELECT error_class, n FROM errors
          WHERE errors.integration = f.integration AND errors.endpoint IS NOT DISTINCT FROM f.endpoint
          ORDER BY n DESC, error_class LIMIT 1) e ON true
      ORDER BY f.p95 DESC, f.integration, f.endpoint`,
    [from, to],
  );
  const figures = rows.map((r): CallLatency => ({
    integration: r.integration,
    endpoint: r.endpoint,
    calls: r.calls,
    failed: r.failed,
    p50Ms: Math.round(r.p50),
    p95Ms: Math.round(r.p95),
    topError: r.top_error,
    topErrorCount: r.top_error_count ?? 0,
  }));
  return {
    integrations: figures.filter((f) => f.endpoint === null).sort((a, b) => a.integration.localeCompare(b.integration)),
    endpoints: figures.filter((f) => f.endpoint !== null),
  };
}
