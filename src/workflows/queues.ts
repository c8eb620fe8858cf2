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
  if (!mainQueue.endsWith(MAIN_QUEUE)) {
    throw new Error(`Task queue ${mainQueue} is not an Opsflow main queue (expected <prefix>${MAIN_QUEUE})`);
  }
  const prefix = mainQueue.slice(0, mainQueue.length - MAIN_QUEUE.length);
  return { main: mainQueue, highlevel: `${prefix}highlevel`, zoho: `${prefix}zoho` };
}
