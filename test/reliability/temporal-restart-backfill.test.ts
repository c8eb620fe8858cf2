/**
 * Fault: the Temporal server goes away in the middle of a backfill to ZOHO (the simulator) and comes back (same state
 * file, same port). The backfill must finish with every record synced and nothing created twice. A private stack,
 * since the server is restarted.
 */
import { after, before, describe, it } from 'node:test';
import { backfillAcrossOutage, startBackfillEnv, type BackfillTestEnv } from '../backfill-env.js';
import { startFaultStack, type PrivateStack } from '../stack.js';

describe('Temporal restarted during a backfill', () => {
  let stack: PrivateStack;
  let env: BackfillTestEnv;
  before(async () => {
    stack = await startFaultStack('fault-temporal-backfill');
    env = await startBackfillEnv();
  });
  after(async () => {
    await env?.stop();
    await stack?.stop();
  });

  it('finishes with every record synced and zero duplicate creates', async () => {
    await backfillAcrossOutage(env, { server: stack.temporal, name: 'temporal-restart', customers: 30 });
  });
});
