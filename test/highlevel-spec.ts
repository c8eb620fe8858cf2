/** HighLevel's official OpenAPI specs (kept in specs/highlevel) as response validators for the tests. */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const SPECS = new URL('../specs/highlevel/', import.meta.url);
const BASE = 'https://specs.invalid/highlevel/';
const APPS = ['oauth.json', 'locations.json', 'contacts.json'];

/**
 * The official spec files loaded into one validator (so their cross-file `$ref`s resolve): `schemaFor` answers the
 * schema the spec declares for one response of one operation, `operationOf` the spec file, path template and
 * declared statuses of the operation a concrete request path matches.
 *
 * @example
 * const { schemaFor } = specValidator();
 * assert.ok(schemaFor('contacts.json', '/contacts/{contactId}', 'get', 200)(body));
 */
export function specValidator() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const templates: Array<{ file: string; path: string; ops: Record<string, { responses?: object }>; pattern: RegExp }> =
    [];
  for (const file of [...APPS.map((a) => `apps/${a}`), 'common/common-schemas.json']) {
    const spec = JSON.parse(readFileSync(new URL(file, SPECS), 'utf8')) as {
      paths?: Record<string, Record<string, { responses?: object }>>;
    };
    ajv.addSchema(spec, `${BASE}${file}`);
    for (const [path, ops] of Object.entries(spec.paths ?? {})) {
      const pattern = new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      templates.push({ file: file.replace('apps/', ''), path, ops, pattern });
    }
  }
  // A literal path (`/contacts/search`) wins over a template that also matches it (`/contacts/{contactId}`).
  templates.sort((a, b) => a.path.split('{').length - b.path.split('{').length);

  const schemaFor = (file: string, path: string, method: string, status: number): ValidateFunction => {
    const pointer = `#/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/responses/${status}/content/application~1json/schema`;
    const validate = ajv.getSchema(`${BASE}apps/${file}${pointer}`);
    assert.ok(validate, `the spec declares no schema for ${method.toUpperCase()} ${path} ${status}`);
    return validate;
  };
  /** The operation a request path matches, and the statuses the spec declares for it. */
  const operationOf = (method: string, requestPath: string) => {
    const found = templates.find((t) => t.ops[method] && t.pattern.test(requestPath));
    assert.ok(found, `the spec has no operation ${method.toUpperCase()} ${requestPath}`);
    return {
      file: found.file,
      path: found.path,
      statuses: Object.keys(found.ops[method]!.responses ?? {}).map(Number),
    };
  };
  return { schemaFor, operationOf };
}
