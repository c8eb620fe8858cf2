import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Payload } from '@temporalio/common';
import { cors } from 'hono/cors';
import { payloadCodecsFor, UnknownEncryptionKeyError } from '../../temporal/codec.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { COMMON_ERRORS, jsonBody, jsonResponse } from '../schemas.js';

const base64 = z
  .string()
  .max(4 * 1024 * 1024)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64');

/** A payload as Temporal's remote codec protocol writes it: metadata values and data in base64. */
const JsonPayload = z
  .object({ metadata: z.record(z.string(), base64).nullish(), data: base64.nullish() })
  .openapi('CodecPayload', {
    example: { metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'eyJ0aXRsZSI6IkFQSSBkb3duIn0=' },
  });
const Payloads = z.object({ payloads: z.array(JsonPayload).max(1000) }).openapi('CodecPayloads');

const codecRoute = (direction: 'encode' | 'decode') =>
  createRoute({
    method: 'post',
    path: `/codec/${direction}`,
    summary:
      direction === 'decode'
        ? 'Decrypt workflow payloads (Temporal remote codec protocol, used by the Web UI and CLI)'
        : 'Encrypt workflow payloads (Temporal remote codec protocol)',
    tags: ['codec'],
    request: {
      headers: z.object({ 'x-namespace': z.string().max(200).optional() }),
      body: jsonBody(Payloads),
    },
    responses: {
      200: jsonResponse(Payloads, 'The payloads, transformed'),
      ...COMMON_ERRORS,
    },
  });

const fromJson = (p: z.infer<typeof JsonPayload>): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: p.data ? Buffer.from(p.data, 'base64') : undefined,
});

const toJson = (p: Payload): z.infer<typeof JsonPayload> => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

/**
 * CORS for the codec endpoint: the Web UI calls it from the operator's browser. Registered before authentication so
 * that preflights and refusals carry the headers the browser needs.
 *
 * @example
 * app.use('/codec/*', codecCors(config));
 */
export function codecCors(config: ApiDeps['config']) {
  return cors({
    origin: config.codecCorsOrigins,
    allowMethods: ['POST', 'OPTIONS'],
    allowHeaders: ['Authorization', 'Content-Type', 'X-Namespace'],
    credentials: true,
    maxAge: 600,
  });
}

/**
 * `POST /codec/decode` and `POST /codec/encode`: Temporal's remote codec protocol over the configured payload
 * codec, so operators see decrypted payloads in the Web UI (`TEMPORAL_CODEC_ENDPOINT`) or the CLI
 * (`--codec-endpoint`, `--codec-auth`). Without an encryption key both answer the payloads unchanged.
 *
 * @example
 * app.route('/', codecRoutes(deps));
 */
export function codecRoutes({ config }: Pick<ApiDeps, 'config'>) {
  const codecs = payloadCodecsFor(config);
  const apply = async (direction: 'encode' | 'decode', payloads: Payload[]) => {
    let result = payloads;
    // Decoding undoes the codecs in reverse order, as the SDK does.
    for (const codec of direction === 'encode' ? codecs : [...codecs].reverse())
      result = await codec[direction](result);
    return result;
  };
  const handler = (direction: 'encode' | 'decode') => async (payloads: z.infer<typeof JsonPayload>[]) => {
    try {
      return (await apply(direction, payloads.map(fromJson))).map(toJson);
    } catch (err) {
      if (err instanceof UnknownEncryptionKeyError) throw new ApiError(422, 'unknown_key', err.message);
      // A tampered or truncated ciphertext fails authentication: the caller's input is bad, not the server.
      throw new ApiError(422, 'undecodable', `Payloads could not be ${direction}d: ${(err as Error).message}`);
    }
  };
  return new OpenAPIHono()
    .openapi(codecRoute('decode'), async (c) =>
      c.json({ payloads: await handler('decode')(c.req.valid('json').payloads) }, 200),
    )
    .openapi(codecRoute('encode'), async (c) =>
      c.json({ payloads: await handler('encode')(c.req.valid('json').payloads) }, 200),
    );
}
