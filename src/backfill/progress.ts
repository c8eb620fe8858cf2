/** What a progress line needs from `GET /backfills/:id`. */
export interface ProgressView {
  status: string;
  dryRun: boolean;
  progress: { total?: number; processed: number; succeeded: number; failed: number };
  apiCalls: number;
  estimatedApiCalls?: number;
}

/**
 * One line of progress, redrawn in place with `\r`: a 30-cell bar when the total is known, counts, API calls.
 *
 * @example
 * renderProgress({ status: 'running', dryRun: false, progress: { total: 10, processed: 5, succeeded: 5, failed: 0 }, apiCalls: 10 })
 * // '[###############...............]  50% 5/10 ok 5 failed 0 calls 10 running'
 */
export function renderProgress(b: ProgressView, width = 30): string {
  const { total, processed, succeeded, failed } = b.progress;
  const share = total ? Math.min(1, processed / total) : 0;
  const filled = Math.round(share * width);
  const bar = total
    ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(share * 100)).padStart(3)}% `
    : '';
  const calls = b.dryRun ? `would cost ${b.estimatedApiCalls ?? '?'} calls` : `calls ${b.apiCalls}`;
  return `${bar}${processed}/${total ?? '?'} ok ${succeeded} failed ${failed} ${calls} ${b.status}`.padEnd(100);
}
