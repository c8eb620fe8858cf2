/**
 * docker-compose.yml runs Temporal from the same files the topology suite (`npm run test:topology`) ran: the server
 * release, the config in deploy/temporal and its environment, the setup scripts, the namespace and the search
 * attributes. This test fails when the compose stack drifts from what was tested.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { serverEnvironment, TEMPORAL_DEPLOY_DIR, TEMPORAL_SERVER_VERSION } from '../../src/dev/temporal-server.js';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes.js';

interface Service {
  image?: string;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}

const root = new URL('../../', import.meta.url);
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
});
