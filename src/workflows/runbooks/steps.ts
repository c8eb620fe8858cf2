import { setCurrentDetails } from '@temporalio/workflow';
import { now } from '../clock.js';
import { failureMessage } from '../failures.js';
import type { Verdict } from '../../reports/types.js';
import type { RunStatus, RunStep } from '../run-status.js';

/** What a step returns: its status and a one-line summary for people, plus figures for the report. */
export interface StepResult<T = unknown> {
  status: 'ok' | 'warning' | 'failed';
  summary: string;
  data?: T;
}

/** A named step of a runbook; `T` is the type of its figures (`data`). */
export type StepDefinition<N extends string = string, T = unknown> = readonly [
  name: N,
  run: () => Promise<StepResult<T>>,
];

/**
 * The figures of a set of steps, by step name, typed by what each step returns: undefined for a step that
 * failed or returned none.
 */
export type StepData<S extends readonly StepDefinition[]> = {
  [D in S[number] as D[0]]?: D extends StepDefinition<string, infer T> ? T : never;
};

function details(title: string, state: RunStatus): string {
  const lines = state.steps.map((s) => `- **${s.name}**: ${s.status}${s.summary ? ` — ${s.summary}` : ''}`);
  return `**${title}**${state.health ? ` · ${state.health}` : ''}\n\n${lines.join('\n')}`;
}

/**
 * Runs the steps in parallel, each recorded in `state.steps` with its status, duration and summary as it
 * finishes. A step that throws is `failed` with the cause's message; the others still run to the end.
 *
 * @example
 * const { tokens, webhooks } = await runSteps('Daily runbook', state, [['tokens', tokenStep], ['webhooks', webhookStep]]);
 */
export async function runSteps<const S extends readonly StepDefinition[]>(
  title: string,
  state: RunStatus,
  steps: S,
): Promise<StepData<S>> {
  state.steps = steps.map(([name]): RunStep => ({ name, status: 'running', durationMs: 0, summary: '' }));
  setCurrentDetails(details(title, state));
  // Filled by step name as each finishes; the names are the keys of `StepData<S>`.
  const data: Record<string, unknown> = {};
  await Promise.all(
    steps.map(async ([name, run], i) => {
      const started = now();
      let result: StepResult;
      try {
        result = await run();
      } catch (err) {
        result = { status: 'failed', summary: failureMessage(err) };
      }
      state.steps[i] = { name, status: result.status, durationMs: now() - started, summary: result.summary };
      if (result.data !== undefined) data[name] = result.data;
      setCurrentDetails(details(title, state));
    }),
  );
  return data as StepData<S>;
}

/** Runs one step on its own, timed, as a run's `steps` entry (the monitor's paging and alerting steps). */
export async function timedStep(name: string, run: () => Promise<StepResult>): Promise<RunStep> {
  const started = now();
  const { status, summary } = await run();
  return { name, status, durationMs: now() - started, summary };
}

/** Any failed step makes the run UNHEALTHY, any warning DEGRADED; otherwise HEALTHY. */
export function verdictOf(steps: RunStep[]): Verdict {
  if (steps.some((s) => s.status === 'failed')) return 'UNHEALTHY';
  if (steps.some((s) => s.status === 'warning')) return 'DEGRADED';
  return 'HEALTHY';
}

/** Shows the final state in the Web UI's current details. */
export function showFinal(title: string, state: RunStatus): void {
  setCurrentDetails(details(title, state));
}
