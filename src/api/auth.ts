import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../logger.js';
import { ApiError } from './errors.js';
import { recordSecurityEvent, SECURITY_EVENT, type SecurityEventType } from './security-events.js';

export type Role = 'viewer' | 'operator';

/** Who made a request: a role and a label derived from the token (never the token itself). */
export interface Principal {
  role: Role;
  actor: string;
}

export type AuthEnv = { Variables: { principal: Principal } };

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Matches a bearer token against the configured tokens in constant time: every token is compared, and the
 * comparison runs on fixed-length digests so neither length nor content leaks through timing.
 */
export function createTokenMatcher(tokens: { operator: string[]; viewer: string[] }) {
  const known = [
    ...tokens.operator.map((t) => ({ role: 'operator' as const, digest: digest(t) })),
    ...tokens.viewer.map((t) => ({ role: 'viewer' as const, digest: digest(t) })),
  ];
  return (token: string): Principal | undefined => {
    const candidate = digest(token);
    let match: Principal | undefined;
    for (const entry of known) {
      if (timingSafeEqual(entry.digest, candidate) && !match) {
        match = { role: entry.role, actor: `${entry.role}:${entry.digest.subarray(0, 4).toString('hex')}` };
      }
    }
    return match;
  };
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Bearer-token authentication with roles: `viewer` may read, `operator` may do everything. Every mutating call
 * is written to `api_audit_log` with who, what and the answer's status; every refusal (no token, an unknown one,
 * a viewer on a mutating route) to `security_events`, without the token.
 *
 * @example
 * app.use('*', bearerAuth({ tokens, pool, log, public: ['/health'] }));
 */
export function bearerAuth(options: {
  tokens: { operator: string[]; viewer: string[] };
  pool: Pool;
  log: Logger;
  isPublic: (path: string) => boolean;
  /** A token from elsewhere than the Authorization header (the codec's browser session cookie), when there is none. */
  fallbackToken?: (c: Context) => string | undefined;
}): MiddlewareHandler<AuthEnv> {
  const match = createTokenMatcher(options.tokens);
  const audit = (principal: Principal | undefined, c: Context, status: number) =>
    options.pool
      .query(
        `INSERT INTO api_audit_log (actor, role, method, path, status, idempotency_key) VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          principal?.actor ?? 'anonymous',
          principal?.role ?? 'none',
          c.req.method,
          c.req.path,
          status,
          c.req.header('idempotency-key') ?? null,
        ],
      )
      .catch((err: Error) => options.log.warn({ err: err.message }, 'could not write api_audit_log'));

  return async (c, next) => {
    if (c.req.method === 'OPTIONS' || options.isPublic(c.req.path)) return next();
    const mutating = MUTATING.has(c.req.method);
    let principal: Principal | undefined;
    const refuse = (type: SecurityEventType, err: ApiError) => {
      recordSecurityEvent(options, c, type, { actor: principal?.actor });
      return err;
    };
    try {
      const header = c.req.header('authorization');
      const [scheme, bearer] = (header ?? '').split(' ', 2);
      const token = header === undefined ? options.fallbackToken?.(c) : scheme?.toLowerCase() === 'bearer' && bearer;
      if (!token) {
        throw refuse(
          SECURITY_EVENT.tokenMissing,
          new ApiError(401, 'unauthorized', 'Missing bearer token: send "Authorization: Bearer <token>"'),
        );
      }
      principal = match(token);
      if (!principal) throw refuse(SECURITY_EVENT.tokenInvalid, new ApiError(401, 'unauthorized', 'Unknown API token'));
      if (mutating && principal.role !== 'operator') {
        throw refuse(
          SECURITY_EVENT.roleForbidden,
          new ApiError(403, 'forbidden', `The ${principal.role} role may only read; this call needs an operator token`),
        );
      }
    } catch (err) {
      // Refused attempts to change something are audited too: they are what a security review looks for.
      if (mutating && err instanceof ApiError) await audit(principal, c, err.status);
      throw err;
    }
    c.set('principal', principal);
    await next();
    if (mutating) await audit(principal, c, c.res.status);
  };
}
