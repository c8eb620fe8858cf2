import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import type { Logger } from '../logger.js';

/** The body of every error answer: `{"error": {"code", "message", "details"}}`. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/**
 * An error with an HTTP status and a machine-readable code, answered in the API's error format.
 *
 * @example
 * throw new ApiError(409, 'invalid_transition', 'incident is already resolved');
 */
export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(status, { message });
  }
}

/** Turns a zod failure into a 400 naming each field, e.g. `body.severity: Invalid option: expected one of "P1"|…`. */
export function validationError(error: z.ZodError, target: string): ApiError {
  const fields = error.issues.map((issue) => ({
    field: [target, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  const summary = fields.map((f) => `${f.field}: ${f.message}`).join('; ');
  return new ApiError(400, 'validation_failed', `Invalid request: ${summary}`, { fields });
}

const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'too_many_requests',
  503: 'unavailable',
};

/** The one error mapper: known errors keep their status; anything else is a logged 500 without internals. */
export function errorHandler(log: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof ApiError) {
      return c.json<ErrorBody>({ error: { code: err.code, message: err.message, details: err.details } }, err.status);
    }
    if (err instanceof HTTPException) {
      const message = err.message === 'Malformed JSON in request body' ? 'Request body is not valid JSON' : err.message;
      const code = message === 'Request body is not valid JSON' ? 'malformed_json' : (CODES[err.status] ?? 'error');
      return c.json<ErrorBody>({ error: { code, message: message || code } }, err.status);
    }
    log.error({ err, method: c.req.method, path: c.req.path }, 'unhandled API error');
    return c.json<ErrorBody>({ error: { code: 'internal', message: 'Internal error' } }, 500);
  };
}

/** 404 in the API's error format. */
export function notFoundHandler(c: Context) {
  return c.json<ErrorBody>(
    { error: { code: 'not_found', message: `No route for ${c.req.method} ${c.req.path}` } },
    404,
  );
}
