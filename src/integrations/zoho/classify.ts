import { ErrorClass, IntegrationError } from '../errors.js';

/** The body ZOHO answers with: `code` 0 on success, a vendor code and message otherwise. */
export interface ZohoEnvelope {
  code?: number;
  message?: string;
}

/** ZOHO body codes that Opsflow reacts to (from the vendor's documentation). */
export const ZOHO_CODES = {
  perMinuteLimit: 44,
  dailyLimit: 45,
  tooManyConcurrent: 1070,
  unauthorized: 57,
} as const;

const DEFAULT_WAIT_MS = { [ZOHO_CODES.perMinuteLimit]: 60_000, [ZOHO_CODES.tooManyConcurrent]: 1_000 } as const;

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds from `now`. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The next UTC midnight after `now`, when ZOHO's daily count starts again. */
export function nextUtcDay(now = Date.now()): string {
  const d = new Date(now);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)).toISOString();
}

/**
 * Classifies a ZOHO answer that is not a success into an `IntegrationError` (DESIGN.md §6):
 * 429 with code 45 → QuotaExhausted (resume at the next day, or when Retry-After says); other 429s (44, 1070) →
 * RateLimited after Retry-After; 401 / code 57 → AuthFailed; 404 → NotFound; 5xx → ServerError; other 4xx (and a
 * 2xx whose code is not 0) → ValidationFailed.
 *
 * @example
 * if (!res.ok || body.code !== 0) throw classifyZohoResponse(res.status, body, res.headers.get('retry-after'));
 */
export function classifyZohoResponse(
  status: number,
  body: ZohoEnvelope,
  retryAfter: string | null,
  now = Date.now(),
): IntegrationError {
  const vendorCode = body.code;
  const message = `HTTP ${status}${vendorCode !== undefined ? ` code ${vendorCode}` : ''}: ${body.message ?? 'no message'}`;
  const base = { integration: 'zoho' as const, status, vendorCode, message };
  const wait = retryAfterMs(retryAfter, now);
  if (status === 429 || vendorCode === ZOHO_CODES.dailyLimit) {
    if (vendorCode === ZOHO_CODES.dailyLimit) {
      const resumeAt = wait !== undefined ? new Date(now + wait).toISOString() : nextUtcDay(now);
      return new IntegrationError({ ...base, errorClass: ErrorClass.QuotaExhausted, resumeAt });
    }
    const fallback = vendorCode === ZOHO_CODES.tooManyConcurrent ? DEFAULT_WAIT_MS[1070] : DEFAULT_WAIT_MS[44];
    return new IntegrationError({ ...base, errorClass: ErrorClass.RateLimited, retryAfterMs: wait ?? fallback });
  }
  if (status === 401 || status === 403 || vendorCode === ZOHO_CODES.unauthorized) {
    return new IntegrationError({ ...base, errorClass: ErrorClass.AuthFailed });
  }
  if (status === 404) return new IntegrationError({ ...base, errorClass: ErrorClass.NotFound });
  if (status >= 500) return new IntegrationError({ ...base, errorClass: ErrorClass.ServerError });
  return new IntegrationError({ ...base, errorClass: ErrorClass.ValidationFailed });
}

/** A call that got no HTTP answer (refused, reset, timed out). */
export function networkError(err: unknown, what: string): IntegrationError {
  const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
  return new IntegrationError({
    integration: 'zoho',
    errorClass: ErrorClass.NetworkError,
    message: `${what}: no answer (${cause})`,
  });
}
