import { exampleFor, type Components, type SchemaObject } from './example.js';
import { escapeHtml } from '../../html.js';

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: SchemaObject;
}
interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: SchemaObject }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: SchemaObject }> }>;
}
/** The parts of an OpenAPI 3.1 document the reference page reads. */
export interface OpenApiDocument {
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Components };
  security?: unknown[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

const escape = escapeHtml;

const json = (value: unknown) => escape(JSON.stringify(value, null, 2));

function curlFor(method: string, path: string, op: Operation, components: Components, needsAuth: boolean): string {
  let url = path;
  for (const p of op.parameters ?? []) {
    if (p.in === 'path') url = url.replace(`{${p.name}}`, String(exampleFor(p.schema, components) ?? p.name));
  }
  const query = (op.parameters ?? [])
    .filter((p) => p.in === 'query' && p.required)
    .map((p) => `${p.name}=${encodeURIComponent(String(exampleFor(p.schema, components)))}`);
  const lines = [`curl -X ${method.toUpperCase()} "$OPSFLOW_URL${url}${query.length ? `?${query.join('&')}` : ''}"`];
  if (needsAuth) lines.push('  -H "Authorization: Bearer $OPSFLOW_API_TOKEN"');
  const body = op.requestBody?.content?.['application/json']?.schema;
  if (body) {
    lines.push('  -H "Content-Type: application/json"');
    lines.push(`  -d '${JSON.stringify(exampleFor(body, components))}'`);
  }
  return lines.join(' \\\n');
}

const ERROR_CODES: Record<string, string> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  422: 'unprocessable',
  429: 'too_many_requests',
  503: 'unavailable',
};

/** The shared error schema has one example; each error status shows its own code and message instead. */
function errorExample(status: string, description: string | undefined, example: unknown): unknown {
  const code = ERROR_CODES[status];
  if (!code || !example || typeof example !== 'object' || !('error' in example)) return example;
  return { error: { code, message: description ?? code } };
}

function renderOperation(method: string, path: string, op: Operation, doc: OpenApiDocument): string {
  const components = doc.components?.schemas ?? {};
  const needsAuth = (op.security ?? doc.security ?? []).length > 0 && !(op.security && op.security.length === 0);
  const id = `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, '-');
  const params = (op.parameters ?? [])
    .map(
      (p) =>
        `<tr><td><code>${escape(p.name)}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : 'no'}</td><td>${escape(
          p.description ?? p.schema?.description ?? '',
        )}</td><td><code>${json(exampleFor(p.schema, components))}</code></td></tr>`,
    )
    .join('');
  const body = op.requestBody?.content?.['application/json']?.schema;
  const responses = Object.entries(op.responses ?? {})
    .map(([status, r]) => {
      const schema = r.content?.['application/json']?.schema;
      const example = schema
        ? `<pre>${json(errorExample(status, r.description, exampleFor(schema, components)))}</pre>`
        : '';
      return `<details${status.startsWith('2') ? ' open' : ''}><summary><b>${status}</b> ${escape(r.description ?? '')}</summary>${example}</details>`;
    })
    .join('');
  return `<section class="op" id="${id}">
<h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${escape(path)}</code></h3>
<p>${escape(op.summary ?? '')}${needsAuth ? '' : ' <em>(no token needed)</em>'}</p>
${op.description ? `<p>${escape(op.description)}</p>` : ''}
${params ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th>description</th><th>example</th></tr>${params}</table>` : ''}
${body ? `<h4>Request body</h4><pre>${json(exampleFor(body, components))}</pre>` : ''}
<h4>Example</h4><pre>${escape(curlFor(method, path, op, components, needsAuth))}</pre>
<h4>Responses</h4>${responses}
</section>`;
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1d2330}
nav a{display:block;text-decoration:none;color:#334}code,pre{font-family:ui-monospace,Menlo,monospace;font-size:13px}
pre{background:#f4f6f9;padding:.75rem;border-radius:6px;overflow:auto}.op{border-top:1px solid #dde2ea;padding-top:.5rem}
.m{display:inline-block;min-width:4.5em;text-align:center;border-radius:4px;color:#fff;font-size:13px;padding:1px 6px}
.get{background:#2b7a3d}.post{background:#1f5fbf}.put,.patch{background:#a66300}.delete{background:#b3261e}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #dde2ea;padding:3px 8px;text-align:left;vertical-align:top}`;

/**
 * Renders the API reference as one self-contained HTML page (no scripts, no external assets): every operation
 * grouped by tag, with its parameters, an example request body, a curl command and example answers, all drawn
 * from the OpenAPI document generated from the zod schemas.
 *
 * @example
 * const html = renderReference(await (await app.request('/openapi.json')).json());
 */
export function renderReference(doc: OpenApiDocument): string {
  const byTag = new Map<string, string[]>();
  const nav = new Map<string, string[]>();
  for (const [path, item] of Object.entries(doc.paths).sort(([a], [b]) => a.localeCompare(b))) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), renderOperation(method, path, op, doc)]);
      const id = `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, '-');
      nav.set(tag, [...(nav.get(tag) ?? []), `<a href="#${id}">${method.toUpperCase()} ${escape(path)}</a>`]);
    }
  }
  const sections = [...byTag].map(([tag, ops]) => `<h2 id="tag-${escape(tag)}">${escape(tag)}</h2>${ops.join('\n')}`);
  const index = [...nav].map(([tag, links]) => `<h4>${escape(tag)}</h4>${links.join('')}`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escape(doc.info.title)} reference</title><style>${STYLE}</style></head><body>
<h1>${escape(doc.info.title)} <small>v${escape(doc.info.version)}</small></h1>
<p>${escape(doc.info.description ?? '')}</p>
<p>Send <code>Authorization: Bearer &lt;token&gt;</code> on every call but <code>/health</code>. Errors answer
<code>{"error": {"code", "message", "details"}}</code>. Machine-readable: <a href="/openapi.json">/openapi.json</a>.</p>
<nav>${index}</nav>
${sections.join('\n')}
</body></html>`;
}
