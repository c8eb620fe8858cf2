import { ErrorClass, IntegrationError } from '../errors.js';

/** The next reset of HighLevel's daily quota: midnight UTC after `now`. */
export function nextDailyReset(now: Date): string {
  const next = new Date(now);
  next.setUTCHours(24, 0, 0, 0);
  return next.toISOString();
}

/** The message of a HighLevel error body `{statusCode, message, error}` (422: `message` is an array). */
function messageOf(body: unknown, status: number): string {
  const m = (body as { message?: unknown } | null)?.message;
  if (Array.isArray(m)) return m.join('; ');
  return typeof m === 'string' ? m : `HTTP ${status}`;
}

/**
 * Classifies a failed HighLevel answer (DESIGN.md §6): 429 is `RateLimited` (wait `Retry-After` or the
 * `X-RateLimit-Interval-Milliseconds` window) unless the daily quota is used up (`X-RateLimit-Daily-Remaining: 0`),
 * which is `QuotaExhausted` until the next reset; 401/403 `AuthFailed`; 404 `NotFound`; other 4xx
 * `ValidationFailed`; 5xx `ServerError`.
 *
 * @example
 * if (!res.ok) throw classifyHighLevelFailure(res.status, res.headers, await res.json(), new Date());
 */
export function classifyHighLevelFailure(status: number, headers: Headers, body: unknown, now: Date): IntegrationError {
  const base = { integration: 'highlevel' as const, status, message: messageOf(body, status) };
  if (status === 429) {
    if (headers.get('x-ratelimit-daily-remaining') === '0') {
      return new IntegrationError({ ...base, errorClass: ErrorClass.QuotaExhausted, resumeAt: nextDailyReset(now) });
    }
    const retryAfter = Number(headers.get('retry-after'));
    const interval = Number(headers.get('x-ratelimit-interval-milliseconds'));
    const retryAfterMs = retryAfter > 0 ? retryAfter * 1000 : interval > 0 ? interval : 10_000;
    return new IntegrationError({ ...base, errorClass: ErrorClass.RateLimited, retryAfterMs });
  }
  if (status === 401 || status === 403) return new IntegrationError({ ...base, errorClass: ErrorClass.AuthFailed });
  if (status === 404) return new IntegrationError({ ...base, errorClass: ErrorClass.NotFound });
  if (status >= 500) return new IntegrationError({ ...base, errorClass: ErrorClass.ServerError });
  return new IntegrationError({ ...base, errorClass: ErrorClass.ValidationFailed });
}

/** A request that got no answer at all (refused, reset, timed out). */
export function networkFailure(err: unknown): IntegrationError {
  return new IntegrationError({
    integration: 'highlevel',
    errorClass: ErrorClass.NetworkError,
    message: `no answer from HighLevel: ${(err as Error).message}`,
  });
}
