import {
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import { backfillStatusQuery, cancelBackfillUpdate, pauseBackfillUpdate, resumeBackfillUpdate } from './messages.js';
import { pullFromHighLevel } from './highlevel-pull.js';
import { BackfillRunner, type LoopOutcome } from './runner.js';
import { FINAL_STATE_MEMO, initialStatus, type BackfillInput, type BackfillStatus } from './state.js';
import { pushToZoho } from './zoho-push.js';
import { invalidTransition } from '../failures.js';
import { queuesFromMain } from '../queues.js';
import { tagVendorRun } from '../run-tags.js';

export type { BackfillInput, BackfillStatus } from './state.js';

export * from './messages.js';

const DEFAULT_BATCH_SIZE = 50;

/**
 * Leaves the final state in the run's memo, which the server keeps with the closed run: the API answers from
 * it without a worker (a query on a closed run replays it on a worker). Patched: runs recorded before this
 * went to their end without it.
 */
function keepFinalState(state: BackfillStatus): void {
  if (patched('backfill-final-state-memo')) upsertMemo({ [FINAL_STATE_MEMO]: state });
}

/**
 * Backfill between PostgreSQL and a vendor: pushes customers → subscriptions → invoices → payments to ZOHO, or
 * pulls HighLevel contacts of every installed location into `hl_contacts`. Modes `unsynced`, `failed`, `all`,
 * optional `since` / `until`, `dryRun` (prices the work, sends nothing), a per-minute budget, and exactly a
 * given set of records for reconciliation repairs.
 *
 * Works in pages through heartbeating activities on the vendor's rate-limited task queue, adapts the page size
 * to the error rate, and continues-as-new every few hundred pages carrying cursor and counters.
 *
 * Query `status`; updates `pause`, `resume`, `cancel` (validators refuse invalid transitions).
 * Side effects: remote creates/updates, `zoho_sync_logs`, sync state on each record, `hl_contacts` upserts.
 */
export async function backfill(input: BackfillInput): Promise<BackfillStatus> {
  const state: BackfillStatus = input.carried
    ? { ...input.carried, runs: input.carried.runs + 1 }
    : initialStatus(input, input.initialBatchSize ?? DEFAULT_BATCH_SIZE);
  const info = workflowInfo();
  const run = new BackfillRunner(info.workflowId, input, state, queuesFromMain(info.taskQueue));
  tagVendorRun('backfill', input.integration);

  setHandler(backfillStatusQuery, () => state);
  setHandler(
    pauseBackfillUpdate,
    async (_request) => {
      state.status = 'paused';
      await condition(() => !run.pageInFlight);
      run.details('paused');
      return state;
    },
    {
      validator: (_request) => {
        if (state.status !== 'running' || run.cancelRequested)
          invalidTransition(`cannot pause a ${state.status} backfill`);
      },
    },
  );
  setHandler(
    resumeBackfillUpdate,
    (_request) => {
      state.status = 'running';
      return state;
    },
    {
      validator: (_request) => {
        if (state.status !== 'paused' || run.cancelRequested)
          invalidTransition(`cannot resume a ${state.status} backfill`);
      },
    },
  );
  setHandler(
    cancelBackfillUpdate,
    async (_request) => {
      run.cancelRequested = true;
      await condition(() => state.status === 'cancelled');
      return state;
    },
    {
      validator: (_request) => {
        if ((state.status !== 'running' && state.status !== 'paused') || run.cancelRequested) {
          invalidTransition(`cannot cancel a ${state.status} backfill`);
        }
      },
    },
  );

  let outcome: LoopOutcome;
  try {
    outcome = input.integration === 'zoho' ? await pushToZoho(run) : await pullFromHighLevel(run);
  } catch (err) {
    state.status = 'failed';
    state.error = (err as Error).message;
    run.details('failed');
    keepFinalState(state);
    await condition(allHandlersFinished);
    throw err;
  }
  if (outcome === 'continue-as-new') {
    await condition(() => allHandlersFinished() || run.cancelRequested);
    if (!run.cancelRequested) {
      const { carried: _previous, ...rest } = input;
      await continueAsNew<typeof backfill>({ ...rest, carried: state });
    }
  }
  state.status = run.cancelRequested ? 'cancelled' : 'completed';
  run.details('finished');
  keepFinalState(state);
  await condition(allHandlersFinished);
  return state;
}
