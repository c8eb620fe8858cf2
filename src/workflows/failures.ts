import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/workflow';
import { INVALID_TRANSITION } from '../incidents/messages.js';

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

/** The error class of a classified failure: the type of the `ApplicationFailure` behind it, if it has one. */
export function errorClassOf(err: unknown): string | undefined {
  const cause = rootCause(err);
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

/**
 * Refuses an update (or a step) the run's state does not allow: a non-retryable `InvalidTransition`, which the API
 * answers with a 409.
 */
export function invalidTransition(message: string): never {
  throw ApplicationFailure.create({ type: INVALID_TRANSITION, message, nonRetryable: true });
}
