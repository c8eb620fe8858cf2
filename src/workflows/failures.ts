import { ActivityFailure, ChildWorkflowFailure } from '@temporalio/workflow';

/**
 * The failure behind an activity's or child workflow's failure: their own messages only say which call failed,
 * the cause says why (an `ApplicationFailure` with its type, for classified errors).
 *
 * @example
 * const cause = rootCause(err); // ApplicationFailure { type: 'RateLimited', … }
 */
export function rootCause(err: unknown): unknown {
  let e = err;
  while ((e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) && e.cause) e = e.cause;
  return e;
}

/** The message of the root cause, for step summaries, timelines and incident descriptions. */
export function failureMessage(err: unknown): string {
  const cause = rootCause(err);
  return cause instanceof Error ? cause.message : String(cause);
}
