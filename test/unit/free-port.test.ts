import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { freePort } from '../../src/dev/ports.js';

/** Local ports of the IPv4 TCP sockets in TIME_WAIT (state 06 in /proc/net/tcp). */
function timeWaitPorts(): Set<number> {
  const lines = readFileSync('/proc/net/tcp', 'utf8').trim().split('\n').slice(1);
  const ports = lines
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[3] === '06')
    .map((fields) => parseInt(fields[1]!.split(':')[1]!, 16));
  return new Set(ports);
}

describe('freePort', { skip: process.platform !== 'linux' && 'reads /proc/net/tcp' }, () => {
  it('holds each port it gives in TIME_WAIT, so no other start is handed it as a free port meanwhile', async () => {
    const ports = await Promise.all(Array.from({ length: 6 }, () => freePort()));
    assert.equal(new Set(ports).size, 6);
    const waiting = timeWaitPorts();
    assert.deepEqual(
      ports.filter((p) => !waiting.has(p)),
      [],
      'every port has a closed connection waiting on it',
    );
  });

  it('leaves the port free to listen on by its number', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
