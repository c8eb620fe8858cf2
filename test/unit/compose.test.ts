import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes.js';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  healthcheck?: { test: unknown };
}

const root = new URL('../../', import.meta.url);
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;
/** The variables the config module reads, and Temporal's own (@temporalio/envconfig). */
const configSource = ['src/config.ts', 'src/incidents/settings.ts']
  .map((f) => {
    try {
      return readFileSync(new URL(f, root), 'utf8');
    } catch {
      return '';
    }
  })
  .join('\n');
const TEMPORAL_ENVCONFIG = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_NAME',
];

/** `${VAR:-default}` and `${VAR:?message}` as compose would resolve them with nothing set, secrets filled in. */
function resolved(env: Record<string, string | number>): Record<string, string> {
  const secrets: Record<string, string> = {
    OPSFLOW_API_TOKEN: 'operator-token-0123456789',
    OPSFLOW_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  };
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [
      k,
      String(v).replace(
        /\$\{(\w+)(?::-([^}]*)|:\?[^}]*)?\}/g,
        (_, name: string, def?: string) => secrets[name] ?? def ?? '',
      ),
    ]),
  );
}

describe('docker-compose.yml', () => {
  it('runs the whole stack: Temporal on PostgreSQL, its Web UI, the worker, the API, Opsflow PostgreSQL and mail', () => {
    for (const name of [
      'temporal-db',
      'temporal-schema',
      'temporal',
      'temporal-ui',
      'temporal-search-attributes',
      'opsflow-db',
      'mail',
      'worker',
      'api',
    ]) {
      assert.ok(services[name], `service ${name}`);
    }
    // Temporal on PostgreSQL from deploy/temporal: test/unit/topology-compose.test.ts checks it in detail.
    assert.match(services.temporal!.image!, /^temporalio\/server:\d+\.\d+\.\d+$/);
    for (const [name, s] of Object.entries(services)) {
      if (s.image) assert.match(s.image, /:[\w.-]*\d[\w.-]*$/, `${name} pins its image version`);
    }
  });

  it('sets only variables the config module knows, and they parse into a working configuration', () => {
    for (const name of ['worker', 'api']) {
      const env = services[name]!.environment!;
      for (const key of Object.keys(env)) {
        if (!/^(OPSFLOW_|TEMPORAL_|DATABASE_URL$|SMTP_URL$|MAIL_FROM$|HIGHLEVEL_|ZOHO_)/.test(key)) continue;
        const known = TEMPORAL_ENVCONFIG.includes(key) || new RegExp(`\\b${key}\\b`).test(configSource);
        assert.ok(known, `${name} sets ${key}, which src/config.ts does not read`);
      }
      const config = loadConfig(resolved(env));
      assert.equal(config.temporal.embedded, false, `${name} talks to the compose Temporal`);
      assert.equal(config.temporal.address, 'temporal:7233');
      assert.equal(new URL(config.database.url!).hostname, 'opsflow-db');
      assert.equal(new URL(config.mail.smtpUrl!).hostname, 'mail');
      assert.ok(config.encryptionKey, `${name} encrypts payloads`);
    }
  });

  it('publishes the API on its configured port and lets the Web UI call the codec endpoint', () => {
    const api = loadConfig(resolved(services.api!.environment!));
    assert.ok(services.api!.ports!.includes(`${api.api.port}:${api.api.port}`));
    assert.equal(api.api.host, '0.0.0.0');
    const ui = services['temporal-ui']!;
    const uiPort = ui.ports![0]!.split(':')[0];
    assert.ok(api.codecCorsOrigins.includes(`http://localhost:${uiPort}`), 'the Web UI origin is allowed');
    assert.equal(ui.environment!.TEMPORAL_CODEC_ENDPOINT, `${api.api.publicUrl}/codec`);
    // The browser sends the codec session cookie only with credentials on, and only to the UI's own site.
    assert.equal(ui.environment!.TEMPORAL_CODEC_INCLUDE_CREDENTIALS, 'true');
    assert.equal(new URL(api.api.publicUrl).hostname, 'localhost');
    const worker = loadConfig(resolved(services.worker!.environment!));
    assert.equal(api.metrics.sdkUrl, `http://worker:${worker.metrics.sdkBind!.split(':')[1]}/metrics`);
  });

  it('starts the worker and API only once what they need is healthy and the search attributes exist', () => {
    for (const name of ['worker', 'api']) {
      const deps = services[name]!.depends_on!;
      for (const needed of ['temporal', 'opsflow-db', 'mail']) {
        assert.equal(deps[needed]?.condition, 'service_healthy', `${name} waits for ${needed}`);
        assert.ok(services[needed]!.healthcheck, `${needed} has a healthcheck`);
      }
      assert.equal(deps['temporal-search-attributes']?.condition, 'service_completed_successfully');
      assert.ok(services[name]!.build, `${name} is built from the Dockerfile`);
    }
    const command = String(services['temporal-search-attributes']!.command);
    for (const key of CUSTOM_SEARCH_ATTRIBUTES) assert.match(command, new RegExp(`\\b${key.name}\\b`));
    assert.match(String(services.worker!.command), /dist\/src\/main\/worker\.js/);
    assert.match(String(services.api!.command), /dist\/src\/main\/api\.js/);
  });

  it('builds an image with a prebuilt workflow bundle that runs as a non-root user', () => {
    const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
    assert.ok((dockerfile.match(/^FROM /gm) ?? []).length >= 2, 'multi-stage');
    assert.match(dockerfile, /build-workflow-bundle\.ts/);
    assert.match(dockerfile, /OPSFLOW_WORKFLOW_BUNDLE=\S+/);
    assert.match(dockerfile, /^USER (?!root)\w+/m);
  });

  it('backs up with a pg_dump no older than the database it dumps, into a volume that outlives the worker', () => {
    const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
    const client = Number(/^ARG PG_CLIENT_MAJOR=(\d+)$/m.exec(dockerfile)?.[1]);
    const server = Number(/^postgres:(\d+)/.exec(services['opsflow-db']!.image ?? '')?.[1]);
    assert.ok(client >= server && server > 0, `pg_dump ${client} can dump PostgreSQL ${server}`);
    assert.match(dockerfile, /OPSFLOW_PG_BIN_DIR=\/opt\/pgclient\/bin/);
    const backupDir = /OPSFLOW_BACKUP_DIR=(\S+)/.exec(dockerfile)?.[1];
    const volumes = (services.worker as { volumes?: string[] }).volumes ?? [];
    assert.ok(
      volumes.some((v) => v.endsWith(`:${backupDir}`)),
      `the worker keeps ${backupDir} on a volume: ${volumes.join(', ')}`,
    );
  });
});
