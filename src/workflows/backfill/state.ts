import {
  addCounters,
  addErrorCounts,
  zeroCounters,
  type BackfillCounters,
  type BackfillMode,
  type ZohoEntity,
} from '../../backfill/entities.js';

/** What a backfill is asked to do (the body of `POST /backfills`, plus inputs for repairs and tests). */
export interface BackfillInput {
  integration: 'zoho' | 'highlevel';
  /** ZOHO: customers, subscriptions, invoices, payments (pushed in that order). HighLevel: contacts. */
  entities: string[];
  mode: BackfillMode;
  /** Records created in [since, until) (ISO times). */
  since?: string;
  until?: string;
  /**
   * Records whose last failure falls in [failedSince, failedUntil) (ISO times): the daily runbook hands over only
   * what failed in its 24 h window, not every failure still on record.
   */
  failedSince?: string;
  failedUntil?: string;
  dryRun?: boolean;
  /** This run's cap on API calls per minute, below the organization's call budget that all runs share. */
  maxRequestsPerMinute?: number;
  /** Exactly these records per entity, whatever their state (a reconciliation repair). */
  recordIds?: Partial<Record<ZohoEntity, number[]>>;
  /** Exactly the records a stored reconciliation report lists as missing remotely or different. */
  repairOf?: string;
  /** First page size (adapts to the error rate afterwards). */
  initialBatchSize?: number;
  /** Continue-as-new after this many pages, carrying cursor and counters (default 400). */
  pagesPerRun?: number;
  /** Retry of a failed page: first and longest wait (default 1 s and 30 s); the vendor's Retry-After wins. */
  retryInitialIntervalMs?: number;
  retryMaximumIntervalMs?: number;
  /** Internal: the state carried over continue-as-new. */
  carried?: BackfillStatus;
}

/**
 * The memo field where a finished run keeps its final state: `GET /backfills/:id` reads it from the run's
 * description, so a finished run can be read when no worker is running.
 */
export const FINAL_STATE_MEMO = 'finalState';

export type BackfillRunStatus = 'running' | 'paused' | 'completed' | 'failed' | 'cancelled';

/** The `status` query answer, and the workflow's result. */
export interface BackfillStatus {
  status: BackfillRunStatus;
  integration: 'zoho' | 'highlevel';
  mode: BackfillMode;
  dryRun: boolean;
  progress: BackfillCounters & { total?: number };
  byEntity: Record<string, BackfillCounters & { total?: number }>;
  errorsByClass: Record<string, number>;
  /** The calls the work selected at start would cost (dry run: the price; real run: the plan). */
  estimatedApiCalls?: number;
  /** Calls actually made (a dry run makes none). */
  apiCalls: number;
  batchSize: number;
  /** Where the run is: the entity (or location) index and the cursor within it. */
  cursor: { index: number; afterId: number; searchAfter?: unknown[] };
  /** Dry run: per entity, how many records would be sent and a few of their references. */
  wouldSend?: Record<string, { records: number; sample: string[] }>;
  /** Set while the run waits for ZOHO's daily quota to reset. */
  waitingForQuotaMs?: number;
  /** Runs in the continue-as-new chain so far (1 for the first). */
  runs: number;
  error?: string;
}

export function initialStatus(input: BackfillInput, batchSize: number): BackfillStatus {
  return {
    status: 'running',
    integration: input.integration,
    mode: input.mode,
    dryRun: input.dryRun ?? false,
    progress: zeroCounters(),
    byEntity: Object.fromEntries(input.entities.map((e) => [e, zeroCounters()])),
    errorsByClass: {},
    apiCalls: 0,
    batchSize,
    cursor: { index: 0, afterId: 0 },
    runs: 1,
  };
}

/** Folds a page's counters into the run's totals and the entity's. */
export function recordPage(
  state: BackfillStatus,
  entity: string,
  page: { counters: BackfillCounters; errorsByClass: Record<string, number>; calls: number },
): void {
  state.progress = { ...addCounters(state.progress, page.counters), total: state.progress.total };
  const current: BackfillCounters & { total?: number } = state.byEntity[entity] ?? zeroCounters();
  state.byEntity[entity] = { ...addCounters(current, page.counters), total: current.total };
  state.errorsByClass = addErrorCounts(state.errorsByClass, page.errorsByClass);
  state.apiCalls += page.calls;
}

/** The Web UI's current details: a few readable lines. */
export function describeProgress(state: BackfillStatus, where: string): string {
  const p = state.progress;
  const total = p.total === undefined ? '' : ` of ${p.total}`;
  const errors = Object.entries(state.errorsByClass)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    `**${state.dryRun ? 'Dry run' : 'Backfill'} ${state.status}** — ${state.integration}, mode ${state.mode}`,
    `- ${p.processed}${total} processed: ${p.succeeded} succeeded, ${p.failed} failed, ${p.skipped} skipped`,
    `- now: ${where}; batch ${state.batchSize}; API calls ${state.apiCalls}${state.estimatedApiCalls === undefined ? '' : ` (estimate ${state.estimatedApiCalls})`}`,
    ...(errors ? [`- errors: ${errors}`] : []),
  ].join('\n');
}
