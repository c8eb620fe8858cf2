import type { ErrorClass } from '../integrations/errors.js';

/**
 * A failed delivery, classified so the activity can decide: permanent (a refused address, a 4xx from the
 * webhook) is not retried; anything else is.
 *
 * @example
 * throw new NotificationError('webhook answered 404', 'ValidationFailed');
 */
export class NotificationError extends Error {
  override name = 'NotificationError';
  constructor(
    message: string,
    readonly errorClass: ErrorClass,
  ) {
    super(message);
  }

  get permanent(): boolean {
    return this.errorClass === 'ValidationFailed' || this.errorClass === 'AuthFailed' || this.errorClass === 'NotFound';
  }
}

/** Classifies an HTTP answer that was not a success. */
export function httpFailure(what: string, status: number, body: string): NotificationError {
  const cls: ErrorClass =
    status === 429
      ? 'RateLimited'
      : status === 401 || status === 403
        ? 'AuthFailed'
        : status === 404
          ? 'NotFound'
          : status >= 500
            ? 'ServerError'
            : 'ValidationFailed';
  return new NotificationError(`${what} answered ${status}: ${body.slice(0, 200)}`, cls);
}

/** Wraps a thrown fetch/socket error (no answer at all) as a retryable network failure. */
export function networkFailure(what: string, err: unknown): NotificationError {
  if (err instanceof NotificationError) return err;
  return new NotificationError(`${what} unreachable: ${(err as Error).message}`, 'NetworkError');
}
