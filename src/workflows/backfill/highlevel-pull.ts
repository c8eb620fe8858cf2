import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { pauseAfterPage } from '../../backfill/batching.js';
import { callsToPullContacts } from '../../backfill/cost.js';
import { DATABASE_STEP } from '../policies.js';
import type { BackfillRunner, LoopOutcome } from './runner.js';
import { recordPage } from './state.js';

const db = proxyActivities<Activities>(DATABASE_STEP);

/** HighLevel's search pages hold up to 100 contacts. */
const CONTACTS_PER_PAGE = 100;

/** One search call per activity on the `highlevel` queue; an upsert makes a repeated page harmless. */
export const HIGHLEVEL_PAGE_STEP = {
  startToCloseTimeout: '1 minute',
  allowEagerDispatch: false,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
} as const satisfies ActivityOptions;

/**
 * Pulls the contacts of every active location installation into `hl_contacts`, location by location, following
 * HighLevel's `searchAfter` cursor (kept in the run's state across continue-as-new). A dry run prices the pull
 * from the contacts already stored and calls nothing.
 */
export async function pullFromHighLevel(run: BackfillRunner): Promise<LoopOutcome> {
  const { input, state } = run;
  const retry = {
    ...HIGHLEVEL_PAGE_STEP.retry,
    ...(input.retryInitialIntervalMs ? { initialInterval: input.retryInitialIntervalMs } : {}),
    ...(input.retryMaximumIntervalMs ? { maximumInterval: input.retryMaximumIntervalMs } : {}),
  };
  const hl = proxyActivities<Activities>({ ...HIGHLEVEL_PAGE_STEP, retry, taskQueue: run.queues.highlevel });
  const locations = await db.listPullLocations();
  if (state.estimatedApiCalls === undefined) {
    state.estimatedApiCalls = locations.reduce(
      (n, l) => n + callsToPullContacts(l.knownContacts, CONTACTS_PER_PAGE),
      0,
    );
  }
  if (state.dryRun) {
    state.wouldSend = Object.fromEntries(
      locations.map((l) => [l.locationId, { records: l.knownContacts, sample: [] as string[] }]),
    );
    return 'done';
  }

  for (; state.cursor.index < locations.length; state.cursor = { index: state.cursor.index + 1, afterId: 0 }) {
    const location = locations[state.cursor.index]!;
    for (;;) {
      const next = await run.beforePage(`location ${location.locationId}`);
      if (next !== 'go') return next;
      const page = await run.page(() =>
        hl.pullHighLevelContactsPage({
          location,
          searchAfter: state.cursor.searchAfter as [number, string] | undefined,
          pageLimit: CONTACTS_PER_PAGE,
        }),
      );
      const counters = { processed: page.upserted, succeeded: page.upserted, failed: 0, skipped: 0 };
      recordPage(state, 'contacts', { counters, errorsByClass: {}, calls: 1 });
      state.cursor.searchAfter = page.searchAfter;
      if (page.done) {
        state.cursor.searchAfter = undefined;
        break;
      }
      const rpm = input.maxRequestsPerMinute;
      if (rpm) await run.wait(pauseAfterPage({ calls: 1, elapsedMs: page.elapsedMs, maxRequestsPerMinute: rpm }));
    }
  }
  return 'done';
}
