import type { Pool } from 'pg';
import type { Config } from '../../config.js';
import type { Logger } from '../../logger.js';
import { loadKeyring } from '../../integrations/crypto.js';
import type { HighLevelClient } from '../../integrations/highlevel/client.js';
import { toApplicationFailure } from '../../integrations/errors.js';
import type { TokenStore } from '../../integrations/token-store.js';
import {
  createZohoAccessTokens,
  type ZohoAccessTokens,
  type ZohoProactiveRefresh,
} from '../../integrations/zoho/access-token.js';

/** An installation due for a refresh: ids only, never a token. */
export interface ExpiringInstallation {
  installationId: number;
  companyId: string;
  locationId: string | null;
  status: string;
  expiresAt: string | null;
}

export interface RefreshOutcome {
  installationId: number;
  outcome: 'refreshed' | 'skipped';
  expiresAt: string;
}

/**
 * Token lifecycle activities. They take installation ids and read and write tokens through the token store
 * themselves, so no token ever enters a workflow's input, result or history.
 *
 * @example
 * const activities = createTokenActivities({ config, log, pool, tokenStore, highlevel });
 */
export function createTokenActivities({
  config,
  log,
  pool,
  tokenStore,
  highlevel,
}: {
  config: Config;
  log: Logger;
  pool: Pool;
  tokenStore: TokenStore;
  highlevel: HighLevelClient;
}) {
  // The ZOHO access token lives in `zoho_access_tokens`, shared with the ZOHO client through the row lock.
  let zohoTokens: ZohoAccessTokens | undefined;
  const zoho = () =>
    (zohoTokens ??= createZohoAccessTokens({
      config,
      pool,
      log: log.child({ integration: 'zoho' }),
      keyring: loadKeyring(config, log),
      fetch,
    }));
  return {
    /** Active or expired installations whose access token expires within `withinSeconds` (or already has). */
    async listExpiringInstallations(input: { withinSeconds: number; limit?: number }): Promise<ExpiringInstallation[]> {
      const { rows } = await pool.query<ExpiringInstallation>(
        `SELECT id AS "installationId", company_id AS "companyId", location_id AS "locationId", status,
                to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "expiresAt"
           FROM hl_installations
          WHERE status IN ('active', 'expired') AND (expires_at IS NULL OR expires_at < now() + make_interval(secs => $1))
            AND (refresh_token_enc IS NOT NULL OR user_type = 'Location')
          ORDER BY expires_at NULLS FIRST, id LIMIT $2`,
        [input.withinSeconds, input.limit ?? 1000],
      );
      return rows;
    },

    /**
     * Refreshes one installation's tokens unless they are already valid past `withinSeconds` (then `skipped`): a
     * retry after a refresh that committed, or a second caller, does not spend the rotated refresh token again.
     */
    async refreshInstallationToken(input: { installationId: number; withinSeconds: number }): Promise<RefreshOutcome> {
      try {
        const result = await tokenStore.refresh(input.installationId, highlevel.refresher, {
          marginMs: input.withinSeconds * 1000,
        });
        if (!result.refreshed) await tokenStore.recordSkipped(input.installationId);
        return {
          installationId: input.installationId,
          outcome: result.refreshed ? 'refreshed' : 'skipped',
          expiresAt: result.expiresAt.toISOString(),
        };
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },

    /**
     * Refreshes the shared ZOHO access token when it expires within `withinSeconds` (clamped to 2–30 minutes, so
     * the vendor's 10 tokens per 10 minutes are never spent on tokens that are still young), one refresh at a time
     * under the token's row lock. Answers the outcome and expiry only, never the token.
     */
    async refreshZohoAccessToken(input: { withinSeconds: number }): Promise<ZohoProactiveRefresh> {
      try {
        return await zoho().refreshIfExpiring(input.withinSeconds * 1000);
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },

    /** Puts an installation in `error` with the reason, after its refresh failed for good. */
    async markInstallationFailed(input: {
      installationId: number;
      errorClass: string;
      message: string;
    }): Promise<void> {
      await pool.query(
        `UPDATE hl_installations SET status = 'error', last_error = $2, updated_at = now()
          WHERE id = $1 AND status <> 'revoked'`,
        [input.installationId, `${input.errorClass}: ${input.message}`],
      );
    },
  };
}
