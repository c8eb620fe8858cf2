import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { keyIdOf, keysById, open, seal } from '../aes-gcm.js';
import type { Config } from '../config.js';

/** The `encoding` metadata of an encrypted payload; anything else passes through the codec untouched. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata naming the key that encrypted a payload, so retired keys can still decrypt old histories. */
export const KEY_ID_METADATA = 'encryption-key-id';

// CommonJS package: its namespace object comes through the default import under ESM.
const { temporal } = proto;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Raised when a payload was encrypted with a key that is not configured (rotated away too early). */
export class UnknownEncryptionKeyError extends Error {
  override name = 'UnknownEncryptionKeyError';
}

/**
 * AES-256-GCM payload codec. Each payload is serialized whole (metadata and data) and encrypted with a fresh
 * 96-bit IV, so neither its content nor its original encoding shows in the history. The current key encrypts;
 * any configured key decrypts, looked up by the key id in the payload's metadata.
 *
 * @example
 * const codec = new AesGcmPayloadCodec(currentKey, [previousKey]);
 * const client = new Client({ connection, dataConverter: { payloadCodecs: [codec] } });
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  readonly keyId: string;
  private readonly keys: Map<string, Buffer>;

  constructor(
    private readonly current: Buffer,
    previous: Buffer[] = [],
  ) {
    this.keyId = keyIdOf(current);
    this.keys = keysById(current, previous);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: encoder.encode(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: encoder.encode(this.keyId),
        },
        data: seal(this.current, plain),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || decoder.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
      const keyIdBytes = payload.metadata?.[KEY_ID_METADATA];
      const keyId = keyIdBytes ? decoder.decode(keyIdBytes) : '';
      const key = this.keys.get(keyId);
      if (!key)
        throw new UnknownEncryptionKeyError(`payload encrypted with key ${keyId || '(none)'}, which is not configured`);
      return temporal.api.common.v1.Payload.decode(open(key, payload.data ?? new Uint8Array()));
    });
  }
}

/** The payload codecs the configuration asks for: encryption when `OPSFLOW_ENCRYPTION_KEY` is set, else none. */
export function payloadCodecsFor(config: Pick<Config, 'encryptionKey' | 'previousEncryptionKeys'>): PayloadCodec[] {
  return config.encryptionKey ? [new AesGcmPayloadCodec(config.encryptionKey, config.previousEncryptionKeys)] : [];
}
