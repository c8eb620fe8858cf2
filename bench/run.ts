/**
 * `npm run bench [filter]`: starts a private stack, runs every bench/*.ts module that exports `run()`, prints one
 * table of the ratios they measured and writes each result as JSON under bench/results/.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPrivateStack } from '../test/stack.js';
import { rssMb } from './processes.js';

/** One measured figure and, when it is judged, its target: at least `min`, at most `max`. */
export interface Measure {
  what: string;
  value: number;
  min?: number;
  max?: number;
}

/** What a benchmark reports: its measures, the resident memory of the worker and the API, and the raw figures. */
export interface BenchResult {
  name: string;
  ratios: Measure[];
  /** RSS in MB at the end of the benchmark; `apiMb` is the bench process, which serves the API when one runs. */
  rss?: { workerMb?: number; apiMb?: number };
  details: Record<string, unknown>;
}

const DIR = new URL('.', import.meta.url).pathname;

/** Benchmarks that report plain figures rather than ratios: each numeric figure becomes a row. */
function asResult(name: string, value: unknown): BenchResult {
  const result = value as Partial<BenchResult> | undefined;
  if (result && Array.isArray(result.ratios))
    return {
      name: result.name ?? name,
      ratios: result.ratios,
      rss: result.rss,
      details: result.details ?? (value as Record<string, unknown>),
    };
  const figures = Object.entries((value ?? {}) as Record<string, unknown>).filter(
    (entry): entry is [string, number] => typeof entry[1] === 'number',
  );
  return {
    name,
    ratios: figures.map(([what, v]) => ({ what, value: v })),
    details: (value ?? {}) as Record<string, unknown>,
  };
}

const passes = (m: Measure) => (m.min === undefined || m.value >= m.min) && (m.max === undefined || m.value <= m.max);

async function main(): Promise<void> {
  const filter = process.argv[2]?.startsWith('--') ? '' : (process.argv[2] ?? '');
  const modules = readdirSync(DIR).filter(
    (f) => f.endsWith('.ts') && !['run.ts', 'processes.ts'].includes(f) && f.includes(filter),
  );
  const stack = await startPrivateStack({ name: 'bench', activate: true });
  const results: BenchResult[] = [];
  try {
    for (const file of modules.sort()) {
      const mod = (await import(join(DIR, file))) as { run?: () => Promise<unknown> };
      if (typeof mod.run !== 'function') continue;
      console.log(`running ${file} ...`);
      const value = await mod.run();
      for (const one of Array.isArray(value) ? value : [value]) {
        const result = asResult(file.replace(/\.ts$/, ''), one);
        // Benchmarks without a worker process of their own run the workers inside this process.
        result.rss ??= { workerMb: rssMb(), apiMb: undefined };
        results.push(result);
      }
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
      figure: Number(x.value.toFixed(3)),
      target: x.min !== undefined ? `>= ${x.min}` : x.max !== undefined ? `<= ${x.max}` : '',
      pass: x.min === undefined && x.max === undefined ? '' : passes(x) ? 'pass' : 'FAIL',
      'worker RSS MB': r.rss?.workerMb ?? '',
      'API RSS MB': r.rss?.apiMb ?? '',
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
