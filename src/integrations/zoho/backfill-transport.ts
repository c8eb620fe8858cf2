import type { Config } from '../../config.js';
import type { Pool } from '../../db/pool.js';
import type { Logger } from '../../logger.js';
import { ErrorClass, IntegrationError } from '../errors.js';
import { classifyZohoResponse, networkError, type ZohoEnvelope } from './classify.js';
import { countZohoCall } from './usage.js';

/** One ZOHO Billing call: method, path under the API base, query and JSON body; answers the parsed body. */
export type ZohoTransport = (
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  options?: { query?: Record<string, string | number>; json?: unknown },
) => Promise<Record<string, unknown>>;

/**
 * A small ZOHO Billing transport for the backfill and reconciliation: the refresh grant (access token cached in
 * memory until shortly before it expires, never logged), the organization header, classification of every
 * failure into an `IntegrationError`, one refresh and retry on a 401, and `api_usage` counting. Kept apart from
 * the full ZOHO client so backfills depend only on these few calls.
 *
 * @example
 * const call = createZohoTransport({ config, pool, log });
 * const body = await call('GET', '/customers', { query: { cf_reference: 'CUS-1' } });
 */
export function createZohoTransport({ config, pool, log }: { config: Config; pool: Pool; log: Logger }): ZohoTransport {
  const base = config.zoho.apiBaseUrl.replace(/\/$/, '');
  let token: { value: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;

  async function refresh(): Promise<string> {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: config.zoho.clientId,
      client_secret: config.zoho.clientSecret,
      refresh_token: config.zoho.refreshToken,
    });
    let body: { access_token?: string; expires_in?: number; error?: string };
    try {
      const res = await fetch(`${config.zoho.accountsUrl.replace(/\/$/, '')}/oauth/v2/token`, {
        method: 'POST',
        body: form,
      });
      body = (await res.json()) as typeof body;
    } catch (err) {
      throw networkError(err, 'ZOHO token refresh');
    }
    // The accounts host answers failures with HTTP 200 and an `error` field.
    if (!body.access_token) {
      const errorClass = body.error === 'Access Denied' ? ErrorClass.RateLimited : ErrorClass.AuthFailed;
      throw new IntegrationError({
        integration: 'zoho',
        errorClass,
        message: `token refresh refused: ${body.error ?? 'no token'}`,
      });
    }
    token = { value: body.access_token, expiresAt: Date.now() + ((body.expires_in ?? 3600) - 60) * 1000 };
    return token.value;
  }

  async function accessToken(force: boolean): Promise<string> {
    if (!force && token && token.expiresAt > Date.now()) return token.value;
    pending ??= refresh().finally(() => (pending = undefined));
    return pending;
  }

  return async function call(method, path, options = {}) {
    const url = new URL(`${base}${path}`);
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, String(v));
    for (let attempt = 0; ; attempt++) {
      const bearer = await accessToken(attempt > 0);
      let res: Response;
      let body: ZohoEnvelope & Record<string, unknown>;
      try {
        res = await fetch(url, {
          method,
          headers: {
            authorization: `Zoho-oauthtoken ${bearer}`,
            'x-com-zoho-subscriptions-organizationid': config.zoho.organizationId,
            ...(options.json === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: options.json === undefined ? undefined : JSON.stringify(options.json),
        });
        body = (await res.json().catch(() => ({}))) as typeof body;
      } catch (err) {
        await countZohoCall(pool, log, { rateLimited: false, failed: true });
        throw networkError(err, `${method} ${path}`);
      }
      const ok = res.ok && (body.code === undefined || body.code === 0);
      await countZohoCall(pool, log, { rateLimited: res.status === 429, failed: !ok });
      if (ok) return body;
      const error = classifyZohoResponse(res.status, body, res.headers.get('retry-after'));
      if (error.errorClass === ErrorClass.AuthFailed && attempt === 0) continue;
      throw error;
    }
  };
}
