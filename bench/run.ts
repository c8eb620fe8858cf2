/**
 * `npm run bench [filter]`: starts a private stack, runs every bench/*.ts module that exports `run()`, prints one
 * table of the ratios they measured and writes each result as JSON under bench/results/.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPrivateStack } from '../test/stack.js';

/** What a benchmark reports: named measurements and the ratios that judge them. */
export interface BenchResult {
  name: string;
  ratios: Array<{ what: string; value: number; target?: number }>;
  details: Record<string, unknown>;
}

const DIR = new URL('.', import.meta.url).pathname;

/** Benchmarks that report plain figures rather than ratios: each numeric figure becomes a row. */
function asResult(name: string, value: unknown): BenchResult {
  const result = value as Partial<BenchResult> | undefined;
  if (result && Array.isArray(result.ratios))
    return { name: result.name ?? name, ratios: result.ratios, details: result.details ?? {} };
  const figures = Object.entries((value ?? {}) as Record<string, unknown>).filter(
    (entry): entry is [string, number] => typeof entry[1] === 'number',
  );
  return {
    name,
    ratios: figures.map(([what, v]) => ({ what, value: v })),
    details: (value ?? {}) as Record<string, unknown>,
  };
}

async function main(): Promise<void> {
  const filter = process.argv[2] ?? '';
  const modules = readdirSync(DIR).filter((f) => f.endsWith('.ts') && f !== 'run.ts' && f.includes(filter));
  const stack = await startPrivateStack({ name: 'bench', activate: true });
  const results: BenchResult[] = [];
  try {
    for (const file of modules.sort()) {
      const mod = (await import(join(DIR, file))) as { run?: () => Promise<unknown> };
      if (typeof mod.run !== 'function') continue;
      console.log(`running ${file} ...`);
      results.push(asResult(file.replace(/\.ts$/, ''), await mod.run()));
    }
  } finally {
    await stack.stop();
  }
  mkdirSync(join(DIR, 'results'), { recursive: true });
  for (const r of results) writeFileSync(join(DIR, 'results', `${r.name}.json`), JSON.stringify(r, null, 2));
  const rows = results.flatMap((r) =>
    r.ratios.map((x) => ({
      benchmark: r.name,
      measure: x.what,
      value: Number(x.value.toFixed(3)),
      target: x.target ?? '',
      ok: x.target === undefined ? '' : x.value >= x.target ? 'yes' : 'NO',
    })),
  );
  console.table(rows);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
