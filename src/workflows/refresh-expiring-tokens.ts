import {
  ActivityFailure,
  ApplicationFailure,
  continueAsNew,
  defineQuery,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities, ExpiringInstallation } from '../activities/index.js';
import { Integration, OpsKind } from '../temporal/search-attributes.js';
import { DATABASE_STEP, HANDOFF_STEP } from './policies.js';
import { queuesFromMain } from './queues.js';

/**
 * One refresh call against HighLevel's token endpoint. Transient failures (5xx, network, rate limit with its
 * `nextRetryDelay`) are retried a few times; auth failures (revoked or spent refresh token) are non-retryable by
 * type. Eager dispatch is off so the `highlevel` queue's rate limit covers every call.
 */
export const TOKEN_REFRESH_STEP = {
  startToCloseTimeout: '1 minute',
  allowEagerDispatch: false,
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
} as const satisfies ActivityOptions;

/** Installations handled per run before continuing as new, to keep the history short. */
const PER_RUN = 200;

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
}

export const tokenRefreshStatusQuery = defineQuery<TokenRefreshStatus>('status');

const db = proxyActivities<Activities>(DATABASE_STEP);
const handoff = proxyActivities<Activities>(HANDOFF_STEP);

function failureOf(installationId: number, err: unknown): TokenRefreshFailure {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const errorClass = cause instanceof ApplicationFailure ? (cause.type ?? 'Error') : 'Error';
  return { installationId, errorClass, message: (cause as Error | undefined)?.message ?? String(err) };
}

function describe(s: TokenRefreshStatus): string {
  const failures = s.failed.map((f) => `- installation ${f.installationId}: ${f.errorClass} — ${f.message}`);
  return [
    `**${s.status}**: ${s.refreshed} refreshed, ${s.skipped} already fresh, ${s.failed.length} failed of ${s.due} due`,
    `(window ${Math.round(s.withinSeconds / 3600)} h)`,
    ...(failures.length > 0 ? ['', ...failures] : []),
  ].join('\n');
}

/**
 * Token refresh (DESIGN.md §5): refreshes every HighLevel installation whose token expires within the window.
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
      const failure = failureOf(inst.installationId, err);
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
