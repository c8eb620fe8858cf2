/** The parts of an OpenAPI 3.1 schema the reference page reads. */
export interface SchemaObject {
  $ref?: string;
  type?: string | string[];
  example?: unknown;
  examples?: unknown[];
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  items?: SchemaObject;
  anyOf?: SchemaObject[];
  oneOf?: SchemaObject[];
  allOf?: SchemaObject[];
  additionalProperties?: boolean | SchemaObject;
  description?: string;
}

export type Components = Record<string, SchemaObject>;

const FORMAT_EXAMPLES: Record<string, unknown> = {
  'date-time': '2026-11-22T09:00:00.000Z',
  date: '2026-11-22',
  email: 'ops@example.com',
  uri: 'https://example.com',
  uuid: '6f1c2b8e-3d4a-4b5c-9e6f-7a8b9c0d1e2f',
};

/**
 * An example value for a schema: its own `example` (from `.openapi({ example })`) where the schema has one, else
 * one built from its parts (property examples, the first enum value, a value of the right type).
 *
 * @example
 * exampleFor({ type: 'object', properties: { severity: { enum: ['P1', 'P2'] } } }, {}) // { severity: 'P1' }
 */
export function exampleFor(schema: SchemaObject | undefined, components: Components, depth = 0): unknown {
  if (!schema || depth > 8) return undefined;
  if (schema.example !== undefined) return schema.example;
  if (schema.examples?.length) return schema.examples[0];
  if (schema.$ref) return exampleFor(components[schema.$ref.split('/').pop() ?? ''], components, depth + 1);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return exampleFor(variants.find((v) => v.type !== 'null') ?? variants[0], components, depth + 1);
  if (schema.allOf) {
    return Object.assign({}, ...schema.allOf.map((s) => exampleFor(s, components, depth + 1) as object));
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [name, prop] of Object.entries(schema.properties ?? {})) {
        out[name] = exampleFor(prop, components, depth + 1);
      }
      return out;
    }
    case 'array':
      return [exampleFor(schema.items, components, depth + 1)].filter((v) => v !== undefined);
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'string':
      return FORMAT_EXAMPLES[schema.format ?? ''] ?? 'string';
    default:
      return undefined;
  }
}
