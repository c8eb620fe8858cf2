import {
  ApplicationFailure,
  continueAsNew,
  defineQuery,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, ExpiringInstallation } from '../../activities/index.js';
import type { ZohoProactiveRefresh } from '../../integrations/zoho/access-token.js';
import { Integration, OpsKind } from '../../temporal/search-attributes.js';
import { DATABASE_STEP, HANDOFF_STEP, doubling, step } from '../policies.js';
import { rootCause } from '../failures.js';
import { queuesFromMain } from '../queues.js';

/**
 * One refresh call against HighLevel's token endpoint. Transient failures (5xx, network, rate limit with its
 * `nextRetryDelay`) are retried a few times; auth failures (revoked or spent refresh token) are non-retryable by
 * type. Eager dispatch is off so the `highlevel` queue's rate limit covers every call.
 */
export const TOKEN_REFRESH_STEP = step('1 minute', doubling('2 seconds', '1 minute', 5), { allowEagerDispatch: false });

/** Installations handled per run before continuing as new, to keep the history short. */
const PER_RUN = 200;

/** Patch id of the ZOHO step: runs recorded before it existed replay without it (docs/changing-workflows.md). */
export const ZOHO_REFRESH_PATCH = 'token-refresh-zoho-access-token';

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

const db = proxyActivities<Activities>(DATABASE_STEP);
const handoff = proxyActivities<Activities>(HANDOFF_STEP);

/** The error class and message of a failed activity (never a token: activities do not put them in errors). */
function classify(err: unknown): { errorClass: string; message: string } {
  const cause = rootCause(err);
  const errorClass = cause instanceof ApplicationFailure ? (cause.type ?? 'Error') : 'Error';
  return { errorClass, message: (cause as Error | undefined)?.message ?? String(err) };
}

/** The ZOHO step: one activity on the rate-limited `zoho` queue; a failure is reported, not thrown. */
async function refreshZohoToken(withinSeconds: number): Promise<ZohoTokenOutcome> {
  const zoho = proxyActivities<Activities>({
    ...TOKEN_REFRESH_STEP,
    taskQueue: queuesFromMain(workflowInfo().taskQueue).zoho,
  });
  try {
    return await zoho.refreshZohoAccessToken({ withinSeconds });
  } catch (err) {
    return { outcome: 'failed', ...classify(err) };
  }
}

function describe(s: TokenRefreshStatus): string {
  const failures = s.failed.map((f) => `- installation ${f.installationId}: ${f.errorClass} — ${f.message}`);
  return [
    `**${s.status}**: ${s.refreshed} refreshed, ${s.skipped} already fresh, ${s.failed.length} failed of ${s.due} due`,
    `(window ${Math.round(s.withinSeconds / 3600)} h)`,
    ...(s.zoho
      ? [`ZOHO access token: ${s.zoho.outcome}${s.zoho.expiresAt ? ` (expires ${s.zoho.expiresAt})` : ''}`]
      : []),
    ...(failures.length > 0 ? ['', ...failures] : []),
  ].join('\n');
}

/**
 * Token refresh (DESIGN.md §5): refreshes every HighLevel installation whose token expires within the window,
 * then the shared ZOHO access token if it expires within the window (capped at 30 minutes: ZOHO allows 10 tokens
 * per 10 minutes, so a younger token is reused).
 * Each refresh is one activity on the rate-limited `highlevel` queue that takes the installation id only; the
 * token store's row lock makes it the only refresh of that installation anywhere, and saves the rotated refresh
 * token before the new access token is used. A refresh that fails for good marks the installation `error` and is
 * listed in the result.
 *
 * Queries: `status`. Search attributes: OpsKind=token-refresh, Integration=highlevel.
 */
export async function refreshExpiringTokens(input: RefreshExpiringTokensInput = {}): Promise<TokenRefreshStatus> {
  const withinSeconds = input.withinSeconds ?? 86_400;
  const concurrency = Math.max(1, input.concurrency ?? 4);
  const state: TokenRefreshStatus = {
    status: 'running',
    withinSeconds,
    due: 0,
    refreshed: input.carried?.refreshed ?? 0,
    skipped: input.carried?.skipped ?? 0,
    failed: input.carried?.failed ?? [],
  };
  setHandler(tokenRefreshStatusQuery, () => state);
  upsertSearchAttributes([
    { key: OpsKind, value: 'token-refresh' },
    { key: Integration, value: 'highlevel' },
  ]);
  const highlevel = proxyActivities<Activities>({
    ...TOKEN_REFRESH_STEP,
    taskQueue: queuesFromMain(workflowInfo().taskQueue).highlevel,
  });

  setCurrentDetails('Listing installations whose tokens expire soon');
  const due: ExpiringInstallation[] = await db.listExpiringInstallations({ withinSeconds, limit: PER_RUN });
  state.due += due.length;
  setCurrentDetails(describe(state));

  const queue = [...due];
  const refreshOne = async (inst: ExpiringInstallation) => {
    try {
      const r = await highlevel.refreshInstallationToken({ installationId: inst.installationId, withinSeconds });
      if (r.outcome === 'refreshed') state.refreshed += 1;
      else state.skipped += 1;
    } catch (err) {
      const failure = { installationId: inst.installationId, ...classify(err) };
      state.failed.push(failure);
      await db.markInstallationFailed(failure);
    }
    setCurrentDetails(describe(state));
  };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await refreshOne(next);
    }),
  );

  // A full page means more may be due: the next run lists again (refreshed and failed ones no longer match).
  if (due.length === PER_RUN) {
    await continueAsNew<typeof refreshExpiringTokens>({
      withinSeconds,
      concurrency,
      carried: { refreshed: state.refreshed, skipped: state.skipped, failed: state.failed },
    });
  }
  // Last run of the chain only. Guarded by a patch, so runs recorded before the step existed replay without it.
  if (patched(ZOHO_REFRESH_PATCH)) {
    setCurrentDetails(`${describe(state)}\n\nRefreshing the ZOHO access token if it expires soon`);
    state.zoho = await refreshZohoToken(withinSeconds);
    if (state.zoho.outcome === 'failed') {
      const incident = await handoff.openIncident({
        title: 'ZOHO access token refresh failed',
        severity: 'P2',
        description: `${state.zoho.errorClass} — ${state.zoho.message}`,
        source: 'token-refresh',
        dedupKey: 'token-refresh-zoho',
      });
      state.incidentId = incident.id;
    }
  }
  if (state.failed.length > 0) {
    // One incident per integration, merged while open: a second failing run adds to it instead of paging again.
    const incident = await handoff.openIncident({
      title: `HighLevel token refresh failed for ${state.failed.length} installation(s)`,
      severity: 'P2',
      description: state.failed
        .map((f) => `installation ${f.installationId}: ${f.errorClass} — ${f.message}`)
        .join('\n'),
      source: 'token-refresh',
      dedupKey: 'token-refresh-highlevel',
    });
    state.incidentId = incident.id;
  }
  state.status = 'completed';
  setCurrentDetails(describe(state));
  return state;
}
