/**
 * Prebuilds the workflow bundle (for the container image): `tsx scripts/build-workflow-bundle.ts <out.js>`.
 * Workers load it through OPSFLOW_WORKFLOW_BUNDLE instead of bundling the sources at every start.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { WORKFLOWS_PATH } from '../src/worker.js';

async function run(): Promise<void> {
  const out = resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, code);
  console.log(`workflow bundle written to ${out} (${Math.round(code.length / 1024)} KiB)`);
}

run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
