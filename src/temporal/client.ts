import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config.js';
import { payloadCodecsFor } from './codec.js';

/**
 * Connects a Temporal client as the configuration says (address, namespace, API key, TLS), encrypting payloads
 * when an encryption key is configured.
 *
 * @example
 * const client = await connectClient(config);
 */
export async function connectClient(config: Config): Promise<Client> {
  const { connectionOptions } = config.temporal.connect;
  const connection = await Connection.connect({
    address: connectionOptions.address,
    tls: connectionOptions.tls,
    apiKey: connectionOptions.apiKey,
    metadata: connectionOptions.metadata,
  });
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: { payloadCodecs: payloadCodecsFor(config) },
  });
}
