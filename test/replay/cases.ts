/**
 * The workflow runs recorded as replay fixtures by `scripts/record-histories.ts`. Adding a workflow to the replay
 * suite is one line here, then re-recording (docs/changing-workflows.md).
 */
export interface ReplayCase {
  /** The workflow type, e.g. `monitorIntegrations`. */
  workflow: string;
  /** A short name for the scenario; the fixture is `test/fixtures/histories/<workflow>-<name>.json`. */
  name: string;
  kind: 'daily' | 'weekly' | 'monthly' | 'monitor' | 'incident' | 'backfill' | 'reconciliation' | 'token-refresh';
  args: unknown[];
}

export const REPLAY_CASES: ReplayCase[] = [
  { workflow: 'monitorIntegrations', name: 'healthy', kind: 'monitor', args: [] },
  { workflow: 'refreshExpiringTokens', name: 'nothing-due', kind: 'token-refresh', args: [{}] },
  { workflow: 'weeklyRunbook', name: 'empty-week', kind: 'weekly', args: [] },
  {
    workflow: 'backfill',
    name: 'zoho-dry-run',
    kind: 'backfill',
    args: [
      {
        integration: 'zoho',
        entities: ['customers', 'subscriptions', 'invoices', 'payments'],
        mode: 'all',
        dryRun: true,
      },
    ],
  },
];
