import { continueAsNew, patched, proxyActivities, setCurrentDetails, setHandler } from '@temporalio/workflow';
import type { Activities, ExpiringInstallation } from '../../activities/index.js';
import { DATABASE_STEP, HANDOFF_STEP, doubling, step } from '../policies.js';
import { errorClassOf, failureMessage } from '../failures.js';
import { vendorActivities } from '../queues.js';
import { tagVendorRun } from '../run-tags.js';
import {
  tokenRefreshStatusQuery,
  type RefreshExpiringTokensInput,
  type TokenRefreshStatus,
  type ZohoTokenOutcome,
} from './token-refresh-status.js';

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

export * from './token-refresh-status.js';

const db = proxyActivities<Activities>(DATABASE_STEP);
const handoff = proxyActivities<Activities>(HANDOFF_STEP);

/** The error class and message of a failed activity (never a token: activities do not put them in errors). */
function classify(err: unknown): { errorClass: string; message: string } {
  return { errorClass: errorClassOf(err) ?? 'Error', message: failureMessage(err) };
}

/** The ZOHO step: one activity on the rate-limited `zoho` queue; a failure is reported, not thrown. */
async function refreshZohoToken(withinSeconds: number): Promise<ZohoTokenOutcome> {
  const zoho = vendorActivities('zoho', TOKEN_REFRESH_STEP);
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
  tagVendorRun('token-refresh', 'highlevel');
  const highlevel = vendorActivities('highlevel', TOKEN_REFRESH_STEP);

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
