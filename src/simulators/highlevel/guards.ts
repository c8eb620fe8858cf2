import type { Context, MiddlewareHandler } from 'hono';
import type { SimState, SimToken } from './state.js';
import { vendorError } from './errors.js';

/** The one `Version` the specs declare for every operation the simulator serves. */
export const API_VERSION = '2021-07-28';

export type SimEnv = { Variables: { token: SimToken; scopeKey: string; burstExhausted: boolean } };

/**
 * Vendor-side behaviour shared by every API route: injected faults (outage, latency, random 5xx/429), counting by
 * status, the `Version` header, bearer tokens (expired or revoked → 401) and the per-location burst and daily
 * limits, with HighLevel's X-RateLimit-* headers on every answer, refusals included.
 */
export function vendorGuards(state: SimState): MiddlewareHandler<SimEnv> {
  return async (c, next) => {
    try {
      await guarded(state, c, next);
      // The token endpoint is not rate limited per location and answers without these headers.
      if (c.req.path !== '/oauth/token') setRateLimitHeaders(state, c);
    } finally {
      const key = String(c.res.status);
      state.stats.requestsByStatus[key] = (state.stats.requestsByStatus[key] ?? 0) + 1;
    }
  };
}

async function guarded(state: SimState, c: Context<SimEnv>, next: () => Promise<void>) {
  const { faults } = state;
  if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
  if (c.req.path !== '/oauth/token') {
    // Known before anything is refused, so that even a refusal reports the caller's limits.
    const bearer = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    const token = bearer ? state.accessTokens.get(bearer) : undefined;
    const inst = token && state.installations.get(token.installation);
    // Limits apply per app per location; an agency token counts against its company.
    if (token && inst) c.set('scopeKey', token.locationId ?? inst.locationId ?? inst.companyId);
  }
  if (faults.outage) return (c.res = vendorError(c, 503, 'Service Unavailable'));
  if (faults.rate5xx > 0 && Math.random() < faults.rate5xx) return (c.res = vendorError(c, 502, 'Bad Gateway'));
  if (c.req.path === '/oauth/token') return next();

  // HighLevel's gateway refuses a missing or unknown Version as it refuses a bad token: 401.
  const version = c.req.header('version');
  if (!version) return (c.res = vendorError(c, 401, 'version header was not found.'));
  if (version !== API_VERSION) return (c.res = vendorError(c, 401, 'version header is invalid'));
  const bearer = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
  const token = bearer ? state.accessTokens.get(bearer) : undefined;
  if (!token || token.revoked || token.expiresAt <= Date.now()) return (c.res = vendorError(c, 401, 'Invalid JWT'));
  const inst = state.installations.get(token.installation);
  if (!inst || inst.revoked) return (c.res = vendorError(c, 401, 'Invalid JWT'));
  c.set('token', token);
  const scopeKey = c.get('scopeKey');

  const { limits } = state;
  const now = Date.now();
  const window = usedInWindow(state, scopeKey, now);
  const dailyUsed = usedToday(state, scopeKey, now);
  const injected429 = faults.rate429 > 0 && Math.random() < faults.rate429;
  if (dailyUsed >= limits.daily || window.length >= limits.burst || injected429) {
    c.set('burstExhausted', injected429);
    return (c.res = vendorError(c, 429, 'Too many requests'));
  }
  window.push(now);
  state.daily.set(scopeKey, { day: dayOf(now), count: dailyUsed + 1 });
  await next();
}

const dayOf = (now: number) => new Date(now).toISOString().slice(0, 10);

/** The caller's requests in the current burst window (the stored list, pruned: pushing to it counts a request). */
function usedInWindow(state: SimState, scopeKey: string, now: number): number[] {
  const window = (state.windows.get(scopeKey) ?? []).filter((t) => t > now - state.limits.intervalMs);
  state.windows.set(scopeKey, window);
  return window;
}

function usedToday(state: SimState, scopeKey: string, now: number): number {
  const daily = state.daily.get(scopeKey);
  return daily?.day === dayOf(now) ? daily.count : 0;
}

/**
 * HighLevel's rate-limit headers, as its official SDK reads them: the burst window and the daily quota of the
 * caller's location (a caller with no valid token has its whole allowance), and the milliseconds until the daily
 * quota resets at midnight UTC.
 */
function setRateLimitHeaders(state: SimState, c: Context<SimEnv>) {
  const { limits } = state;
  const now = Date.now();
  const scopeKey = c.get('scopeKey') as string | undefined;
  const burstUsed = c.get('burstExhausted') ? limits.burst : scopeKey ? usedInWindow(state, scopeKey, now).length : 0;
  const dayUsed = scopeKey ? usedToday(state, scopeKey, now) : 0;
  const midnight = new Date(now);
  midnight.setUTCHours(24, 0, 0, 0);
  const headers = {
    'X-RateLimit-Limit-Daily': limits.daily,
    'X-RateLimit-Daily-Remaining': Math.max(0, limits.daily - dayUsed),
    'X-RateLimit-Daily-Reset': midnight.getTime() - now,
    'X-RateLimit-Interval-Milliseconds': limits.intervalMs,
    'X-RateLimit-Max': limits.burst,
    'X-RateLimit-Remaining': Math.max(0, limits.burst - burstUsed),
  };
  for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, String(v));
}

/**
 * Refuses a token whose install was not granted `scope` (the scope the spec names for the operation) as HighLevel
 * does: 401, "not authorized for this scope".
 */
export function requireScope(state: SimState, scope: string): MiddlewareHandler<SimEnv> {
  return async (c, next) => {
    const inst = state.installations.get(c.get('token').installation);
    if (!inst?.scopes.includes(scope)) return vendorError(c, 401, 'The token is not authorized for this scope.');
    await next();
  };
}

/** Agency (Company) tokens only: location tokens are refused as HighLevel does. */
export function requireAgency(state: SimState, c: Context<SimEnv>) {
  const inst = state.installations.get(c.get('token').installation);
  return inst?.userType === 'Company' && !c.get('token').locationId ? inst : undefined;
}

/** Whether the caller's token may act on a location: its own location, or any location of its company. */
export function mayAccessLocation(state: SimState, c: Context<SimEnv>, locationId: string): boolean {
  const token = c.get('token');
  const inst = state.installations.get(token.installation);
  if (!inst) return false;
  if (token.locationId) return token.locationId === locationId;
  if (inst.userType === 'Location') return inst.locationId === locationId;
  return state.locations.get(locationId)?.companyId === inst.companyId;
}
