import type { MiddlewareHandler } from 'hono';
import { ApiError } from './errors.js';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Refuses a path that decodes to control characters (`%00` and friends) with a 400 before any route sees it: no id,
 * key or kind contains one, and PostgreSQL rejects a NUL byte in text, which would otherwise surface as a 500.
 *
 * @example
 * app.use('*', rejectControlCharacters);
 */
export const rejectControlCharacters: MiddlewareHandler = async (c, next) => {
  let path: string;
  try {
    path = decodeURIComponent(new URL(c.req.url).pathname);
  } catch {
    throw new ApiError(400, 'bad_request', 'The request path is not valid percent-encoding');
  }
  if (CONTROL_CHARACTERS.test(path)) {
    throw new ApiError(400, 'bad_request', 'The request path contains control characters');
  }
  await next();
};
