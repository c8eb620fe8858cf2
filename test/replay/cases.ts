/**
 * The workflow runs recorded as replay fixtures by `scripts/record-histories.ts`. Adding a scenario is one entry
 * here, then recording it (docs/changing-workflows.md). Every workflow the worker registers needs at least one
 * fixture: the replay suite fails otherwise.
 *
 * Each case runs in a fresh environment of its own (database, simulators, workers), so a case's setup never
 * changes another case's history. Timers are made short through inputs (deadlines, timeouts, page sizes), never
 * by changing the workflows.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { createInstallationWithTokens, seedSimulator } from '../../src/dev/seed/installations.js';
import { loadKeyring } from '../../src/integrations/crypto.js';
import { createTokenStore } from '../../src/integrations/token-store.js';
import type { OpsKindValue } from '../../src/temporal/search-attributes.js';
import type { IncidentState } from '../../src/incidents/types.js';
import { seedBilling } from '../backfill-env.js';
import { eventually, type TestEnv } from '../harness.js';
import { simControl } from '../zoho-helpers.js';
import * as incident from '../../src/incidents/messages.js';
import { approveRepairUpdate, reconcileStatusQuery } from '../../src/workflows/reconcile/messages.js';

export interface ReplayCase {
  /** The workflow type, e.g. `monitorIntegrations`. */
  workflow: string;
  /** A short name for the scenario; the fixture is `test/fixtures/histories/<workflow>-<name>.json`. */
  name: string;
  /** The `OpsKind` search attribute of the run. */
  kind: OpsKindValue;
  args: unknown[];
  /** Prepares the environment before the run starts (records, installations, simulator data). */
  setup?: (env: TestEnv) => Promise<void>;
  /** What people do while the run is open (updates), once it has started; the recorder then awaits its end. */
  drive?: (handle: WorkflowHandle, env: TestEnv) => Promise<void>;
  /**
   * Runs this one starts (children) recorded as fixtures of their own: fixture name (`<workflow>-<name>`) →
   * suffix of the child's workflow id after the case's. Replayed under the fixture name; fine for workflows
   * that derive no ids of their own from their workflow id.
   */
  children?: Record<string, string>;
}

/** The fixture file names (without `.json`) of a case: its own and its recorded children's. */
export function fixturesOf(c: ReplayCase): string[] {
  return [`${c.workflow}-${c.name}`, ...Object.keys(c.children ?? {})];
}

const ZOHO_ENTITIES = ['customers', 'subscriptions', 'invoices', 'payments'];
const POSTMORTEM = {
  rootCause: 'ZOHO token expired during a deploy',
  resolution: 'Re-authorized the ZOHO connection',
  prevention: 'Alert on token age',
  customerImpact: 'Invoices synced 20 minutes late',
};

/** An incident's input as `openIncident` builds it; the time to acknowledge is a second unless `policy` says. */
function incidentInput(id: string, policy: { ackTimeoutSeconds?: number; resolveWithinSeconds?: number }) {
  const ackTimeoutSeconds = policy.ackTimeoutSeconds ?? 1;
  return {
    id,
    trigger: { title: `Replay fixture ${id}`, severity: 'P1', source: 'replay', ackTimeoutSeconds },
    policy: { repeats: 1, quiet: false, levels: 3, ...policy, ackTimeoutSeconds },
    incidentUrl: `https://opsflow.example.test/incidents/${id}`,
  };
}

const incidentState = (handle: WorkflowHandle) => handle.query(incident.incidentStatusQuery);

/** Waits until the incident's state passes `check` (the escalation moves on its own timers). */
const incidentReaches = (handle: WorkflowHandle, what: string, check: (s: IncidentState) => boolean) =>
  eventually(async () => check(await incidentState(handle)), 20_000, what);

/**
 * HighLevel installations with real (simulated) OAuth tokens, `[n, expiresInSeconds, revokedAtVendor]` each: by
 * default one due for a refresh and one the vendor has revoked.
 */
async function installations(
  env: TestEnv,
  which: Array<[number, number, boolean]> = [
    [1, 3600, false],
    [2, 1800, true],
  ],
): Promise<void> {
  const tokenStore = createTokenStore({ pool: env.pool, keyring: loadKeyring(env.config, env.log), log: env.log });
  for (const [n, expiresInSeconds, revokedAtVendor] of which) {
    await createInstallationWithTokens({
      pool: env.pool,
      tokenStore,
      simulatorUrl: env.highlevelSimulator!.url,
      fixture: {
        companyId: 'co-replay',
        locationId: `loc-replay-${n}`,
        userType: 'Location',
        expiresInSeconds,
        revokedAtVendor,
      },
    });
  }
}

export const REPLAY_CASES: ReplayCase[] = [
  { workflow: 'monitorIntegrations', name: 'healthy', kind: 'monitor', args: [] },
  {
    // A failed delivery re-sent (its receiver is gone, so it backs off) and a pending one past its SLA paged.
    workflow: 'deliveryChecks',
    name: 'retry-and-sla',
    kind: 'monitor',
    args: [{}],
    setup: async (env) => {
      await env.pool.query(
        `INSERT INTO webhook_deliveries (target_url, event_type, payload, status, attempts, next_attempt_at, created_at)
         VALUES ('http://127.0.0.1:9/gone', 'test', '{}', 'failed', 1, now() - interval '1 minute', now()),
                ('http://127.0.0.1:9/gone', 'test', '{}', 'pending', 0, NULL, now() - interval '2 hours')`,
      );
    },
  },
  // The 2-minute alert-rules schedule's run: no probes.
  { workflow: 'monitorIntegrations', name: 'alert-rules-only', kind: 'monitor', args: [{ probes: false }] },
  {
    // The patched-in outage paging: ZOHO's second failed check in a row opens its incident.
    workflow: 'monitorIntegrations',
    name: 'zoho-outage-paged',
    kind: 'monitor',
    args: [],
    setup: async (env) => {
      await fetch(`${env.zohoSimulator!.url}/__sim/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ outage: true }),
      });
      await env.pool.query(
        `INSERT INTO integration_outages (integration, kind, consecutive_bad) VALUES ('zoho', 'down', 1)`,
      );
    },
  },
  { workflow: 'refreshExpiringTokens', name: 'nothing-due', kind: 'token-refresh', args: [{}] },
  {
    workflow: 'refreshExpiringTokens',
    name: 'one-refreshed-one-revoked',
    kind: 'token-refresh',
    args: [{ withinSeconds: 24 * 3600 }],
    setup: (env) => installations(env),
  },
  {
    workflow: 'refreshExpiringTokens',
    name: 'zoho-token-expiring',
    kind: 'token-refresh',
    args: [{ withinSeconds: 1800 }],
    // A ZOHO call stores the shared access token, which is then a minute from expiry: the ZOHO step refreshes it.
    setup: async (env) => {
      await env.zoho.listOrganizations();
      await env.pool.query(`UPDATE zoho_access_tokens SET expires_at = now() + interval '60 seconds'`);
    },
  },
  { workflow: 'weeklyRunbook', name: 'empty-week', kind: 'weekly', args: [] },
  {
    workflow: 'dailyRunbook',
    name: 'one-failed-sync',
    kind: 'daily',
    args: [{ webhookRetry: { baseDelaySeconds: 1 } }],
    // A failed customer makes the "failed syncs" step hand it to a backfill child.
    setup: async (env) => {
      await seedBilling(env, 1);
      await env.pool.query(
        `UPDATE customers SET sync_state = 'failed', sync_attempts = 1, last_error_class = 'validation'`,
      );
    },
    children: { 'deliverReport-daily-report': '-report' },
  },
  {
    workflow: 'dailyRunbook',
    name: 'failed-records-listed',
    kind: 'daily',
    args: [{ webhookRetry: { baseDelaySeconds: 1 } }],
    // With the report's list of failed records, taken before the retry starts.
    setup: async (env) => {
      await seedBilling(env, 2);
      await env.pool.query(
        `UPDATE invoices SET sync_state = 'failed', sync_attempts = 2, last_error_class = 'validation', last_error = 'bad'`,
      );
    },
  },
  {
    workflow: 'dailyRunbook',
    name: 'no-verified-backup',
    kind: 'daily',
    args: [{ webhookRetry: { baseDelaySeconds: 1 } }],
    // With the backup-age step: no backup yet, so it warns.
  },
  { workflow: 'backupDatabase', name: 'verified', kind: 'backup', args: [{ trigger: 'manual' }] },
  {
    workflow: 'restoreTest',
    name: 'file-missing',
    kind: 'backup',
    args: [{ id: 'backup-replay-missing' }],
    // A backup whose file is gone: the restore test marks it unverified and pages.
    setup: async (env) => {
      await env.pool.query(
        `INSERT INTO backups (id, trigger, status, file_path, sha256, source_counts)
         VALUES ('backup-replay-missing', 'manual', 'verified', 'missing.dump', 'none', '{}')`,
      );
    },
  },
  { workflow: 'monthlyRunbook', name: 'empty-month', kind: 'monthly', args: [{ retentionBatchSize: 100 }] },
  {
    workflow: 'monthlyRunbook',
    name: 'webhook-events-retention',
    kind: 'monthly',
    args: [{ retentionBatchSize: 100 }],
    // Accepted webhook ids past the 30-day retention: the patched-in `webhook-events` policy deletes them.
    setup: async (env) => {
      await env.pool.query(
        `INSERT INTO hl_webhook_events (webhook_id, event_type, company_id, event_timestamp, received_at)
         SELECT 'wh-' || g, 'INSTALL', 'co-replay', now() - make_interval(days => 30 + g), now() - make_interval(days => 30 + g)
           FROM generate_series(1, 3) g`,
      );
    },
  },
  {
    workflow: 'monthlyRunbook',
    name: 'vendor-calls-retention',
    kind: 'monthly',
    args: [{ retentionBatchSize: 100, retentionMaxAgeDays: { 'vendor-calls': 35 } }],
    // Timed vendor calls past the 35-day window: the patched-in `vendor-calls` policy deletes them.
    setup: async (env) => {
      await env.pool.query(
        `INSERT INTO vendor_calls (integration, endpoint_group, method, status, duration_ms, called_at)
         SELECT 'zoho', 'zoho:invoices', 'GET', 200, 100, now() - make_interval(days => 35 + g) FROM generate_series(1, 3) g`,
      );
    },
  },
  {
    workflow: 'escalateIncident',
    name: 'escalated-acknowledged-resolved',
    kind: 'incident',
    args: [incidentInput('replay-1', {})],
    drive: async (handle) => {
      await handle.executeUpdate(incident.triggerUpdate, { args: [{}] });
      await incidentReaches(handle, 'level 2', (s) => s.level >= 2);
      await handle.executeUpdate(incident.acknowledgeUpdate, { args: [{ by: 'alice', message: 'looking' }] });
      await handle.executeUpdate(incident.resolveUpdate, { args: [{ by: 'alice', ...POSTMORTEM }] });
    },
  },
  {
    workflow: 'escalateIncident',
    name: 'snoozed-escalated-reopened',
    kind: 'incident',
    // Deadlines far enough for the updates to land first; an acknowledgement not followed by a resolution within
    // a second re-opens the incident.
    args: [incidentInput('replay-2', { resolveWithinSeconds: 1, ackTimeoutSeconds: 30 })],
    drive: async (handle) => {
      await handle.executeUpdate(incident.triggerUpdate, { args: [{}] });
      await incidentReaches(handle, 'level 1 notified', (s) => s.timeline.some((e) => e.type === 'notified'));
      await handle.executeUpdate(incident.snoozeUpdate, { args: [{ by: 'bob', seconds: 1 }] });
      await incidentReaches(handle, 'the snooze to end', (s) => s.rounds[1] >= 2);
      await handle.executeUpdate(incident.escalateUpdate, { args: [{ by: 'bob', message: 'need engineering' }] });
      await handle.executeUpdate(incident.reassignUpdate, { args: [{ by: 'bob', assignee: 'carol' }] });
      await handle.executeUpdate(incident.addNoteUpdate, { args: [{ by: 'carol', message: 'restarting the sync' }] });
      await handle.executeUpdate(incident.acknowledgeUpdate, { args: [{ by: 'carol' }] });
      await incidentReaches(handle, 're-opening', (s) => s.timeline.some((e) => e.type === 'reopened'));
      await handle.executeUpdate(incident.acknowledgeUpdate, { args: [{ by: 'carol' }] });
      await handle.executeUpdate(incident.resolveUpdate, { args: [{ by: 'carol', ...POSTMORTEM }] });
    },
  },
  {
    workflow: 'escalateIncident',
    name: 'continued-as-new',
    kind: 'incident',
    // A short history limit: the incident continues as new while escalating, then is resolved in a later run.
    args: [{ ...incidentInput('replay-3', {}), historyLimit: 60 }],
    drive: async (handle) => {
      await handle.executeUpdate(incident.triggerUpdate, { args: [{}] });
      await eventually(
        async () => {
          const { runId, raw } = await handle.describe();
          return runId !== raw.workflowExecutionInfo?.firstRunId;
        },
        20_000,
        'the incident to continue as new',
      );
      await incidentReaches(handle, 'every level notified', (s) => s.exhausted);
      await handle.executeUpdate(incident.acknowledgeUpdate, { args: [{ by: 'dana' }] });
      await handle.executeUpdate(incident.resolveUpdate, { args: [{ by: 'dana', ...POSTMORTEM }] });
    },
  },
  {
    workflow: 'escalateIncident',
    name: 'opened-by-start-local-db-steps',
    kind: 'incident',
    // Opened by a plain start carrying the first trigger (the open's idempotency key with it); the mirror and the
    // maintenance-window look-ups as local activities (patch incident-local-db-steps).
    args: [{ ...incidentInput('replay-4', {}), opening: { key: 'replay-4-open' } }],
    drive: async (handle) => {
      await handle.executeUpdate(incident.triggerUpdate, { args: [{ key: 'replay-4-open' }] });
      await handle.executeUpdate(incident.triggerUpdate, { args: [{ message: 'again', key: 'replay-4-second' }] });
      await incidentReaches(handle, 'level 2', (s) => s.level >= 2);
      await handle.executeUpdate(incident.acknowledgeUpdate, { args: [{ by: 'erin' }] });
      await handle.executeUpdate(incident.resolveUpdate, { args: [{ by: 'erin', ...POSTMORTEM }] });
    },
  },
  {
    workflow: 'escalateIncident',
    name: 'hold-in-notice',
    kind: 'incident',
    // The notice activity looks up maintenance windows (patch incident-hold-in-notice): a window opened after the
    // first notice holds the deadline; once it ends level 1 is notified again, then the next deadline escalates.
    args: [incidentInput('replay-5', { ackTimeoutSeconds: 2 })],
    drive: async (handle, env) => {
      const first = await eventually(async () => {
        const s = await incidentState(handle);
        return s.nextDeadline ? s : undefined;
      });
      await env.pool.query(
        `INSERT INTO maintenance_windows (id, starts_at, ends_at, reason, sources, created_by)
         VALUES ('mw-replay-5', now() - interval '1 second', $1, 'replay fixture', ARRAY['replay'], 'test')`,
        [new Date(Date.parse(first.nextDeadline!) + 2000)],
      );
      await incidentReaches(handle, 'the hold', (s) => s.pausedBy !== undefined);
      await incidentReaches(handle, 'level 2 after the hold', (s) => s.level >= 2);
      await handle.executeUpdate(incident.acknowledgeUpdate, { args: [{ by: 'frank' }] });
      await handle.executeUpdate(incident.resolveUpdate, { args: [{ by: 'frank', ...POSTMORTEM }] });
    },
  },
  {
    workflow: 'backfill',
    name: 'zoho-dry-run',
    kind: 'backfill',
    args: [{ integration: 'zoho', entities: ZOHO_ENTITIES, mode: 'all', dryRun: true }],
  },
  {
    workflow: 'backfill',
    name: 'zoho-push',
    kind: 'backfill',
    // Small pages and two pages per run: the run continues as new once (the chain's runs are all recorded).
    args: [{ integration: 'zoho', entities: ZOHO_ENTITIES, mode: 'unsynced', initialBatchSize: 2, pagesPerRun: 2 }],
    setup: (env) => seedBilling(env, 2),
  },
  {
    workflow: 'backfill',
    name: 'highlevel-contacts',
    kind: 'backfill',
    args: [{ integration: 'highlevel', entities: ['contacts'], mode: 'all', initialBatchSize: 2 }],
    // One installed location with five contacts: three pages.
    setup: async (env) => {
      await installations(env, [[1, 72 * 3600, false]]);
      await seedSimulator(env.highlevelSimulator!.url, { contacts: [{ locationId: 'loc-replay-1', count: 5 }] });
    },
  },
  {
    workflow: 'reconcile',
    name: 'approved-repair',
    kind: 'reconciliation',
    args: [{ integration: 'zoho', entities: ZOHO_ENTITIES, repair: 'approval', approvalTimeoutSeconds: 600 }],
    // A customer marked synced that ZOHO does not have, and one only ZOHO has: pushed and imported once approved
    // (the other seeded records were never synced, which is no mismatch).
    setup: async (env) => {
      await seedBilling(env, 2);
      await env.pool.query(`UPDATE customers SET sync_state = 'synced', zoho_id = 'gone-1' WHERE reference = 'C-1'`);
      await simControl(env.zohoSimulator!.url).seed({
        customers: [
          {
            display_name: 'Remote Only',
            email: 'remote@example.com',
            custom_fields: [{ label: 'Reference', value: 'C-remote' }],
          },
        ],
      });
    },
    drive: async (handle) => {
      await eventually(
        async () => (await handle.query(reconcileStatusQuery)).status === 'awaiting-approval',
        20_000,
        'the reconciliation to ask for approval',
      );
      await handle.executeUpdate(approveRepairUpdate, { args: [{ by: 'alice' }] });
    },
    children: { 'backfill-reconcile-repair': '-repair' },
  },
];
