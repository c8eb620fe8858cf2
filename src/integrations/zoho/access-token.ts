import { createHash } from 'node:crypto';
import type { Config } from '../../config.js';
import type { Pool } from '../../db/pool.js';
import type { Logger } from '../../logger.js';
import type { Keyring } from '../crypto.js';
import { ErrorClass, IntegrationError } from '../errors.js';
import { networkError, retryAfterMs } from './classify.js';

/** Refresh this long before expiry, so a token never runs out in the middle of a call. */
export const ZOHO_TOKEN_EARLY_REFRESH_MS = 2 * 60_000;
/**
 * The widest window a proactive refresh honours: half a token's one-hour life. A wider one would replace every
 * token as soon as it is issued, spending the vendor's 10 tokens per 10 minutes for nothing.
 */
export const ZOHO_PROACTIVE_MAX_WINDOW_MS = 30 * 60_000;
/** What the accounts host answers: a token, or HTTP 200 with an `error` field. */
interface TokenAnswer {
  access_token?: string;
  expires_in?: number;
  error?: string;
  error_description?: string;
}

interface Held {
  token: string;
  expiresAt: number;
}

/** Hands out a valid ZOHO access token, refreshing it at most once at a time across all workers. */
export interface ZohoAccessTokens {
  /** A token valid for at least two more minutes. */
  get(): Promise<string>;
  /** The API refused `token` (401 / code 57): returns a different valid token, refreshing if nobody has yet. */
  replace(rejected: string): Promise<string>;
  /**
   * Proactive refresh: replaces the stored token only when it expires within `withinMs` (clamped to between two
   * and thirty minutes), under the row lock. `none` when no token was ever stored: the first caller gets one.
   */
  refreshIfExpiring(withinMs: number): Promise<ZohoProactiveRefresh>;
}

/** What a proactive refresh did; never the token. */
export interface ZohoProactiveRefresh {
  outcome: 'refreshed' | 'fresh' | 'none';
  /** Expiry of the token now stored, if any. */
  expiresAt?: string;
}

/**
 * The ZOHO access token, kept in `zoho_access_tokens` (encrypted with the keyring) and in memory, reused until
 * about two minutes before expiry: ZOHO issues at most 10 access tokens per refresh token per 10 minutes. A
 * refresh holds the row lock (`SELECT … FOR UPDATE`), so concurrent workers wait and then reuse the new token
 * instead of asking again; within a process, concurrent callers share one refresh.
 *
 * @example
 * const tokens = createZohoAccessTokens({ config, pool, log, keyring, fetch });
 * const token = await tokens.get();
 */
export function createZohoAccessTokens(deps: {
  config: Config;
  pool: Pool;
  log: Logger;
  keyring: Keyring;
  fetch: typeof fetch;
}): ZohoAccessTokens {
  const { config, pool, log, keyring } = deps;
  const zoho = config.zoho;
  const credentialId = createHash('sha256')
    .update(`${zoho.accountsUrl}\n${zoho.clientId}\n${zoho.refreshToken}`)
    .digest('hex')
    .slice(0, 32);
  const context = `zoho_access_tokens:${credentialId}`;
  let held: Held | undefined;
  let inFlight: Promise<string> | undefined;

  const fresh = (h: Held | undefined, marginMs = ZOHO_TOKEN_EARLY_REFRESH_MS): h is Held =>
    h !== undefined && h.expiresAt - marginMs > Date.now();

  async function grant(): Promise<Held> {
    const body = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: zoho.clientId,
      client_secret: zoho.clientSecret,
      refresh_token: zoho.refreshToken,
    });
    let res: Response;
    try {
      res = await deps.fetch(`${zoho.accountsUrl}/oauth/v2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      throw networkError(err, 'ZOHO token refresh');
    }
    const answer = (await res.json().catch(() => ({}))) as TokenAnswer;
    if (res.status >= 500) {
      throw new IntegrationError({
        integration: 'zoho',
        errorClass: ErrorClass.ServerError,
        status: res.status,
        message: `token refresh: HTTP ${res.status}`,
      });
    }
    if (!answer.access_token) {
      // Too many tokens in 10 minutes is a wait, not a broken credential.
      const throttled = /too many|access denied/i.test(`${answer.error} ${answer.error_description}`);
      throw new IntegrationError({
        integration: 'zoho',
        errorClass: throttled ? ErrorClass.RateLimited : ErrorClass.AuthFailed,
        status: res.status,
        vendorCode: answer.error,
        retryAfterMs: throttled ? (retryAfterMs(res.headers.get('retry-after')) ?? 60_000) : undefined,
        message: `token refresh refused: ${answer.error ?? `HTTP ${res.status}`}`,
      });
    }
    return { token: answer.access_token, expiresAt: Date.now() + (answer.expires_in ?? 3600) * 1000 };
  }

  function read(row: { access_token_enc: Buffer | null; token_key_id: string | null; expires_at: Date | null }) {
    if (!row.access_token_enc || !row.token_key_id || !row.expires_at) return undefined;
    try {
      return {
        token: keyring.decrypt(row.access_token_enc, row.token_key_id, context),
        expiresAt: row.expires_at.getTime(),
      };
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'stored ZOHO access token unreadable; refreshing');
      return undefined;
    }
  }

  /**
   * Under the row lock: reuse what another worker stored unless it expires within `marginMs` or is the one just
   * rejected. `onlyIfStored` leaves an empty row alone (a proactive refresh does not issue the first token).
   */
  async function refresh(
    opts: { rejected?: string; marginMs?: number; onlyIfStored?: boolean } = {},
  ): Promise<{ held?: Held; refreshed: boolean }> {
    const db = await pool.connect();
    try {
      await db.query('BEGIN');
      await db.query('INSERT INTO zoho_access_tokens (credential_id) VALUES ($1) ON CONFLICT DO NOTHING', [
        credentialId,
      ]);
      const { rows } = await db.query(
        'SELECT access_token_enc, token_key_id, expires_at FROM zoho_access_tokens WHERE credential_id = $1 FOR UPDATE',
        [credentialId],
      );
      const stored = rows[0] ? read(rows[0]) : undefined;
      if ((fresh(stored, opts.marginMs) && stored.token !== opts.rejected) || (opts.onlyIfStored && !stored)) {
        await db.query('COMMIT');
        if (stored) held = stored;
        return { held: stored, refreshed: false };
      }
      const next = await grant();
      await db.query(
        `UPDATE zoho_access_tokens SET access_token_enc = $2, token_key_id = $3, expires_at = $4,
           refreshed_at = now(), refresh_count = refresh_count + 1 WHERE credential_id = $1`,
        [credentialId, keyring.encrypt(next.token, context), keyring.currentKeyId, new Date(next.expiresAt)],
      );
      await db.query('COMMIT');
      log.info({ expiresAt: new Date(next.expiresAt).toISOString() }, 'ZOHO access token refreshed');
      held = next;
      return { held: next, refreshed: true };
    } catch (err) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      db.release();
    }
  }

  function once(rejected?: string): Promise<string> {
    inFlight ??= refresh({ rejected })
      .then((r) => r.held!.token)
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  return {
    async get() {
      if (fresh(held)) return held.token;
      return once();
    },
    async replace(rejected) {
      if (fresh(held) && held.token !== rejected) return held.token;
      held = undefined;
      return once(rejected);
    },
    async refreshIfExpiring(withinMs) {
      const marginMs = Math.min(Math.max(withinMs, ZOHO_TOKEN_EARLY_REFRESH_MS), ZOHO_PROACTIVE_MAX_WINDOW_MS);
      const r = await refresh({ marginMs, onlyIfStored: true });
      return {
        outcome: r.refreshed ? 'refreshed' : r.held ? 'fresh' : 'none',
        expiresAt: r.held ? new Date(r.held.expiresAt).toISOString() : undefined,
      };
    },
  };
}
