import { condition, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { TaskQueues } from '../../config.js';
import { describeProgress, type BackfillInput, type BackfillStatus } from './state.js';

/** What the page loops report back: all work done, a cancel request honoured, or time to continue-as-new. */
export type LoopOutcome = 'done' | 'cancel' | 'continue-as-new';

/** Continue-as-new well before Temporal's limits: after this many pages or history events, whichever first. */
const DEFAULT_PAGES_PER_RUN = 400;
const MAX_HISTORY_EVENTS = 5_000;

/**
 * The state the page loops share with the workflow's update handlers: pause holds at a page boundary, cancel
 * ends at one, and a run hands over to the next (continue-as-new) at one, so a page is never cut in two.
 */
export class BackfillRunner {
  cancelRequested = false;
  pageInFlight = false;
  private pagesThisRun = 0;

  constructor(
    /** The backfill's workflow id, written with every sync attempt. */
    readonly runId: string,
    readonly input: BackfillInput,
    readonly state: BackfillStatus,
    readonly queues: TaskQueues,
  ) {}

  /** Waits while paused; says whether to run the next page, stop for a cancel, or continue-as-new. */
  async beforePage(where: string): Promise<LoopOutcome | 'go'> {
    if (this.state.status === 'paused') this.details(where);
    await condition(() => this.state.status !== 'paused' || this.cancelRequested);
    if (this.cancelRequested) return 'cancel';
    const info = workflowInfo();
    if (
      this.pagesThisRun >= (this.input.pagesPerRun ?? DEFAULT_PAGES_PER_RUN) ||
      info.continueAsNewSuggested ||
      info.historyLength >= MAX_HISTORY_EVENTS
    ) {
      return 'continue-as-new';
    }
    this.pagesThisRun++;
    this.details(where);
    return 'go';
  }

  /** Runs one page with the in-flight flag up, so a pause answers only once the page's requests are over. */
  async page<T>(work: () => Promise<T>): Promise<T> {
    this.pageInFlight = true;
    try {
      return await work();
    } finally {
      this.pageInFlight = false;
    }
  }

  /** Sleeps on a timer that a cancel request cuts short. */
  async wait(ms: number): Promise<void> {
    if (ms > 0) await condition(() => this.cancelRequested, ms);
  }

  details(where: string): void {
    setCurrentDetails(describeProgress(this.state, where));
  }
}
