import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { CONFIG_VARIABLES, loadConfig, type Env } from '../../src/config.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The backticked names in the first column of README's configuration table, as written. */
function readmeConfigurationCells(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.split(/^## Configuration$/m)[1]?.split(/^## /m)[0];
  assert.ok(section, 'README.md has a "## Configuration" section');
  const rows = section.split('\n').filter((line) => line.startsWith('|'));
  // The first row is the header, the second the alignment row.
  return rows.slice(2).map((row) => row.split('|')[1]!.trim());
}

/** One of each wildcard's members stands in for it: the one a sample value can show being read. */
const WILDCARD_MEMBERS: Record<string, string> = { TEMPORAL_TLS_: 'TEMPORAL_TLS_SERVER_NAME' };

/** `A` / `B`, `A_L{1,2,3}_B`, `A_P1` … `A_P4` and `A_*` expanded into variable names. */
function variablesOf(cell: string): string[] {
  const names = [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
  const range = /^(.*?)(\d+)$/;
  if (cell.includes('…') && names.length === 2) {
    const [, prefix, from] = range.exec(names[0]!) ?? [];
    const [, prefixTo, to] = range.exec(names[1]!) ?? [];
    assert.ok(prefix && prefix === prefixTo, `README range ${cell} runs from one name to another of the same stem`);
    return Array.from({ length: Number(to) - Number(from) + 1 }, (_, i) => `${prefix}${Number(from) + i}`);
  }
  return names.flatMap((name) => {
    const braces = /^(.*)\{([^}]+)\}(.*)$/.exec(name);
    if (braces) return braces[2]!.split(',').map((part) => `${braces[1]}${part.trim()}${braces[3]}`);
    if (name.endsWith('*')) {
      const member = WILDCARD_MEMBERS[name.slice(0, -1)];
      assert.ok(member, `README names ${name}: add a member of it to WILDCARD_MEMBERS`);
      return [member];
    }
    return [name];
  });
}

const DOCUMENTED = readmeConfigurationCells().flatMap(variablesOf);

const KEY = Buffer.alloc(32, 9).toString('base64');
const CREDENTIALS: Env = {
  HIGHLEVEL_CLIENT_ID: 'hl-client',
  HIGHLEVEL_CLIENT_SECRET: 'hl-secret',
  ZOHO_CLIENT_ID: 'zoho-client',
  ZOHO_CLIENT_SECRET: 'zoho-secret',
  ZOHO_REFRESH_TOKEN: 'zoho-refresh',
  ZOHO_ORGANIZATION_ID: '777',
  OPSFLOW_API_TOKEN: 'operator-token-0123456789',
};

/**
 * Values in a specific format, and the environment they are compared in (`base`, default empty). Every other
 * variable gets the first of GENERIC_SAMPLES that the configuration accepts.
 */
interface Sample {
  value: string;
  base?: Env;
}
const SAMPLES: Record<string, Sample> = {
  OPSFLOW_TIMEZONE: { value: 'Europe/Berlin' },
  OPSFLOW_VENDOR_CALLS_RETENTION_DAYS: { value: '60' },
  OPSFLOW_LOG_LEVEL: { value: 'debug' },
  OPSFLOW_LOG_FORMAT: { value: 'pretty' },
  OPSFLOW_WORKER_QUEUES: { value: 'zoho' },
  OPSFLOW_OUTAGE_SEVERITY: { value: 'highlevel=P1' },
  OPSFLOW_BACKUP_KEEP_DAILY: { value: '14' },
  OPSFLOW_ENCRYPTION_KEY: { value: KEY },
  OPSFLOW_PREVIOUS_ENCRYPTION_KEYS: { value: KEY },
  OPSFLOW_SDK_METRICS_BIND: { value: '0.0.0.0:9470' },
  OPSFLOW_LINK_SECRET: { value: 'sample-link-secret-0123456789abcdef' },
  DATABASE_URL: { value: 'postgres://u:p@db.example.com:5432/opsflow' },
  SMTP_URL: { value: 'smtp://u:p@mail.example.com:587' },
  OPSFLOW_INCIDENT_POLICY: { value: '{"P1": {"repeats": 5}}' },
  OPSFLOW_QUIET_HOURS: { value: '22:00-07:00' },
  OPSFLOW_QUIET_DAYS: { value: 'sat,sun' },
  SMS_FROM: { value: '+15551234567' },
  ...Object.fromEntries(
    [1, 2, 3].flatMap((level) => [
      [`OPSFLOW_ESCALATION_L${level}_EMAILS`, { value: 'oncall@sample.example.com' }],
      [`OPSFLOW_ESCALATION_L${level}_SMS`, { value: '+15551234567' }],
    ]),
  ),
  // Demo mode keeps the simulators' URLs and the demo credentials; these show only with real credentials.
  ...Object.fromEntries(
    [
      'HIGHLEVEL_CLIENT_ID',
      'HIGHLEVEL_CLIENT_SECRET',
      'ZOHO_CLIENT_ID',
      'ZOHO_CLIENT_SECRET',
      'ZOHO_REFRESH_TOKEN',
      'ZOHO_ORGANIZATION_ID',
    ].map((name) => [name, { value: 'sample-credential', base: CREDENTIALS }]),
  ),
  ZOHO_DC: { value: 'eu', base: CREDENTIALS },
};
const GENERIC_SAMPLES = ['7', 'sample-0123456789abcdef', 'https://sample.example.com/'];

/** Dotted paths of the leaves (arrays and buffers count as leaves) that differ between two configurations. */
function changedPaths(a: unknown, b: unknown, path: string[] = []): string[] {
  const isRecord = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
  if (isRecord(a) && isRecord(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((key) => changedPaths(a[key], b[key], [...path, key]));
  }
  return isDeepStrictEqual(a, b) ? [] : [path.join('.')];
}

/** The configuration paths setting `name` changes, with the value used; none when no sample is accepted. */
function effectOf(name: string): { value?: string; paths: string[] } {
  const samples: Sample[] = SAMPLES[name] ? [SAMPLES[name]] : GENERIC_SAMPLES.map((value) => ({ value }));
  for (const { value, base = {} } of samples) {
    let paths: string[];
    try {
      paths = changedPaths(loadConfig(base), loadConfig({ ...base, [name]: value }));
    } catch {
      continue;
    }
    if (paths.length > 0) return { value, paths };
  }
  return { paths: [] };
}

/** Files under src/ that `entry` loads at run time, following relative imports (type-only imports load nothing). */
function importClosure(entry: string): Map<string, string> {
  const files = new Map<string, string>();
  const pending = [resolve(root, entry)];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    const source = readFileSync(file, 'utf8');
    files.set(file, source);
    const specifiers = source.matchAll(
      /(?:^|[\s;])(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g,
    );
    for (const m of specifiers) {
      const target = resolve(dirname(file), (m[1] ?? m[2])!);
      const found = [target.replace(/\.js$/, '.ts'), `${target}.ts`, join(target, 'index.ts'), target].find(
        (f) => existsSync(f) && f.endsWith('.ts'),
      );
      if (found) pending.push(found);
    }
  }
  return files;
}

const withoutComments = (source: string) => source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');

/**
 * Whether the code reads a configuration path: its last two segments as a property access (`metrics.sdkBind`), or
 * for a top-level setting the property itself (`config.dataDir`, `{ dataDir }`). A parent object read as a whole
 * (`temporal.connect` handed to the client) reads everything under it.
 */
function readsPath(code: string, path: string): boolean {
  const segments = path.split('.').filter((s) => !/^\d+$/.test(s));
  if (segments.length === 1) {
    const [name] = segments;
    return new RegExp(`\\??\\.${name}\\b|[{,]\\s*${name}\\s*[,}]`).test(code);
  }
  return segments.slice(1).some((name, i) => new RegExp(`\\b${segments[i]}\\??\\.${name}\\b`).test(code));
}

describe("README's configuration table", () => {
  it('lists variables in a form the test reads', () => {
    assert.ok(DOCUMENTED.length > 30, `found ${DOCUMENTED.length} variables`);
    for (const name of DOCUMENTED) assert.match(name, /^[A-Z][A-Z0-9_]*$/, `README names ${name}`);
  });

  it('documents every variable the configuration reads', () => {
    const documented = new Set(DOCUMENTED);
    const missing = CONFIG_VARIABLES.filter((name) => !documented.has(name));
    assert.deepEqual(missing, [], `src/config.ts reads ${missing.join(', ')}, which README's table does not list`);
  });

  // The closure of `npm start`'s entry point, src/config.ts left out: it writes the configuration, not reads it.
  const startCode = [...importClosure('src/main/start.ts')]
    .filter(([file]) => relative(root, file) !== join('src', 'config.ts'))
    .map(([, source]) => withoutComments(source))
    .join('\n');

  for (const name of DOCUMENTED) {
    it(`${name} changes the configuration, and npm start reads everything it changes`, () => {
      const { value, paths } = effectOf(name);
      assert.ok(
        value !== undefined,
        `${name}: no sample value changes loadConfig's result; give it one in SAMPLES, or the configuration ignores it`,
      );
      const unread = paths.filter((path) => !readsPath(startCode, path));
      assert.deepEqual(
        unread,
        [],
        `${name}=${value} changes ${unread.join(', ')}, which nothing npm start runs (src/main/start.ts and its imports) reads`,
      );
    });
  }
});
