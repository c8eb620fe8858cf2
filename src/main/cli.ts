/**
 * The operator CLI: `npm run opsflow -- backfill start --integration zoho --entities customers,invoices
 * --mode unsynced [--since ISO] [--until ISO] [--dry-run] [--max-rpm N] [--follow]`,
 * `npm run opsflow -- backfill status|pause|resume|cancel <id>`, and
 * `npm run opsflow -- backfill retry-failed --entity invoices [--report <id>] [--follow]`, which retries exactly the
 * failed records of that entity the newest daily report (or `--report`) lists, as the report's retry link does. Talks to the HTTP API: OPSFLOW_API_URL
 * (default http://127.0.0.1:3000) and OPSFLOW_API_TOKEN (default: the demo token in .data/api-token).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadCliConfig } from '../config.js';
import { renderProgress } from '../backfill/progress.js';

interface Backfill {
  id: string;
  status: string;
  dryRun: boolean;
  progress: { total?: number; processed: number; succeeded: number; failed: number; skipped: number };
  errorsByClass: Record<string, number>;
  estimatedApiCalls?: number;
  apiCalls: number;
}

const FINISHED = new Set(['completed', 'failed', 'cancelled']);

function connection(): { url: string; token: string } {
  const cli = loadCliConfig(process.env);
  if (cli.token) return { url: cli.apiUrl, token: cli.token };
  try {
    return { url: cli.apiUrl, token: readFileSync(cli.tokenFile, 'utf8').trim() };
  } catch {
    throw new ConfigError('Set OPSFLOW_API_TOKEN (or run `npm start` once so .data/api-token exists)');
  }
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const { url, token } = connection();
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed = (await res.json().catch(() => ({}))) as T & { error?: { message: string } };
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${parsed.error?.message ?? ''}`);
  return parsed;
}

async function follow(id: string): Promise<Backfill> {
  for (;;) {
    const b = await api<Backfill>('GET', `/backfills/${encodeURIComponent(id)}`);
    process.stdout.write(`\r${renderProgress(b)}`);
    if (FINISHED.has(b.status)) {
      process.stdout.write('\n');
      return b;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Retries the failed records of one entity that a daily report lists (the newest one unless `reportId`). */
async function retryFailed(entity: string | undefined, reportId: string | undefined, wait: boolean): Promise<number> {
  if (!entity) {
    console.error(
      'usage: opsflow backfill retry-failed --entity <customers|subscriptions|invoices|payments> [--report <id>]',
    );
    return 2;
  }
  let id = reportId;
  if (!id) {
    const { reports } = await api<{ reports: Array<{ id: string }> }>('GET', '/reports?kind=daily&limit=1');
    id = reports[0]?.id;
    if (!id) throw new Error('no daily report yet: run the daily runbook first');
  }
  const started = await api<{ id: string; records: number[] }>(
    'POST',
    `/reports/${encodeURIComponent(id)}/retry-failed/${encodeURIComponent(entity)}`,
  );
  console.log(`started ${started.id}: retrying ${started.records.length} failed ${entity} listed by ${id}`);
  if (!wait) return 0;
  const done = await follow(started.id);
  return done.status === 'completed' ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      integration: { type: 'string', default: 'zoho' },
      entities: { type: 'string' },
      mode: { type: 'string', default: 'unsynced' },
      since: { type: 'string' },
      until: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      'max-rpm': { type: 'string' },
      follow: { type: 'boolean', default: false },
      entity: { type: 'string' },
      report: { type: 'string' },
    },
  });
  const [resource, action, id] = positionals;
  if (resource !== 'backfill' || !action) {
    console.error('usage: opsflow backfill start|status|pause|resume|cancel|retry-failed [id] [options]');
    return 2;
  }
  if (action === 'retry-failed') return retryFailed(values.entity, values.report, values.follow);
  if (action === 'start') {
    const entities =
      values.entities?.split(',') ??
      (values.integration === 'highlevel' ? ['contacts'] : ['customers', 'subscriptions', 'invoices', 'payments']);
    const started = await api<{ id: string }>('POST', '/backfills', {
      integration: values.integration,
      entities,
      mode: values.mode,
      since: values.since,
      until: values.until,
      dryRun: values['dry-run'] || undefined,
      maxRequestsPerMinute: values['max-rpm'] ? Number(values['max-rpm']) : undefined,
    });
    console.log(`started ${started.id}`);
    if (!values.follow) return 0;
    const done = await follow(started.id);
    return done.status === 'completed' ? 0 : 1;
  }
  if (!id) {
    console.error(`usage: opsflow backfill ${action} <id>`);
    return 2;
  }
  if (action === 'status') {
    console.log(JSON.stringify(await api('GET', `/backfills/${encodeURIComponent(id)}`), null, 2));
    return 0;
  }
  if (!['pause', 'resume', 'cancel'].includes(action)) {
    console.error(`unknown action ${action}`);
    return 2;
  }
  const state = await api<Backfill>('POST', `/backfills/${encodeURIComponent(id)}/${action}`, {});
  console.log(renderProgress(state));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  },
);
