import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort } from '../../src/dev/ports.js';
import { findTemporalCli, startTemporalDevServer } from '../../src/dev/temporal.js';
import { createLogger } from '../../src/logger.js';

const log = createLogger('error');

describe('finding and starting the Temporal CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsflow-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('says the module proxy was unreachable and what to do instead when the Go build fails', async () => {
    // A `go` that fails the way an offline machine does; PATH holds nothing else, so no `temporal` is found.
    const goScript = [
      '#!/bin/sh',
      'if [ "$1" = version ]; then echo "go version go1.26 linux/amd64"; exit 0; fi',
      'echo "go: downloading github.com/temporalio/cli v1.5.1" >&2',
      'echo "go: github.com/temporalio/cli@v1.5.1: Get https://proxy.example/: dial tcp: lookup proxy.example: no such host" >&2',
      'exit 1',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'go'), goScript);
    chmodSync(join(dir, 'go'), 0o755);
    const path = process.env.PATH;
    process.env.PATH = dir;
    try {
      await assert.rejects(findTemporalCli({ cacheDir: join(dir, 'cache'), log }), (err: Error) => {
        assert.match(err.message, /Go module proxy could not be reached/);
        assert.match(err.message, /TEMPORAL_CLI_PATH/);
        assert.match(err.message, /TEMPORAL_ADDRESS/);
        assert.match(err.message, /no such host/);
        return true;
      });
    } finally {
      process.env.PATH = path;
    }
  });

  it('fails with the binary and the reason when the CLI cannot be run, never an unhandled error event', async () => {
    const cliPath = join(dir, 'temporal-not-executable');
    writeFileSync(cliPath, 'not a program');
    chmodSync(cliPath, 0o644);
    const [port, uiPort] = await Promise.all([freePort(), freePort()]);
    await assert.rejects(
      startTemporalDevServer({ cliPath, cacheDir: dir, port, uiPort, namespace: 'default', log }),
      (err: Error) => {
        assert.match(err.message, new RegExp(`could not run ${cliPath}: spawn ${cliPath} EACCES`));
        assert.match(err.message, /TEMPORAL_CLI_PATH/);
        return true;
      },
    );
  });
});
