import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { keyIdOf, keysById, open, seal } from '../aes-gcm.js';
import type { Logger } from '../logger.js';

export { keyIdOf };

/** The keys that encrypt secrets at rest: the current one encrypts, any known one decrypts (key rotation). */
export interface Keyring {
  currentKeyId: string;
  encrypt(plaintext: string, context: string): Buffer;
  /** @throws when the key id is unknown or the ciphertext was altered or moved to another row. */
  decrypt(ciphertext: Buffer, keyId: string, context: string): string;
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
  const keys = keysById(current, previous);
  const currentKeyId = keyIdOf(current);
  return {
    currentKeyId,
    encrypt(plaintext, context) {
      return seal(current, Buffer.from(plaintext, 'utf8'), Buffer.from(context));
    },
    decrypt(ciphertext, keyId, context) {
      const key = keys.get(keyId);
      if (!key) throw new Error(`encryption key ${keyId} is not configured (was it rotated away too early?)`);
      return open(key, ciphertext, Buffer.from(context)).toString('utf8');
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
