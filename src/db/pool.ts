import pg from 'pg';

export type Pool = pg.Pool;

// numeric and bigint come back as strings by default; counts and ids fit comfortably in a JS number here.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/**
 * Opens a connection pool. Errors on its connections when the server goes away (a restart, a failover) go to
 * `onError` instead of crashing the process: on idle clients through the pool's `error` event, and on a client
 * checked out between two queries (a transaction waiting on an HTTP call) through a listener held while it is
 * out. That client's next query fails, its activity is retried, and the pool replaces it on release.
 *
 * @example
 * const pool = createPool('postgres://opsflow@127.0.0.1:5433/opsflow');
 */
export function createPool(
  connectionString: string,
  options: { max?: number; onError?: (err: Error) => void } = {},
): Pool {
  const pool = new pg.Pool({ connectionString, max: options.max ?? 10, idleTimeoutMillis: 30_000 });
  const onError = options.onError ?? (() => undefined);
  pool.on('error', onError);
  // pg-pool only listens on idle clients; an 'error' on a checked-out client with no listener would be thrown.
  const onClientError = (err: Error) => onError(err);
  pool.on('acquire', (client) => client.on('error', onClientError));
  pool.on('release', (_err, client) => client.removeListener('error', onClientError));
  return pool;
}
