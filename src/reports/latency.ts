import type { Pool } from '../db/pool.js';

/** Latency of one group of vendor endpoints over a period, and its most frequent error. */
export interface EndpointLatency {
  integration: string;
  /** The endpoint group: for ZOHO, the entity whose endpoints a sync attempt called (`/invoices`, …). */
  endpoint: string;
  calls: number;
  p50Ms: number;
  p95Ms: number;
  /** The error class that failed most attempts, null when none failed. */
  topError: string | null;
  topErrorCount: number;
}

/**
 * ZOHO call latency per endpoint group over `[from, to)`, slowest (p95) first: each sync attempt in
 * `zoho_sync_logs` is the round trip of one record's calls to its entity's endpoints (look-up, then create or
 * update), timed by the backfill.
 *
 * @example
 * const slowest = await endpointLatency(pool, weekStart, weekEnd);
 */
export async function endpointLatency(pool: Pool, from: Date, to: Date): Promise<EndpointLatency[]> {
  const { rows } = await pool.query<{
    endpoint: string;
    calls: number;
    p50: number;
    p95: number;
    top_error: string | null;
    top_error_count: number | null;
  }>(
    `SELECT l.entity AS endpoint, count(*)::int AS calls,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY l.duration_ms) AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY l.duration_ms) AS p95,
            e.error_class AS top_error, e.n AS top_error_count
       FROM zoho_sync_logs l
       LEFT JOIN LATERAL (
         SELECT coalesce(error_class, 'unknown') AS error_class, count(*)::int AS n FROM zoho_sync_logs
          WHERE entity = l.entity AND outcome = 'failed' AND created_at >= $1 AND created_at < $2
          GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1) e ON true
      WHERE l.created_at >= $1 AND l.created_at < $2
      GROUP BY l.entity, e.error_class, e.n ORDER BY p95 DESC, l.entity`,
    [from, to],
  );
  return rows.map((r) => ({
    integration: 'zoho',
    endpoint: r.endpoint,
    calls: r.calls,
    p50Ms: Math.round(r.p50),
    p95Ms: Math.round(r.p95),
    topError: r.top_error,
    topErrorCount: r.top_error_count ?? 0,
  }));
}
