import { setTimeout } from 'node:timers/promises';
import type { Pool, PoolClient } from 'pg';
import type { Logger } from '../logger.js';
import type { Keyring } from './crypto.js';
import { ErrorClass, IntegrationError } from './errors.js';

/** A fresh grant from the vendor's token endpoint. */
export interface TokenGrant {
  accessToken: string;
  /** Absent for location tokens minted from an agency token (they are re-minted, not refreshed). */
  refreshToken?: string;
  expiresInSeconds: number;
}

/** What a refresher is told about the installation it refreshes (never logged). */
export interface RefreshInput {
  installationId: number;
  companyId: string;
  locationId: string | null;
  userType: 'Company' | 'Location';
  refreshToken: string | null;
}

/** Performs the vendor call that turns the current refresh token into a new grant. */
export type Refresher = (input: RefreshInput) => Promise<TokenGrant>;

export interface AccessToken {
  token: string;
  /** `hl_installations.token_version` the token belongs to: a 401 with it means "refresh past this version". */
  version: number;
  expiresAt: Date;
}

export interface InstallationInput {
  companyId: string;
  locationId: string | null;
  userType: 'Company' | 'Location';
  grant?: TokenGrant;
  actor: string;
}

interface Row {
  id: number;
  company_id: string;
  location_id: string | null;
  user_type: 'Company' | 'Location';
  status: string;
  access_token_enc: Buffer | null;
  refresh_token_enc: Buffer | null;
  token_key_id: string | null;
  token_version: number;
  expires_at: Date | null;
}

/** Tokens are refreshed this long before they expire, so a call never starts with a token about to lapse. */
export const REFRESH_MARGIN_MS = 5 * 60_000;

const ctx = (id: number, field: 'access' | 'refresh') => `hl_installations:${id}:${field}`;

/** Tries to save a grant the vendor issued but our transaction lost, over about 30 s (a database restart). */
const SAVE_ATTEMPTS = 9;

/**
 * The encrypted OAuth token store of HighLevel installations. Tokens are AES-256-GCM encrypted with the key named
 * in `token_key_id`; a refresh runs under `SELECT … FOR UPDATE` on the installation's row, so exactly one refresh
 * of an installation runs at a time across all workers, and the rotated refresh token is committed before the new
 * access token is handed out. Every refresh and failure is written to `token_refresh_logs` and `hl_audit_log`.
 *
 * @example
 * const store = createTokenStore({ pool, keyring, log });
 * const { token } = await store.accessToken(installationId, refresher);
 */
export function createTokenStore({ pool, keyring, log }: { pool: Pool; keyring: Keyring; log: Logger }) {
  const decrypt = (row: Row, field: 'access' | 'refresh') => {
    const enc = field === 'access' ? row.access_token_enc : row.refresh_token_enc;
    return enc && row.token_key_id ? keyring.decrypt(enc, row.token_key_id, ctx(row.id, field)) : null;
  };

  const audit = (db: Pool | PoolClient, event: string, row: Pick<Row, 'id' | 'location_id'>, details: object) =>
    db.query('INSERT INTO hl_audit_log (event_type, actor, location_id, details) VALUES ($1, $2, $3, $4)', [
      event,
      'opsflow',
      row.location_id,
      JSON.stringify({ installationId: row.id, ...details }),
    ]);

  async function writeGrant(db: Pool | PoolClient, id: number, grant: TokenGrant): Promise<Row> {
    const { rows } = await db.query<Row>(
      `UPDATE hl_installations SET access_token_enc = $2, refresh_token_enc = COALESCE($3, refresh_token_enc),
              token_key_id = $4, token_version = token_version + 1, expires_at = now() + make_interval(secs => $5),
              last_refreshed_at = now(), status = 'active', last_error = NULL, updated_at = now()
        WHERE id = $1 RETURNING *`,
      [
        id,
        keyring.encrypt(grant.accessToken, ctx(id, 'access')),
        grant.refreshToken ? keyring.encrypt(grant.refreshToken, ctx(id, 'refresh')) : null,
        keyring.currentKeyId,
        grant.expiresInSeconds,
      ],
    );
    return rows[0]!;
  }

  /** Marks a failed refresh; an auth failure (revoked or spent refresh token) puts the installation in `error`. */
  async function recordFailure(row: Row, err: unknown): Promise<void> {
    const errorClass = err instanceof IntegrationError ? err.errorClass : ErrorClass.NetworkError;
    const message = (err as Error).message;
    const permanent = err instanceof IntegrationError && err.permanent;
    await pool.query(
      `UPDATE hl_installations SET last_error = $2, status = CASE WHEN $3 THEN 'error' ELSE status END,
              updated_at = now() WHERE id = $1`,
      [row.id, `${errorClass}: ${message}`, permanent],
    );
    await pool.query(
      `INSERT INTO token_refresh_logs (integration, installation_id, outcome, error_class, message)
       VALUES ('highlevel', $1, 'failed', $2, $3)`,
      [row.id, errorClass, message],
    );
    await audit(pool, 'token.refresh_failed', row, { errorClass, message });
    log.warn({ installationId: row.id, errorClass, message }, 'HighLevel token refresh failed');
  }

  /**
   * Saves a grant the vendor already issued when the refresh's own transaction failed, retrying while the database
   * comes back (a restart takes seconds). The row lock is gone by then; a refresh that raced in meanwhile failed on
   * the spent refresh token, and this write (status back to active) supersedes it.
   */
  async function saveRotatedGrant(installationId: number, grant: TokenGrant): Promise<AccessToken> {
    for (let attempt = 1; ; attempt++) {
      try {
        const updated = await writeGrant(pool, installationId, grant);
        await pool.query(
          `INSERT INTO token_refresh_logs (integration, installation_id, outcome, message)
           VALUES ('highlevel', $1, 'refreshed', 'saved after the refresh transaction was lost')`,
          [installationId],
        );
        log.warn({ installationId, attempt }, 'HighLevel tokens saved after the refresh transaction was lost');
        return { token: grant.accessToken, version: updated.token_version, expiresAt: updated.expires_at! };
      } catch (err) {
        if (attempt >= SAVE_ATTEMPTS) {
          log.error(
            { installationId, err: (err as Error).message },
            'HighLevel rotated the refresh token but it could not be saved; the installation needs a new install',
          );
          throw err;
        }
        await setTimeout(Math.min(500 * 2 ** (attempt - 1), 5000));
      }
    }
  }

  const store = {
    /**
     * Refreshes the installation's tokens unless someone else already did: with `pastVersion`, only when the stored
     * token is still that version (a 401 on it); otherwise only when it expires within `marginMs`.
     */
    async refresh(
      installationId: number,
      refresher: Refresher,
      opts: { pastVersion?: number; marginMs?: number } = {},
    ): Promise<AccessToken & { refreshed: boolean }> {
      const db = await pool.connect();
      let row: Row | undefined;
      let grant: TokenGrant | undefined;
      try {
        await db.query('BEGIN');
        ({
          rows: [row],
        } = await db.query<Row>('SELECT * FROM hl_installations WHERE id = $1 FOR UPDATE', [installationId]));
        if (!row) throw notFound(installationId);
        if (row.status === 'revoked') throw authFailed(installationId, 'the installation was uninstalled');
        const current = decrypt(row, 'access');
        const fresh =
          current &&
          row.expires_at &&
          (opts.pastVersion === undefined
            ? row.expires_at.getTime() > Date.now() + (opts.marginMs ?? REFRESH_MARGIN_MS)
            : row.token_version !== opts.pastVersion);
        if (fresh) {
          await db.query('COMMIT');
          return { token: current, version: row.token_version, expiresAt: row.expires_at!, refreshed: false };
        }
        grant = await refresher({
          installationId,
          companyId: row.company_id,
          locationId: row.location_id,
          userType: row.user_type,
          refreshToken: decrypt(row, 'refresh'),
        });
        const updated = await writeGrant(db, installationId, grant);
        await db.query(
          `INSERT INTO token_refresh_logs (integration, installation_id, outcome) VALUES ('highlevel', $1, 'refreshed')`,
          [installationId],
        );
        await audit(db, 'token.refreshed', row, { version: updated.token_version });
        // The rotated refresh token is durable before anyone uses the new access token.
        await db.query('COMMIT');
        return {
          token: grant.accessToken,
          version: updated.token_version,
          expiresAt: updated.expires_at!,
          refreshed: true,
        };
      } catch (err) {
        await db.query('ROLLBACK').catch(() => undefined);
        // The vendor rotated the refresh token but the database lost our write (connection gone mid-transaction):
        // the new pair exists only here. Save it on a fresh connection, or the installation is locked out for good.
        if (grant) return { ...(await saveRotatedGrant(installationId, grant)), refreshed: true };
        if (row && row.status !== 'revoked') await recordFailure(row, err);
        throw err;
      } finally {
        db.release();
      }
    },

    /** A valid access token, refreshed first (once, under the row lock) when it expires within the margin. */
    async accessToken(installationId: number, refresher: Refresher): Promise<AccessToken> {
      const { rows } = await pool.query<Row>('SELECT * FROM hl_installations WHERE id = $1', [installationId]);
      const row = rows[0];
      if (!row) throw notFound(installationId);
      if (row.status === 'revoked') throw authFailed(installationId, 'the installation was uninstalled');
      const token = decrypt(row, 'access');
      if (token && row.expires_at && row.expires_at.getTime() > Date.now() + REFRESH_MARGIN_MS) {
        return { token, version: row.token_version, expiresAt: row.expires_at };
      }
      return store.refresh(installationId, refresher);
    },

    /** Creates or re-activates an installation (INSTALL webhook, OAuth callback, seed); returns its id. */
    async upsertInstallation(input: InstallationInput, db: Pool | PoolClient = pool): Promise<number> {
      const { rows } = await db.query<{ id: number; inserted: boolean }>(
        // Not ON CONFLICT: an agency install has no location id, and NULLs never conflict in a unique index.
        `WITH existing AS (
           UPDATE hl_installations SET status = 'active', user_type = $3, last_error = NULL, installed_at = now(),
                  updated_at = now()
            WHERE company_id = $1 AND location_id IS NOT DISTINCT FROM $2 RETURNING id, false AS inserted),
         created AS (
           INSERT INTO hl_installations (company_id, location_id, user_type, status)
           SELECT $1, $2, $3, 'active' WHERE NOT EXISTS (SELECT 1 FROM existing) RETURNING id, true AS inserted)
         SELECT * FROM existing UNION ALL SELECT * FROM created`,
        [input.companyId, input.locationId, input.userType],
      );
      const { id, inserted } = rows[0]!;
      if (input.grant) await writeGrant(db, id, input.grant);
      await audit(
        db,
        inserted ? 'installation.created' : 'installation.reactivated',
        {
          id,
          location_id: input.locationId,
        },
        { actor: input.actor, companyId: input.companyId },
      );
      return id;
    },

    /** The installation of a company (agency install: `locationId` null) or location, if Opsflow knows it. */
    async findInstallation(companyId: string, locationId: string | null, db: Pool | PoolClient = pool) {
      const { rows } = await db.query<{ id: number; status: string }>(
        'SELECT id, status FROM hl_installations WHERE company_id = $1 AND location_id IS NOT DISTINCT FROM $2',
        [companyId, locationId],
      );
      return rows[0];
    },

    /** Every installation with its tokens in clear: only for handing them back to the demo simulator at start. */
    async allWithTokens() {
      const { rows } = await pool.query<Row>('SELECT * FROM hl_installations ORDER BY id');
      return rows.map((r) => ({
        companyId: r.company_id,
        locationId: r.location_id,
        userType: r.user_type,
        status: r.status,
        accessToken: decrypt(r, 'access') ?? undefined,
        refreshToken: decrypt(r, 'refresh') ?? undefined,
        expiresAt: r.expires_at,
      }));
    },

    /** Revokes an installation and forgets its tokens (UNINSTALL): nothing can use them afterwards. */
    async revoke(installationId: number, actor: string, db: Pool | PoolClient = pool): Promise<void> {
      const { rows } = await db.query<Row>(
        `UPDATE hl_installations SET status = 'revoked', access_token_enc = NULL, refresh_token_enc = NULL,
                token_version = token_version + 1, updated_at = now() WHERE id = $1 RETURNING *`,
        [installationId],
      );
      if (rows[0]) await audit(db, 'installation.revoked', rows[0], { actor });
    },

    /** Records a refresh that was skipped because the token was still fresh (idempotent re-runs). */
    async recordSkipped(installationId: number): Promise<void> {
      await pool.query(
        `INSERT INTO token_refresh_logs (integration, installation_id, outcome, message)
         VALUES ('highlevel', $1, 'skipped', 'token still fresh')`,
        [installationId],
      );
    },
  };
  return store;
}

export type TokenStore = ReturnType<typeof createTokenStore>;

function notFound(id: number) {
  return new IntegrationError({
    integration: 'highlevel',
    errorClass: ErrorClass.NotFound,
    message: `installation ${id} does not exist`,
  });
}

function authFailed(id: number, why: string) {
  return new IntegrationError({
    integration: 'highlevel',
    errorClass: ErrorClass.AuthFailed,
    message: `installation ${id}: ${why}`,
  });
}
