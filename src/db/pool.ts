import pg from 'pg';

export type Pool = pg.Pool;

// numeric and bigint come back as strings by default; counts and ids fit comfortably in a JS number here.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/**
 * Opens a connection pool. Errors on idle clients (a restarted server) are logged, not thrown, so the
 * process survives a database restart and reconnects on the next query.
 *
 * @example
 * const pool = createPool('postgres://opsflow@127.0.0.1:5433/opsflow');
 */
export function createPool(
  connectionString: string,
  options: { max?: number; onError?: (err: Error) => void } = {},
): Pool {
  const pool = new pg.Pool({ connectionString, max: options.max ?? 10, idleTimeoutMillis: 30_000 });
  pool.on('error', options.onError ?? (() => undefined));
  return pool;
}
