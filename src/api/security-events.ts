import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../logger.js';

/**
 * The kinds of refused request written to `security_events`. The weekly report's failed-authentication check and
 * the demo seed use exactly these names.
 */
export const SECURITY_EVENT = {
  /** A protected route called with no bearer token. */
  tokenMissing: 'auth.token_missing',
  /** A bearer token (or a codec sign-in token) that is not one of ours. */
  tokenInvalid: 'auth.token_invalid',
  /** A known token whose role may not make this call (a viewer on a mutating route). */
  roleForbidden: 'auth.role_forbidden',
  /** A HighLevel webhook with a missing or wrong signature. */
  webhookSignatureInvalid: 'webhook.signature_invalid',
  /** A correctly signed HighLevel webhook seen before, or stamped outside the accepted window. */
  webhookReplayed: 'webhook.replayed',
  /** An OAuth callback whose state is missing, not this browser's, unknown, used or expired. */
  oauthStateInvalid: 'oauth.state_invalid',
  /** A signed link (acknowledge, report) that was altered or not signed by this Opsflow. */
  linkInvalid: 'link.invalid',
} as const;

export type SecurityEventType = (typeof SECURITY_EVENT)[keyof typeof SECURITY_EVENT];

/** Every security event type, for queries that read them all. */
export const SECURITY_EVENT_TYPES: SecurityEventType[] = Object.values(SECURITY_EVENT);

/** The socket's address: X-Forwarded-For is not trusted, since nothing configures which proxy may set it. */
function sourceIp(c: Context): string | null {
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null; // not served by the Node adapter (app.request in a unit test)
  }
}

/**
 * Records one refused request in `security_events`: its type, source IP, method and path (never the query string,
 * where an OAuth state or code travels), an actor label when the token was known, and details that hold no secret.
 * Best effort and not awaited: a failed write is logged and never changes or delays the refusal.
 *
 * @example
 * recordSecurityEvent({ pool, log }, c, SECURITY_EVENT.tokenInvalid);
 * throw new ApiError(401, 'unauthorized', 'Unknown API token');
 */
export function recordSecurityEvent(
  deps: { pool: Pool; log: Logger },
  c: Context,
  type: SecurityEventType,
  extra: { actor?: string; details?: Record<string, unknown> } = {},
): void {
  void deps.pool
    .query(
      `INSERT INTO security_events (type, source_ip, method, route, actor, details) VALUES ($1, $2, $3, $4, $5, $6)`,
      [type, sourceIp(c), c.req.method, c.req.path.slice(0, 512), extra.actor ?? null, extra.details ?? {}],
    )
    .catch((err: Error) => deps.log.warn({ err: err.message, type }, 'could not write security_events'));
}
