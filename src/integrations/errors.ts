import { ApplicationFailure } from '@temporalio/common';

/**
 * The classes every external failure falls into (DESIGN.md §6). They are the `type` of the
 * `ApplicationFailure`s activities throw, so retry policies and workflows decide on them, and they are what
 * `zoho_sync_logs.error_class` and `*.last_error_class` record.
 */
export const ErrorClass = {
  /** Too many requests right now: retried after the vendor's Retry-After / interval. */
  RateLimited: 'RateLimited',
  /** The daily quota is used up: stop and resume when the window resets (`details[0].resumeAt`). */
  QuotaExhausted: 'QuotaExhausted',
  /** Credentials refused even after one refresh: needs an operator (re-install, new grant). */
  AuthFailed: 'AuthFailed',
  /** The vendor failed (5xx): retried with backoff. */
  ServerError: 'ServerError',
  /** No answer (connection refused, reset, timeout): retried with backoff. */
  NetworkError: 'NetworkError',
  /** The vendor rejected the data (400/422): recorded on the record, never retried. */
  ValidationFailed: 'ValidationFailed',
  /** The remote record does not exist: recorded, never retried. */
  NotFound: 'NotFound',
} as const;

export type ErrorClass = (typeof ErrorClass)[keyof typeof ErrorClass];

/** Classes that a retry cannot fix. */
export const PERMANENT_ERROR_CLASSES: readonly ErrorClass[] = [
  ErrorClass.QuotaExhausted,
  ErrorClass.AuthFailed,
  ErrorClass.ValidationFailed,
  ErrorClass.NotFound,
];

/**
 * A classified failure of a call to HighLevel or ZOHO, raised by the HTTP clients.
 *
 * @example
 * throw new IntegrationError({ integration: 'zoho', errorClass: 'RateLimited', status: 429, message, retryAfterMs: 60_000 });
 */
export class IntegrationError extends Error {
  override name = 'IntegrationError';
  readonly integration: 'highlevel' | 'zoho';
  readonly errorClass: ErrorClass;
  readonly status?: number;
  readonly vendorCode?: number | string;
  /** How long the vendor asked us to wait before the next call. */
  readonly retryAfterMs?: number;
  /** For `QuotaExhausted`: when the quota window resets (ISO time). */
  readonly resumeAt?: string;

  constructor(init: {
    integration: 'highlevel' | 'zoho';
    errorClass: ErrorClass;
    message: string;
    status?: number;
    vendorCode?: number | string;
    retryAfterMs?: number;
    resumeAt?: string;
  }) {
    super(init.message);
    this.integration = init.integration;
    this.errorClass = init.errorClass;
    this.status = init.status;
    this.vendorCode = init.vendorCode;
    this.retryAfterMs = init.retryAfterMs;
    this.resumeAt = init.resumeAt;
  }

  get permanent(): boolean {
    return PERMANENT_ERROR_CLASSES.includes(this.errorClass);
  }
}

/**
 * Turns a classified failure into the `ApplicationFailure` an activity throws: typed by class, non-retryable
 * when a retry cannot help, and with `nextRetryDelay` when the vendor said how long to wait.
 *
 * @example
 * try { await zoho.createCustomer(c) } catch (err) { throw toApplicationFailure(err) }
 */
export function toApplicationFailure(err: unknown): ApplicationFailure | unknown {
  if (!(err instanceof IntegrationError)) return err;
  return ApplicationFailure.create({
    type: err.errorClass,
    message: `${err.integration}: ${err.message}`,
    nonRetryable: err.permanent,
    nextRetryDelay: err.errorClass === ErrorClass.RateLimited ? (err.retryAfterMs ?? 1000) : undefined,
    details: [{ integration: err.integration, status: err.status, vendorCode: err.vendorCode, resumeAt: err.resumeAt }],
    cause: err,
  });
}
