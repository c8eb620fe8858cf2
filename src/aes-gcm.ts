import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM as Opsflow uses it, for tokens at rest (src/integrations/crypto.ts) and Temporal payloads
 * (src/temporal/codec.ts): a random 96-bit IV per message, the output framed as `iv | tag | ciphertext`, and keys
 * named by a hash prefix so that a ciphertext says which key opens it and old keys can be retired.
 */

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A key's public name (a hash prefix, never the key itself), stored beside each ciphertext. */
export function keyIdOf(key: Buffer): string {
  return `k${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

/** The keys by id: the current one and the previous ones that still decrypt. */
export function keysById(current: Buffer, previous: Buffer[] = []): Map<string, Buffer> {
  return new Map([current, ...previous].map((k) => [keyIdOf(k), k]));
}

/** Encrypts `plain`; `aad` (authenticated, not encrypted) binds the ciphertext to where it belongs. */
export function seal(key: Buffer, plain: Uint8Array, aad?: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  if (aad) cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/** Decrypts what `seal` wrote. @throws when the ciphertext, its tag or the `aad` were altered. */
export function open(key: Buffer, sealed: Uint8Array, aad?: Buffer): Buffer {
  const data = Buffer.from(sealed);
  const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
  if (aad) decipher.setAAD(aad);
  decipher.setAuthTag(data.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(data.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}
