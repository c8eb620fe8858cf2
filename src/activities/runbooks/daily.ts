import { heartbeat } from '@temporalio/activity';
import { listFailedRecords, type FailedRecord } from '../../reports/failed-syncs.js';
import type { ActivityDeps } from '../deps.js';
import { ENTITIES, countBy } from '../../reports/metrics.js';

/** Limits of the daily webhook retry: attempts per delivery and the base of the exponential backoff. */
export interface WebhookRetryOptions {
  /** A delivery that has been tried this many times is `abandoned`. */
  maxAttempts: number;
  /** Wait before the next try: base × 2^(attempts − 1). */
  baseDelaySeconds: number;
  /** Deliveries handled in one call (the rest wait for the next run). */
  limit: number;
  /** Per-request timeout. */
  timeoutMs: number;
}

export interface WebhookRetryResult {
  retried: number;
  delivered: number;
  failed: number;
  abandoned: number;
}

/** Service levels past which work counts as stuck. */
export const STUCK_SLA = {
  /** A billing record still `pending` this long after it was created. */
  pendingSyncHours: 24,
  /** A webhook delivery still `pending` this long after it was created. */
  pendingWebhookHours: 1,
  /** A backfill, reconciliation or runbook run still running this long after it started. */
  runningWorkflowHours: 6,
} as const;

async function post(url: string, payload: unknown, key: string, timeoutMs: number) {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    return { ok: res.ok, status: res.status, error: res.ok ? null : `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, status: null, error: (err as Error).message };
  }
}

/**
 * The daily runbook's checks over our own database and Temporal's visibility.
 *
 * @example
 * const { retryFailedWebhookDeliveries } = createDailyRunbookActivities({ pool, client, config });
 */
export function createDailyRunbookActivities({
  pool,
  client,
  config,
}: Pick<ActivityDeps, 'pool' | 'client' | 'config'>) {
  return {
    /** Active installations whose access token expires within 24 hours (what the token refresh must cover). */
    async countExpiringTokens(input: { asOf: string }): Promise<{ expiring: number; failedRefreshes24h: number }> {
      const { rows } = await pool.query<{ expiring: number; failed: number }>(
        `SELECT (SELECT count(*)::int FROM hl_installations
                  WHERE status = 'active' AND expires_at < $1::timestamptz + interval '24 hours') AS expiring,
                (SELECT count(*)::int FROM token_refresh_logs
                  WHERE outcome = 'failed' AND created_at >= $1::timestamptz - interval '24 hours'
                    AND created_at < $1::timestamptz) AS failed`,
        [input.asOf],
      );
      return { expiring: rows[0]!.expiring, failedRefreshes24h: rows[0]!.failed };
    },

    /**
     * Billing records in `failed` sync state whose last failure falls in the 24 hours before `asOf`, per entity,
     * and the failed attempts logged in that window: what a backfill in `failed` mode would retry.
     */
    async countFailedSyncs(input: { asOf: string }): Promise<Record<string, { records: number; attempts: number }>> {
      const records = await countBy(
        pool,
        ENTITIES.map(
          (e) =>
            `SELECT '${e}' AS key, count(*) AS n FROM ${e} WHERE sync_state = 'failed'
              AND updated_at >= $1::timestamptz - interval '24 hours' AND updated_at < $1::timestamptz`,
        ).join(' UNION ALL '),
        [input.asOf],
      );
      const attempts = await countBy(
        pool,
        `SELECT entity AS key, count(*) AS n FROM zoho_sync_logs WHERE outcome = 'failed'
          AND created_at >= $1::timestamptz - interval '24 hours' AND created_at < $1::timestamptz GROUP BY entity`,
        [input.asOf],
      );
      return Object.fromEntries(ENTITIES.map((e) => [e, { records: records[e] ?? 0, attempts: attempts[e] ?? 0 }]));
    },

    /**
     * The failed records of the same 24 hours, most recent failure first, as many as the daily report lists
     * (`OPSFLOW_REPORT_FAILED_SYNCS`): entity, id, error class, last message, attempts, first and last failure.
     */
    async listFailedSyncs(input: { asOf: string }): Promise<FailedRecord[]> {
      return listFailedRecords(pool, input.asOf, config.reports.failedSyncsListed);
    },

    /**
     * Retries failed webhook deliveries that are due: a real POST to `target_url` with an `Idempotency-Key` per
     * attempt. Each outcome is written with a compare-and-set on `attempts`, so a retried activity neither counts
     * an attempt twice nor re-sends a delivery another call already settled.
     */
    async retryFailedWebhookDeliveries(options: WebhookRetryOptions): Promise<WebhookRetryResult> {
      const { rows } = await pool.query<{ id: number; target_url: string; payload: unknown; attempts: number }>(
        `SELECT id, target_url, payload, attempts FROM webhook_deliveries
          WHERE status = 'failed' AND attempts < $1 AND (next_attempt_at IS NULL OR next_attempt_at <= now())
          ORDER BY id LIMIT $2`,
        [options.maxAttempts, options.limit],
      );
      const result: WebhookRetryResult = { retried: 0, delivered: 0, failed: 0, abandoned: 0 };
      for (const d of rows) {
        heartbeat({ deliveryId: d.id });
        const attempt = d.attempts + 1;
        const res = await post(d.target_url, d.payload, `webhook-delivery-${d.id}-${attempt}`, options.timeoutMs);
        const status = res.ok ? 'delivered' : attempt >= options.maxAttempts ? 'abandoned' : 'failed';
        const { rowCount } = await pool.query(
          `UPDATE webhook_deliveries
              SET status = $3, attempts = $2, last_status_code = $4, last_error = $5,
                  delivered_at = CASE WHEN $3 = 'delivered' THEN now() ELSE delivered_at END,
                  next_attempt_at = CASE WHEN $3 = 'failed' THEN now() + make_interval(secs => $6) ELSE NULL END
            WHERE id = $1 AND attempts = $2 - 1`,
          [d.id, attempt, status, res.status, res.error, options.baseDelaySeconds * 2 ** (attempt - 1)],
        );
        if (rowCount === 0) continue;
        result.retried++;
        result[status]++;
      }
      return result;
    },

    /** Work past its service level: pending syncs and webhook deliveries, and long-running workflows. */
    async findStuckWork(input: { asOf: string }): Promise<{
      pendingSyncs: Record<string, number>;
      pendingWebhooks: number;
      runningWorkflows: Array<{ workflowId: string; type: string; startedAt: string }>;
    }> {
      const pendingSyncs = await countBy(
        pool,
        ENTITIES.map(
          (e) =>
            `SELECT '${e}' AS key, count(*) AS n FROM ${e} WHERE sync_state = 'pending'
              AND created_at < $1::timestamptz - make_interval(hours => $2)`,
        ).join(' UNION ALL '),
        [input.asOf, STUCK_SLA.pendingSyncHours],
      );
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM webhook_deliveries
          WHERE status = 'pending' AND created_at < $1::timestamptz - make_interval(hours => $2)`,
        [input.asOf, STUCK_SLA.pendingWebhookHours],
      );
      const before = new Date(Date.parse(input.asOf) - STUCK_SLA.runningWorkflowHours * 3_600_000).toISOString();
      const queues = Object.values(config.taskQueues)
        .map((q) => `'${q}'`)
        .join(', ');
      const runningWorkflows = [];
      const query =
        `ExecutionStatus = 'Running' AND StartTime < '${before}' AND TaskQueue IN (${queues}) ` +
        `AND OpsKind IN ('backfill', 'reconciliation', 'daily', 'weekly', 'monthly', 'token-refresh')`;
      for await (const wf of client.workflow.list({ query, pageSize: 100 })) {
        runningWorkflows.push({ workflowId: wf.workflowId, type: wf.type, startedAt: wf.startTime.toISOString() });
        if (runningWorkflows.length >= 100) break;
      }
      return { pendingSyncs, pendingWebhooks: rows[0]!.n, runningWorkflows };
    },
  };
}
