import type { Logger } from './logger.js';

/** What stops Opsflow: Ctrl-C (the whole foreground group), a service manager or `kill`, a closed terminal. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The ordered stop of a process: what was started last is stopped first. */
export interface Shutdown {
  /** Registers how to stop something that just started. */
  add(what: string, stop: () => Promise<unknown> | unknown): void;
  /** Runs every registered step once, in reverse order, logs `stopped` and exits with `code`. */
  stop(reason: string, code?: number): Promise<never>;
  /** True once a stop began. */
  readonly stopping: boolean;
}

/**
 * Installs the process's stop: on SIGINT, SIGTERM or SIGHUP (and when `stop` is called) the registered steps run in
 * reverse order of registration, each awaited, a failing one logged and passed over; then the process exits 0. The
 * signal often arrives more than once (a terminal signals the whole group, and npm forwards it to its child again):
 * repeats are logged and ignored. Past `deadlineMs` the process exits 1 naming the step that hung; children still
 * running are then told to stop by their exit hooks (see `src/dev/processes.ts`).
 *
 * @example
 * const shutdown = createShutdown(log, 60_000);
 * const db = await startEmbeddedPostgres(options);
 * shutdown.add('PostgreSQL', db.stop);
 */
export function createShutdown(log: Logger, deadlineMs: number): Shutdown {
  const steps: Array<{ what: string; stop: () => Promise<unknown> | unknown }> = [];
  let stopping: Promise<never> | undefined;

  const stop = (reason: string, code = 0): Promise<never> => {
    if (stopping) {
      log.info({ reason }, 'already stopping');
      return stopping;
    }
    stopping = (async () => {
      log.info({ reason }, 'stopping');
      // A call still retrying when its connection closes fails on its own timer; it must not end the stop half-way.
      process.on('uncaughtException', (err) => log.warn({ err: err.message }, 'an error after its part stopped'));
      let current = 'nothing';
      const deadline = setTimeout(() => {
        log.error({ step: current, deadlineMs }, `stopping took too long (${current}); exiting`);
        process.exit(1);
      }, deadlineMs);
      for (const step of steps.reverse()) {
        current = step.what;
        const started = Date.now();
        try {
          await step.stop();
          log.debug({ step: step.what, ms: Date.now() - started }, 'stopped a part');
        } catch (err) {
          log.warn({ step: step.what, err: (err as Error).message }, 'a part failed to stop');
        }
      }
      clearTimeout(deadline);
      log.info({ reason, exitCode: code }, 'stopped');
      process.exit(code);
    })();
    return stopping;
  };

  for (const signal of STOP_SIGNALS) {
    process.on(signal, () => {
      // A closed terminal: writing to it fails from now on, which must not end the stop half-way.
      if (signal === 'SIGHUP')
        for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
      void stop(signal);
    });
  }
  return {
    add: (what, fn) => void steps.push({ what, stop: fn }),
    stop,
    get stopping() {
      return stopping !== undefined;
    },
  };
}
