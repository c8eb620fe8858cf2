import { proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { TaskQueues } from '../config.js';

const MAIN_QUEUE = 'opsflow';

/**
 * Derives the vendor task queues from the main queue a workflow runs on (`<prefix>opsflow` → `<prefix>zoho`),
 * so workflows need no configuration to route activities to the rate-limited queues. Must agree with
 * `taskQueuesFor` in src/config.ts (a unit test checks it).
 *
 * @example
 * const { zoho } = queuesFromMain(workflowInfo().taskQueue);
 */
export function queuesFromMain(mainQueue: string): TaskQueues {
  // A queue that is not `<prefix>opsflow` (the replayer's, or a hand-started run's) routes vendor calls to the
  // unprefixed vendor queues: still rate-limited, and never a failed workflow task that blocks the run.
  const prefix = mainQueue.endsWith(MAIN_QUEUE) ? mainQueue.slice(0, mainQueue.length - MAIN_QUEUE.length) : '';
  return { main: mainQueue, highlevel: `${prefix}highlevel`, zoho: `${prefix}zoho` };
}

/**
 * Activities proxied onto a vendor's rate-limited queue, the one derived from the queue this workflow runs on: a
 * step that calls HighLevel or ZOHO goes through this, so the vendor's limit covers it.
 *
 * @example
 * const zoho = vendorActivities('zoho', ZOHO_PAGE_STEP);
 */
export function vendorActivities(vendor: 'highlevel' | 'zoho', options: ActivityOptions) {
  return proxyActivities<Activities>({ ...options, taskQueue: queuesFromMain(workflowInfo().taskQueue)[vendor] });
}
