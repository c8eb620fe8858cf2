import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createKeyring, keyIdOf } from '../../src/integrations/crypto.js';
import { loadConfig } from '../../src/config.js';

describe('token encryption', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);

  it('round-trips a token and never stores it in clear', () => {
    const keyring = createKeyring(oldKey);
    const enc = keyring.encrypt('hl_at_secret-value', 'hl_installations:1:access');
    assert.ok(!enc.includes(Buffer.from('hl_at_secret-value')));
    assert.equal(keyring.decrypt(enc, keyring.currentKeyId, 'hl_installations:1:access'), 'hl_at_secret-value');
    // A fresh IV each time: the same token never encrypts to the same bytes.
    assert.notDeepEqual(keyring.encrypt('hl_at_secret-value', 'hl_installations:1:access'), enc);
  });

  it('refuses a ciphertext moved to another row or field, or altered', () => {
    const keyring = createKeyring(oldKey);
    const enc = keyring.encrypt('token', 'hl_installations:1:refresh');
    assert.throws(() => keyring.decrypt(enc, keyring.currentKeyId, 'hl_installations:2:refresh'));
    assert.throws(() => keyring.decrypt(enc, keyring.currentKeyId, 'hl_installations:1:access'));
    const altered = Buffer.from(enc);
    altered[altered.length - 1]! ^= 1;
    assert.throws(() => keyring.decrypt(altered, keyring.currentKeyId, 'hl_installations:1:refresh'));
  });

  it('decrypts with a previous key after rotation and encrypts with the new one', () => {
    const before = createKeyring(oldKey);
    const enc = before.encrypt('token', 'ctx');
    const rotated = createKeyring(newKey, [oldKey]);
    assert.equal(rotated.currentKeyId, keyIdOf(newKey));
    assert.equal(rotated.decrypt(enc, keyIdOf(oldKey), 'ctx'), 'token');
    const retired = createKeyring(newKey);
    assert.throws(() => retired.decrypt(enc, keyIdOf(oldKey), 'ctx'), new RegExp(keyIdOf(oldKey)));
  });

  it('reads previous keys from OPSFLOW_PREVIOUS_ENCRYPTION_KEYS and rejects malformed ones by name', () => {
    const config = loadConfig({
      OPSFLOW_ENCRYPTION_KEY: newKey.toString('base64'),
      OPSFLOW_PREVIOUS_ENCRYPTION_KEYS: oldKey.toString('base64'),
    });
    assert.deepEqual(config.previousEncryptionKeys, [oldKey]);
    assert.throws(() => loadConfig({ OPSFLOW_PREVIOUS_ENCRYPTION_KEYS: 'short' }), /OPSFLOW_PREVIOUS_ENCRYPTION_KEYS/);
  });
});
