import { defineQuery, proxyActivities, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { DumpSummary, RetentionSummary, VerifySummary } from '../../activities/backups/backups.js';
import { BACKUP_INCIDENT_KEY } from '../../backups/policy.js';
import { failureMessage } from '../failures.js';
import { BACKUP_STEP, DATABASE_STEP, HANDOFF_STEP } from '../policies.js';

const backup = proxyActivities<Activities>(BACKUP_STEP);
const db = proxyActivities<Activities>(DATABASE_STEP);
const handoff = proxyActivities<Activities>(HANDOFF_STEP);

export interface BackupInput {
  trigger?: 'schedule' | 'manual';
}

/** The `status` query answer and the result of a backup run or a restore test: ids and figures only. */
export interface BackupStatus {
  id: string;
  status: 'running' | 'verified' | 'unverified' | 'failed';
  step: 'dump' | 'verify' | 'retention' | 'done';
  dump?: DumpSummary;
  error?: string;
  incidentId?: string;
  retention?: RetentionSummary;
}

export const backupStatusQuery = defineQuery<BackupStatus>('status');

function show(title: string, state: BackupStatus): void {
  const lines = [
    `**${title}** · ${state.status}${state.step !== 'done' ? ` (${state.step})` : ''}`,
    state.dump ? `- dump: ${state.dump.sizeBytes} bytes, ${state.dump.tables} tables, ${state.dump.rows} rows` : '',
    state.dump ? `- sha256: ${state.dump.sha256}` : '',
    state.error ? `- error: ${state.error}` : '',
    state.incidentId ? `- incident: ${state.incidentId}` : '',
    state.retention
      ? `- retention: ${state.retention.deleted.length} removed, ${state.retention.kept.length} kept`
      : '',
  ];
  setCurrentDetails(lines.filter(Boolean).join('\n'));
}

/** Opens (or grows) the backup incident for this run and links it to the backup's row. */
async function page(state: BackupStatus, what: string): Promise<void> {
  const incident = await handoff.openIncident({
    title: `Backup ${what}: ${state.id}`,
    severity: 'P2',
    description:
      `Backup ${state.id} is ${state.status}: ${state.error ?? 'no reason recorded'}.\n\n` +
      'Until a backup is verified, the newest verified one is what a restore would bring back ' +
      '(GET /backups; docs/production.md, "Backups").',
    source: 'backups',
    dedupKey: BACKUP_INCIDENT_KEY,
  });
  state.incidentId = incident.id;
  await db.linkBackupIncident({ id: state.id, incidentId: incident.id });
}

/** The restore test of one backup: restore into a scratch database, compare counts, check the schema. */
async function restoreTestStep(state: BackupStatus, title: string): Promise<void> {
  state.step = 'verify';
  show(title, state);
  let outcome: VerifySummary;
  try {
    outcome = await backup.verifyBackup({ id: state.id });
  } catch (err) {
    // The test could not run to the end (no pg_restore, the server gone for all retries): not verified.
    outcome = { verified: false, error: failureMessage(err) };
    await db.failBackup({ id: state.id, error: outcome.error!, status: 'unverified' });
  }
  state.status = outcome.verified ? 'verified' : 'unverified';
  state.error = outcome.error;
  if (outcome.verified) await db.resolveBackupIncident({ id: state.id });
  else await page(state, 'unverified');
}

/**
 * A backup of Opsflow's database (nightly at 02:00, or `POST /backups`): `pg_dump` in custom format with the row
 * count of every table, then the restore test, then retention. A dump that fails, or a backup that does not
 * restore to the same counts, opens the `backup-unverified` incident; a verified backup resolves it. Retention
 * runs only after a verified backup, and counts only verified ones.
 *
 * Queries: `status`. Side effects: a file and its manifest under OPSFLOW_BACKUP_DIR, a `backups` row, a scratch
 * database created and dropped, older files removed, an incident when the backup cannot be trusted.
 */
export async function backupDatabase(input: BackupInput = {}): Promise<BackupStatus> {
  const state: BackupStatus = { id: workflowInfo().workflowId, status: 'running', step: 'dump' };
  const title = 'Backup';
  setHandler(backupStatusQuery, () => state);
  show(title, state);
  await db.startBackup({ id: state.id, trigger: input.trigger ?? 'schedule' });
  try {
    state.dump = await backup.dumpBackup({ id: state.id });
  } catch (err) {
    state.status = 'failed';
    state.error = failureMessage(err);
    await db.failBackup({ id: state.id, error: state.error, status: 'failed' });
    await page(state, 'failed');
    state.step = 'done';
    show(title, state);
    return state;
  }
  await restoreTestStep(state, title);
  if (state.status === 'verified') {
    state.step = 'retention';
    show(title, state);
    state.retention = await backup.applyBackupRetention();
  }
  state.step = 'done';
  show(title, state);
  return state;
}

/**
 * A restore test of an existing backup (`POST /backups/:id/verify`): a verified backup whose file has since been
 * damaged or lost becomes unverified and opens the incident.
 */
export async function restoreTest(input: { id: string }): Promise<BackupStatus> {
  const state: BackupStatus = { id: input.id, status: 'running', step: 'verify' };
  setHandler(backupStatusQuery, () => state);
  await restoreTestStep(state, 'Restore test');
  state.step = 'done';
  show('Restore test', state);
  return state;
}
