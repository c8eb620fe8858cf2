import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The keys that encrypt secrets at rest: the current one encrypts, any known one decrypts (key rotation). */
export interface Keyring {
  currentKeyId: string;
  encrypt(plaintext: string, context: string): Buffer;
  /** @throws when the key id is unknown or the ciphertext was altered or moved to another row. */
  decrypt(ciphertext: Buffer, keyId: string, context: string): string;
}

/** A short public name for a key (a hash prefix), stored beside each ciphertext so old keys can be retired. */
export function keyIdOf(key: Buffer): string {
  return `k${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

/**
 * AES-256-GCM with a random 96-bit IV per message; the output is `iv | tag | ciphertext`. `context` (e.g.
 * `hl_installations:42:refresh`) is authenticated data, so a ciphertext copied to another row does not decrypt.
 *
 * @example
 * const keyring = createKeyring(key);
 * const enc = keyring.encrypt(token, 'hl_installations:1:access');
 */
export function createKeyring(current: Buffer, previous: Buffer[] = []): Keyring {
  const keys = new Map([current, ...previous].map((k) => [keyIdOf(k), k]));
  const currentKeyId = keyIdOf(current);
  return {
    currentKeyId,
    encrypt(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    decrypt(ciphertext, keyId, context) {
      const key = keys.get(keyId);
      if (!key) throw new Error(`encryption key ${keyId} is not configured (was it rotated away too early?)`);
      const decipher = createDecipheriv('aes-256-gcm', key, ciphertext.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(ciphertext.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(ciphertext.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      );
    },
  };
}

let devKeyAnnounced = false;

/**
 * The keyring from config (`OPSFLOW_ENCRYPTION_KEY`, older keys in `OPSFLOW_PREVIOUS_ENCRYPTION_KEYS`). In demo
 * mode without a key, a dev key is generated once and kept under the data directory (mode 600), said once in the
 * log; outside demo mode a missing key is an error.
 *
 * @example
 * const keyring = loadKeyring(config, log);
 */
export function loadKeyring(config: Config, log: Logger): Keyring {
  if (config.encryptionKey) return createKeyring(config.encryptionKey, config.previousEncryptionKeys ?? []);
  if (!config.demo) throw new Error('OPSFLOW_ENCRYPTION_KEY is required to store OAuth tokens outside demo mode');
  const file = join(config.dataDir, 'dev-encryption-key');
  try {
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (!devKeyAnnounced) {
    devKeyAnnounced = true;
    log.warn(
      { keyId: keyIdOf(key) },
      'DEMO MODE: OAuth tokens are encrypted with a generated development key kept in the data directory; set OPSFLOW_ENCRYPTION_KEY in production',
    );
  }
  return createKeyring(key);
}
