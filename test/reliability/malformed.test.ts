import assert from 'node:assert/strict';
import { get, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { SchemaObject } from '../../src/api/docs/example.js';
import { startTestEnv, type TestEnv } from '../harness.js';
import { documentedOperations, type Operation } from './openapi-operations.js';

interface BadRequest {
  what: string;
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

const HUGE = 'x'.repeat(200_000);
/** Values of the wrong type for whatever a field expects. */
const WRONG_VALUES: unknown[] = [
  null,
  12345,
  -1,
  1e308,
  'not-a-value',
  '',
  true,
  [],
  {},
  [1, 'a'],
  { nested: { deep: 1 } },
  HUGE,
];
const BAD_PATH_VALUES = ['%00', '..%2F..%2Fetc%2Fpasswd', 'x'.repeat(5000), '%F0%9F%94%A5', "'%20OR%201%3D1--", '%25'];

/** The property schemas of a body schema (following one `$ref`). */
function propertiesOf(op: Operation): Record<string, SchemaObject> {
  let schema = op.body;
  if (schema?.$ref) schema = op.components[schema.$ref.split('/').pop() ?? ''];
  return schema?.properties ?? {};
}

/** Every malformed variant of one operation: its body, its parameters, its headers and its method. */
function badRequestsFor(op: Operation): BadRequest[] {
  const out: BadRequest[] = [];
  const base = { method: op.method, path: op.path };
  const json = (value: unknown) => JSON.stringify(value);
  const example = (op.exampleBody ?? {}) as Record<string, unknown>;
  // A GET carries no body; these variants are for the calls that take one.
  if (op.method !== 'GET') {
    for (const raw of [
      'not json',
      '{',
      '{"a":',
      '[]',
      'null',
      '123',
      '"text"',
      '{"__proto__":{"x":1}}',
      `{"a":"${HUGE}"}`,
    ]) {
      out.push({ ...base, what: `body ${raw.slice(0, 12)}`, body: raw });
    }
    out.push({ ...base, what: 'body of 2 MiB', body: json({ blob: 'y'.repeat(2 * 1024 * 1024) }) });
    out.push({
      ...base,
      what: 'JSON sent as text/plain',
      body: json(example),
      headers: { 'content-type': 'text/plain' },
    });
    out.push({ ...base, what: 'deeply nested body', body: '['.repeat(5000) + ']'.repeat(5000) });
  }
  for (const field of Object.keys(propertiesOf(op))) {
    const { [field]: _removed, ...without } = example;
    out.push({ ...base, what: `body without ${field}`, body: json(without) });
    for (const value of WRONG_VALUES) {
      out.push({
        ...base,
        what: `body.${field} = ${json(value)?.slice(0, 20)}`,
        body: json({ ...example, [field]: value }),
      });
    }
  }
  for (const p of op.parameters.filter((p) => p.in === 'path')) {
    for (const value of BAD_PATH_VALUES) {
      const path = op.template.replace(`{${p.name}}`, value).replace(/\{[^}]+\}/g, 'x');
      out.push({
        ...base,
        path,
        what: `path ${p.name} = ${value.slice(0, 20)}`,
        body: op.body ? json(example) : undefined,
      });
    }
  }
  for (const p of op.parameters.filter((p) => p.in === 'query')) {
    for (const value of ['', '%00', '-1', 'x'.repeat(10_000), '[]', 'true&' + p.name + '=twice']) {
      out.push({ ...base, path: `${op.path}?${p.name}=${value}`, what: `query ${p.name} = ${value.slice(0, 20)}` });
    }
  }
  for (const key of ['', ' ', 'has spaces', 'ü', 'k'.repeat(1000)]) {
    out.push({
      ...base,
      what: `idempotency-key ${json(key.slice(0, 10))}`,
      body: op.body ? json(example) : undefined,
      headers: { 'idempotency-key': key },
    });
  }
  for (const method of ['PUT', 'PATCH', 'DELETE', 'POST', 'GET'].filter((m) => m !== op.method)) {
    out.push({ ...base, method, what: `wrong method ${method}`, body: method === 'GET' ? undefined : '{}' });
  }
  return out;
}

/**
 * GET /health on a connection of its own: a connection the server closed after refusing an oversized body must
 * not be mistaken for an unhealthy API.
 */
function healthStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(`${url}/health`, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

describe('malformed requests against every documented route', () => {
  let env: TestEnv;
  let requests: BadRequest[];
  before(async () => {
    // With workers: a variant the API accepts (an extra field, a null optional) runs like any real call.
    // A HighLevel simulator answers the OAuth callback's code exchange, as the vendor would refuse a bad code.
    env = await startTestEnv({ api: true, highlevelSimulator: true });
    const ops = await documentedOperations(env.api!.url);
    requests = ops.flatMap(badRequestsFor);
  });
  after(() => env.stop());

  it('answers each of at least 1,000 malformed requests with a 4xx, never a 5xx, and stays healthy', async () => {
    assert.ok(requests.length >= 1000, `generated ${requests.length} malformed requests`);
    const failures: string[] = [];
    const send = async (r: BadRequest) => {
      const headers: Record<string, string> = { authorization: `Bearer ${env.api!.operatorToken}`, ...r.headers };
      if (r.body !== undefined) headers['content-type'] ??= 'application/json';
      // Framed as any HTTP client frames a body: Node's own sends a GET's or DELETE's body without a length, and the
      // server then reads it as the next request on the connection (a 400 and a closed connection, not this route).
      if (r.body !== undefined) headers['content-length'] ??= String(Buffer.byteLength(r.body));
      // A connection of its own per request: the server may close one after refusing an oversized body.
      const res = await new Promise<{ status: number; text: string }>((resolve) => {
        const req = request(
          `${env.api!.url}${r.path}`,
          { method: r.method, headers, agent: false, timeout: 10_000 },
          (answer) => {
            let text = '';
            answer.on('data', (chunk: Buffer) => (text += chunk.toString()));
            answer.on('end', () => resolve({ status: answer.statusCode ?? 0, text }));
          },
        );
        req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
        // An answer that arrives before the whole body was sent (413) may reset the upload: that is an answer.
        req.on('error', (err) => resolve({ status: 0, text: err.message }));
        req.end(r.body);
      });
      if (res.status === 0 || res.status >= 500) {
        failures.push(`${r.method} ${r.path.slice(0, 80)} (${r.what}): ${res.status} ${res.text.slice(0, 200)}`);
      }
    };
    for (let i = 0; i < requests.length; i += 25) {
      await Promise.all(requests.slice(i, i + 25).map(send));
      if (i % 250 === 0) {
        assert.equal(await healthStatus(env.api!.url), 200, `health after ${i} malformed requests`);
      }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${requests.length} malformed requests got a 5xx`);
    assert.equal(await healthStatus(env.api!.url), 200, 'health after every malformed request');
  });

  /**
   * Sends `pieces` × 64 KiB as a JSON body, `gapMs` apart: longer than the Node adapter waits for an unread body. With
   * `chunked`, the body goes without a length, as a stream's upload does.
   */
  const slowUpload = (method: string, path: string, pieces: number, { gapMs = 45, chunked = false } = {}) =>
    new Promise<{ status: number; body: string; error?: string }>((resolve) => {
      const piece = Buffer.alloc(64 * 1024, 'z');
      let answer: { status: number; body: string } | undefined;
      let sentAll = false;
      const settle = () => answer && sentAll && resolve(answer);
      const req = request(`${env.api!.url}${path}`, {
        method,
        agent: false,
        headers: {
          authorization: `Bearer ${env.api!.operatorToken}`,
          'content-type': 'application/json',
          ...(chunked ? {} : { 'content-length': String(piece.length * pieces) }),
        },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => {
          answer = { status: res.statusCode ?? 0, body };
          settle();
        });
      });
      req.on('finish', () => {
        sentAll = true;
        settle();
      });
      req.on('error', (err) => resolve({ status: answer?.status ?? 0, body: '', error: err.message }));
      req.on('close', () => {
        if (!sentAll) resolve({ status: answer?.status ?? 0, body: '', error: 'closed before the body was sent' });
      });
      let sent = 0;
      const next = () => {
        if (req.destroyed) return;
        if (++sent === pieces) return void req.end(piece);
        req.write(piece, () => setTimeout(next, gapMs));
      };
      next();
    });

  it('answers an oversized body that arrives slowly with a 413, not a reset connection', async () => {
    // 2 MiB over about 1.5 s
    const outcome = await slowUpload('POST', '/incidents', 32);
    assert.equal(outcome.error, undefined, `the upload was cut off: ${outcome.error}`);
    assert.equal(outcome.status, 413);
    assert.equal((JSON.parse(outcome.body) as { error: { code: string } }).error.code, 'payload_too_large');
  });

  it('answers an oversized body sent without a length with a 413, not a reset connection', async () => {
    // 2 MiB in chunks over about 1.5 s: the limit is found only by reading, and what is left is read after the 413
    const outcome = await slowUpload('POST', '/incidents', 32, { chunked: true });
    assert.equal(outcome.error, undefined, `the upload was cut off: ${outcome.error}`);
    assert.equal(outcome.status, 413);
    assert.equal((JSON.parse(outcome.body) as { error: { code: string } }).error.code, 'payload_too_large');
  });

  it('answers a route that takes no body, sent one slowly, once the body is in, not with a reset connection', async () => {
    // 640 KiB over about 1.5 s, under the limit, to a route that never reads a body
    const outcome = await slowUpload('DELETE', '/maintenance-windows/mw-none', 10, { gapMs: 150 });
    assert.equal(outcome.error, undefined, `the upload was cut off: ${outcome.error}`);
    assert.equal(outcome.status, 404);
  });
});
