/**
 * The documented operations of the running API, read from its own `/openapi.json`, so the fault and role suites
 * cover every route, including routes added after they were written.
 */
import { exampleFor, type Components, type SchemaObject } from '../../src/api/docs/example.js';

export interface Operation {
  method: string;
  /** The path template, e.g. `/incidents/{id}/acknowledge`. */
  template: string;
  /** The template filled with example values. */
  path: string;
  public: boolean;
  parameters: Array<{ name: string; in: string; required?: boolean; schema?: SchemaObject }>;
  body?: SchemaObject;
  /** A body built from the schema's examples. */
  exampleBody?: unknown;
  components: Components;
}

interface Doc {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components?: { schemas?: Components };
  security?: unknown[];
}

/**
 * Lists every operation in the document with example values filled in.
 *
 * @example
 * const ops = await documentedOperations(api.url);
 */
export async function documentedOperations(baseUrl: string): Promise<Operation[]> {
  const doc = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as Doc;
  const components = doc.components?.schemas ?? {};
  const ops: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      const op = raw as {
        security?: unknown[];
        parameters?: Operation['parameters'];
        requestBody?: { content?: Record<string, { schema?: SchemaObject }> };
      };
      const parameters = op.parameters ?? [];
      let path = template;
      for (const p of parameters.filter((p) => p.in === 'path')) {
        path = path.replace(`{${p.name}}`, encodeURIComponent(String(exampleFor(p.schema, components) ?? 'x')));
      }
      const body = op.requestBody?.content?.['application/json']?.schema;
      ops.push({
        method: method.toUpperCase(),
        template,
        path,
        public: (op.security ?? doc.security ?? []).length === 0,
        parameters,
        body,
        exampleBody: body ? exampleFor(body, components) : undefined,
        components,
      });
    }
  }
  return ops;
}
