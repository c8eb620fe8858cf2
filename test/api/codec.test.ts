import { Client } from '@temporalio/client';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, UnknownEncryptionKeyError } from '../../src/temporal/codec.js';
import { eventually, startTestEnv, type TestEnv } from '../harness.js';

interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}

/** Every payload list in a history (inputs and results); search attributes are not payload lists. */
function payloadsIn(value: unknown, found: Array<{ metadata?: Record<string, Uint8Array>; data?: Uint8Array }> = []) {
  if (Array.isArray(value)) for (const v of value) payloadsIn(v, found);
  else if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'payloads' && Array.isArray(v)) found.push(...v);
      else payloadsIn(v, found);
    }
  }
  return found;
}

const b64 = (bytes?: Uint8Array | null) => Buffer.from(bytes ?? new Uint8Array()).toString('base64');
const UI_ORIGIN = 'http://ui.example.test:8080';

describe('payload encryption', () => {
  let env: TestEnv;
  const key = randomBytes(32);
  before(async () => {
    env = await startTestEnv({
      api: true,
      env: { OPSFLOW_ENCRYPTION_KEY: key.toString('base64'), OPSFLOW_CODEC_CORS_ORIGINS: UI_ORIGIN },
    });
  });
  after(() => env.stop());

  it('keeps the history unreadable without the key and readable through the codec endpoint', async () => {
    const started = await env.api!.request<{ workflowId: string }>('POST', '/runbooks/monitor/runs');
    assert.equal(started.status, 202);
    const handle = env.client.workflow.getHandle(started.body.workflowId);
    // A client without the codec sees what the server stores.
    const bare = new Client({ connection: env.client.connection, namespace: env.config.temporal.namespace });
    // The worker decrypted its input and encrypted an activity result: proof both ends share the codec.
    const history = await eventually(
      async () => {
        const h = await bare.workflow.getHandle(started.body.workflowId).fetchHistory();
        // Two health results and the input of the step that records them.
        return payloadsIn(h.events).length >= 3 ? h : undefined;
      },
      30_000,
      'activity results and inputs in the history',
    );
    after(() => handle.terminate('test over').catch(() => undefined));

    // Patch markers (workflow versioning) carry only the patch's name, written by the SDK core outside the codec.
    const payloads = payloadsIn(history.events?.filter((e) => !e.markerRecordedEventAttributes));
    for (const p of payloads) {
      assert.equal(Buffer.from(p.metadata!.encoding!).toString(), ENCRYPTED_ENCODING);
      const raw = Buffer.from(p.data!);
      for (const plaintext of ['database', 'latencyMs', 'json/plain']) {
        assert.equal(raw.includes(plaintext), false, `"${plaintext}" readable in a stored payload`);
      }
    }

    const asJson: JsonPayload[] = payloads.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
      data: b64(p.data),
    }));
    const decoded = await env.api!.request<{ payloads: JsonPayload[] }>('POST', '/codec/decode', {
      body: { payloads: asJson },
      headers: { 'x-namespace': env.config.temporal.namespace },
    });
    assert.equal(decoded.status, 200);
    assert.ok(
      decoded.body.payloads.every((p) => Buffer.from(p.metadata.encoding!, 'base64').toString() === 'json/plain'),
    );
    const texts = decoded.body.payloads.map((p) => Buffer.from(p.data, 'base64').toString());
    assert.ok(
      texts.some((t) => t.includes('latencyMs')),
      `a health check result is readable once decoded: ${texts.join(' | ')}`,
    );

    const reEncoded = await env.api!.request<{ payloads: JsonPayload[] }>('POST', '/codec/encode', {
      body: { payloads: decoded.body.payloads },
    });
    assert.equal(reEncoded.status, 200);
    assert.notDeepEqual(reEncoded.body.payloads, asJson, 'a fresh IV per encryption');
    const roundTrip = await env.api!.request<{ payloads: JsonPayload[] }>('POST', '/codec/decode', {
      body: reEncoded.body,
    });
    assert.deepEqual(roundTrip.body.payloads, decoded.body.payloads);
  });

  it('refuses the codec endpoint without a token, and lets the Web UI origin through CORS', async () => {
    const anonymous = await env.api!.request('POST', '/codec/decode', { body: { payloads: [] }, token: null });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('access-control-allow-origin'), null, 'no Origin sent, no CORS answer');

    const preflight = await fetch(`${env.api!.url}/codec/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: UI_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,x-namespace',
      },
    });
    assert.ok(preflight.status < 300);
    assert.equal(preflight.headers.get('access-control-allow-origin'), UI_ORIGIN);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /authorization/i);

    const foreign = await fetch(`${env.api!.url}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example.test', 'access-control-request-method': 'POST' },
    });
    assert.notEqual(foreign.headers.get('access-control-allow-origin'), 'http://evil.example.test');
  });

  it('lets the Web UI decode with a browser session cookie that authenticates the codec and nothing else', async () => {
    const signIn = (token: string) =>
      fetch(`${env.api!.url}/codec/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }),
      });
    const page = await fetch(`${env.api!.url}/codec/sign-in`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<form method="post" action="\/codec\/sign-in">/);

    for (const refused of ['not-a-token', env.api!.viewerToken]) {
      const res = await signIn(refused);
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('set-cookie'), null, 'no cookie for a refused sign-in');
    }
    const missing = await fetch(`${env.api!.url}/codec/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    assert.equal(missing.status, 400);
    assert.match(await missing.text(), /token/);

    const signedIn = await signIn(env.api!.operatorToken);
    assert.equal(signedIn.status, 200);
    const cookie = signedIn.headers.get('set-cookie') ?? '';
    for (const attribute of [/HttpOnly/, /SameSite=Strict/, /Path=\/codec/, /Max-Age=28800/])
      assert.match(cookie, attribute);
    const session = cookie.split(';')[0]!;

    // What the Web UI sends with TEMPORAL_CODEC_INCLUDE_CREDENTIALS: the cookie, no Authorization header.
    const decoded = await fetch(`${env.api!.url}/codec/decode`, {
      method: 'POST',
      headers: { cookie: session, origin: UI_ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify({ payloads: [] }),
    });
    assert.equal(decoded.status, 200);
    assert.equal(decoded.headers.get('access-control-allow-origin'), UI_ORIGIN);
    assert.equal(decoded.headers.get('access-control-allow-credentials'), 'true');

    const elsewhere = await fetch(`${env.api!.url}/incidents`, { headers: { cookie: session } });
    assert.equal(elsewhere.status, 401, 'the codec cookie is not an API session');

    const signedOut = await fetch(`${env.api!.url}/codec/sign-out`, { method: 'POST', headers: { cookie: session } });
    assert.equal(signedOut.status, 200);
    assert.match(signedOut.headers.get('set-cookie') ?? '', /opsflow_codec=;.*Max-Age=0/);
  });

  it('answers 422, not 500, for a payload encrypted with an unknown key or tampered with', async () => {
    const stranger = new AesGcmPayloadCodec(randomBytes(32));
    const [foreign] = await stranger.encode([
      { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('1') },
    ]);
    const body = {
      payloads: [
        {
          metadata: {
            encoding: b64(foreign!.metadata!.encoding ?? undefined),
            'encryption-key-id': b64(foreign!.metadata!['encryption-key-id'] ?? undefined),
          },
          data: b64(foreign!.data ?? undefined),
        },
      ],
    };
    const unknown = await env.api!.request<{ error: { code: string } }>('POST', '/codec/decode', { body });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.error.code, 'unknown_key');
  });
});

describe('payload codec key rotation', () => {
  it('decrypts payloads of a retired key and encrypts with the current one', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const before = new AesGcmPayloadCodec(oldKey);
    const rotated = new AesGcmPayloadCodec(newKey, [oldKey]);
    const plain = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"ok":true}') };
    const [old] = await before.encode([plain]);
    const [back] = await rotated.decode([old!]);
    assert.equal(Buffer.from(back!.data!).toString(), '{"ok":true}');
    const [fresh] = await rotated.encode([plain]);
    assert.equal(Buffer.from(fresh!.metadata!['encryption-key-id']!).toString(), rotated.keyId);
    await assert.rejects(new AesGcmPayloadCodec(newKey).decode([old!]), UnknownEncryptionKeyError);
  });
});
