import { defineQuery } from '@temporalio/workflow';
import type { ZohoProactiveRefresh } from '../../integrations/zoho/access-token.js';

export interface RefreshExpiringTokensInput {
  /** Refresh tokens that expire within this many seconds (default 24 h, DESIGN.md §5). */
  withinSeconds?: number;
  /** Installations refreshed in parallel (each one still refreshes alone, under its row lock). */
  concurrency?: number;
  /** Carried across continue-as-new. */
  carried?: Pick<TokenRefreshStatus, 'refreshed' | 'skipped' | 'failed'>;
}

export interface TokenRefreshFailure {
  installationId: number;
  errorClass: string;
  message: string;
}

/** The `status` query answer and the workflow's result; ids and counts only, never a token. */
export interface TokenRefreshStatus {
  status: 'running' | 'completed';
  withinSeconds: number;
  due: number;
  refreshed: number;
  skipped: number;
  failed: TokenRefreshFailure[];
  /** The incident opened (or merged into) for failed refreshes. */
  incidentId?: string;
  /** The shared ZOHO access token: refreshed, still fresh, none stored yet, or failed (runs before this step: absent). */
  zoho?: ZohoTokenOutcome;
}

export type ZohoTokenOutcome =
  ZohoProactiveRefresh | { outcome: 'failed'; errorClass: string; message: string; expiresAt?: undefined };

export const tokenRefreshStatusQuery = defineQuery<TokenRefreshStatus>('status');
