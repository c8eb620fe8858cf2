import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/**
 * HighLevel's error body: `{statusCode, message, error}`; for 422 `message` is an array of strings. `extra` adds
 * what some refusals carry besides (a duplicate contact's `meta`).
 */
export function vendorError(
  c: Context,
  status: ContentfulStatusCode,
  message: string | string[],
  extra: Record<string, unknown> = {},
) {
  const body = {
    statusCode: status,
    message: status === 422 ? (Array.isArray(message) ? message : [message]) : message,
    error: REASONS[status] ?? 'Error',
    ...extra,
  };
  return c.json(body, status);
}
