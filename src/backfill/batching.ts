/**
 * Adaptive batch sizing and request pacing for backfills. Pure functions: the workflow calls them between pages,
 * so they must be deterministic.
 */

/** Bounds of the page size and the error rates that move it. */
export interface BatchPolicy {
  min: number;
  max: number;
  /** Above this share of failed calls the next page is halved. */
  shrinkAbove: number;
  /** Below this share of failed calls the next page grows by half. */
  growBelow: number;
}

export const DEFAULT_BATCH_POLICY: BatchPolicy = { min: 5, max: 200, shrinkAbove: 0.3, growBelow: 0.1 };

/** What the last page saw: calls made and how many of them failed (any class, retried or not). */
export interface PageOutcome {
  calls: number;
  errors: number;
}

/**
 * The size of the next page from the error rate of the last one: halved above 30 % errors (the vendor is
 * struggling, so smaller pages lose less work to a retry and give the rate limit room), grown by half below
 * 10 %, kept in between. A page without calls (all skipped, or a dry run) keeps the size.
 *
 * @example
 * nextBatchSize(50, { calls: 100, errors: 40 }) // 25
 */
export function nextBatchSize(current: number, last: PageOutcome, policy: BatchPolicy = DEFAULT_BATCH_POLICY): number {
  if (last.calls <= 0) return clamp(current, policy);
  const rate = last.errors / last.calls;
  if (rate > policy.shrinkAbove) return clamp(Math.floor(current / 2), policy);
  if (rate < policy.growBelow) return clamp(Math.ceil(current * 1.5), policy);
  return clamp(current, policy);
}

function clamp(size: number, policy: BatchPolicy): number {
  return Math.max(policy.min, Math.min(policy.max, size));
}

/**
 * How long to wait after a page so the run stays within its per-minute budget: the page's calls at
 * `maxRequestsPerMinute` would take `calls × 60 000 / budget` ms; whatever the page itself did not already take
 * is slept on a workflow timer.
 *
 * @example
 * pauseAfterPage({ calls: 60, elapsedMs: 10_000, maxRequestsPerMinute: 120 }) // 20_000
 */
export function pauseAfterPage(page: { calls: number; elapsedMs: number; maxRequestsPerMinute: number }): number {
  if (page.calls <= 0 || page.maxRequestsPerMinute <= 0) return 0;
  const budgetMs = Math.ceil((page.calls * 60_000) / page.maxRequestsPerMinute);
  return Math.max(0, budgetMs - page.elapsedMs);
}

/**
 * The page size that keeps one page within a minute's budget, so pacing is smooth rather than a burst followed
 * by a long wait: at most half a minute of calls per page (each record costs up to `callsPerRecord`).
 */
export function budgetedBatchLimit(maxRequestsPerMinute: number, callsPerRecord = 2): number {
  return Math.max(1, Math.floor(maxRequestsPerMinute / 2 / callsPerRecord));
}
