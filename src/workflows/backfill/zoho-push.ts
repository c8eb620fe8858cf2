import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { budgetedBatchLimit, DEFAULT_BATCH_POLICY, nextBatchSize, pauseAfterPage } from '../../backfill/batching.js';
import { inPushOrder, ZOHO_ENTITIES, type ZohoEntity } from '../../backfill/entities.js';
import type { RecordFilter } from '../../backfill/records.js';
import { DATABASE_STEP } from '../policies.js';
import { recordPage } from './state.js';
import type { BackfillRunner, LoopOutcome } from './runner.js';

const db = proxyActivities<Activities>(DATABASE_STEP);

/**
 * A page of pushes on the `zoho` queue. The heartbeat carries progress record by record, so a retry resumes
 * after the last record done; transient failures retry without limit (the daily quota and permanent errors
 * end a page by themselves), rate-limit waits come from the vendor's Retry-After as `nextRetryDelay`.
 */
export const ZOHO_PAGE_STEP = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  allowEagerDispatch: false,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
} as const satisfies ActivityOptions;

function filterFor(run: BackfillRunner, entity: ZohoEntity): RecordFilter {
  const { mode, since, until, failedSince, failedUntil, recordIds, repairOf } = run.input;
  if (repairOf) return { mode, repairOf };
  return recordIds ? { mode, recordIds: recordIds[entity] ?? [] } : { mode, since, until, failedSince, failedUntil };
}

/**
 * Pushes local records to ZOHO entity by entity (customers → subscriptions → invoices → payments), page by page
 * from the cursor in the run's state. Between pages: adapt the batch size to the error rate and pace to the
 * run's `maxRequestsPerMinute`.
 *
 * Why pace with workflow timers: every call already books a slot in the organization's call budget (shared by
 * all runs and workers, see src/integrations/call-budget.ts); `maxRequestsPerMinute` is this run's own cap below
 * it, and a page makes many calls, so the cap needs the call count, which only the page's result knows. Sleeping
 * `calls × 60 s / cap − page time` after each page keeps the run's average at its cap, and the timer survives
 * restarts.
 */
export async function pushToZoho(run: BackfillRunner): Promise<LoopOutcome> {
  const { input, state } = run;
  const entities = inPushOrder(input.entities.filter((e): e is ZohoEntity => ZOHO_ENTITIES.includes(e as ZohoEntity)));
  const retry = {
    ...ZOHO_PAGE_STEP.retry,
    ...(input.retryInitialIntervalMs ? { initialInterval: input.retryInitialIntervalMs } : {}),
    ...(input.retryMaximumIntervalMs ? { maximumInterval: input.retryMaximumIntervalMs } : {}),
  };
  const zoho = proxyActivities<Activities>({ ...ZOHO_PAGE_STEP, retry, taskQueue: run.queues.zoho });
  const rpm = input.maxRequestsPerMinute;
  const policy = {
    ...DEFAULT_BATCH_POLICY,
    max: Math.min(DEFAULT_BATCH_POLICY.max, rpm ? budgetedBatchLimit(rpm) : Infinity),
  };
  policy.min = Math.min(policy.min, policy.max);

  if (state.progress.total === undefined) {
    let total = 0;
    let estimate = 0;
    for (const entity of entities) {
      const planned = await db.countZohoBackfill({ entities: [entity], filter: filterFor(run, entity) });
      state.byEntity[entity] = { ...state.byEntity[entity]!, total: planned.total };
      total += planned.total;
      estimate += planned.estimatedCalls;
    }
    state.progress.total = total;
    state.estimatedApiCalls = estimate;
  }

  for (; state.cursor.index < entities.length; state.cursor = { index: state.cursor.index + 1, afterId: 0 }) {
    const entity = entities[state.cursor.index]!;
    for (;;) {
      const next = await run.beforePage(`${entity} after record #${state.cursor.afterId}`);
      if (next !== 'go') return next;
      const pageInput = {
        entity,
        filter: filterFor(run, entity),
        afterId: state.cursor.afterId,
        limit: state.batchSize,
      };
      if (state.dryRun) {
        const plan = await run.page(() => db.planZohoPage(pageInput));
        const seen = state.wouldSend?.[entity] ?? { records: 0, sample: [] };
        state.wouldSend = {
          ...state.wouldSend,
          [entity]: { records: seen.records + plan.records, sample: [...seen.sample, ...plan.sample].slice(0, 5) },
        };
        recordPage(state, entity, {
          counters: { processed: plan.records, succeeded: 0, failed: 0, skipped: 0 },
          errorsByClass: {},
          calls: 0,
        });
        state.cursor.afterId = plan.afterId;
        if (plan.done) break;
        continue;
      }
      const page = await run.page(() => zoho.syncZohoPage({ ...pageInput, runId: run.runId }));
      recordPage(state, entity, page);
      state.cursor.afterId = page.afterId;
      state.batchSize = nextBatchSize(state.batchSize, page, policy);
      if (page.quotaResumeInMs !== undefined) {
        state.waitingForQuotaMs = page.quotaResumeInMs;
        run.details(
          `ZOHO's daily quota is used up: waiting ${Math.round(page.quotaResumeInMs / 60_000)} min for it to reset`,
        );
        await run.wait(page.quotaResumeInMs);
        state.waitingForQuotaMs = undefined;
        continue;
      }
      // Paced after the last page too, so a run (and the next entity) never ends ahead of its budget.
      if (rpm)
        await run.wait(pauseAfterPage({ calls: page.calls, elapsedMs: page.elapsedMs, maxRequestsPerMinute: rpm }));
      if (page.done) break;
    }
  }
  return 'done';
}
