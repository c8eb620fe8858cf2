import type { Context, MiddlewareHandler } from 'hono';
import type { SimState, SimToken } from './state.js';
import { vendorError } from './errors.js';

export const API_VERSION = '2021-07-28';

export type SimEnv = { Variables: { token: SimToken; scopeKey: string } };

/**
 * Vendor-side behaviour shared by every API route: injected faults (outage, latency, random 5xx/429), counting by
 * status, the `Version` header, bearer tokens (expired or revoked → 401) and the per-location burst and daily
 * limits with HighLevel's X-RateLimit-* headers on every answer.
 */
export function vendorGuards(state: SimState): MiddlewareHandler<SimEnv> {
  return async (c, next) => {
    try {
      await guarded(state, c, next);
    } finally {
      const key = String(c.res.status);
      state.stats.requestsByStatus[key] = (state.stats.requestsByStatus[key] ?? 0) + 1;
    }
  };
}

async function guarded(state: SimState, c: Context<SimEnv>, next: () => Promise<void>) {
  const { faults } = state;
  if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
  if (faults.outage) return (c.res = vendorError(c, 503, 'Service Unavailable'));
  if (faults.rate5xx > 0 && Math.random() < faults.rate5xx) return (c.res = vendorError(c, 502, 'Bad Gateway'));
  const isTokenEndpoint = c.req.path === '/oauth/token';
  if (isTokenEndpoint) return next();

  if (c.req.header('version') !== API_VERSION) return (c.res = vendorError(c, 400, 'Version header was not found'));
  const bearer = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
  const token = bearer ? state.accessTokens.get(bearer) : undefined;
  if (!token || token.revoked || token.expiresAt <= Date.now()) return (c.res = vendorError(c, 401, 'Invalid JWT'));
  const inst = state.installations.get(token.installation);
  if (!inst || inst.revoked) return (c.res = vendorError(c, 401, 'Invalid JWT'));
  // Limits apply per app per location; an agency token counts against its company.
  const scopeKey = token.locationId ?? inst.locationId ?? inst.companyId;
  c.set('token', token);
  c.set('scopeKey', scopeKey);

  const { limits } = state;
  const now = Date.now();
  const window = (state.windows.get(scopeKey) ?? []).filter((t) => t > now - limits.intervalMs);
  const day = new Date(now).toISOString().slice(0, 10);
  const daily = state.daily.get(scopeKey);
  const dailyUsed = daily?.day === day ? daily.count : 0;
  const headers = (burstUsed: number, dayUsed: number) => ({
    'X-RateLimit-Limit-Daily': String(limits.daily),
    'X-RateLimit-Daily-Remaining': String(Math.max(0, limits.daily - dayUsed)),
    'X-RateLimit-Interval-Milliseconds': String(limits.intervalMs),
    'X-RateLimit-Max': String(limits.burst),
    'X-RateLimit-Remaining': String(Math.max(0, limits.burst - burstUsed)),
  });
  const injected429 = faults.rate429 > 0 && Math.random() < faults.rate429;
  if (dailyUsed >= limits.daily || window.length >= limits.burst || injected429) {
    state.windows.set(scopeKey, window);
    c.res = vendorError(c, 429, 'Too many requests');
    for (const [k, v] of Object.entries(headers(injected429 ? limits.burst : window.length, dailyUsed)))
      c.res.headers.set(k, v);
    return;
  }
  window.push(now);
  state.windows.set(scopeKey, window);
  state.daily.set(scopeKey, { day, count: dailyUsed + 1 });
  await next();
  for (const [k, v] of Object.entries(headers(window.length, dailyUsed + 1))) c.res.headers.set(k, v);
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
