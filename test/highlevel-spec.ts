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
 * schema the spec declares for one response of one operation, `operationOf` the spec file and path template that
 * a concrete request path matches.
 *
 * @example
 * const { schemaFor } = specValidator();
 * assert.ok(schemaFor('contacts.json', '/contacts/{contactId}', 'get', 200)(body));
 */
export function specValidator() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const templates: Array<{ file: string; path: string; methods: string[]; pattern: RegExp }> = [];
  for (const file of [...APPS.map((a) => `apps/${a}`), 'common/common-schemas.json']) {
    const spec = JSON.parse(readFileSync(new URL(file, SPECS), 'utf8')) as { paths?: Record<string, object> };
    ajv.addSchema(spec, `${BASE}${file}`);
    for (const [path, ops] of Object.entries(spec.paths ?? {})) {
      const pattern = new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      templates.push({ file: file.replace('apps/', ''), path, methods: Object.keys(ops), pattern });
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
  const operationOf = (method: string, requestPath: string) => {
    const found = templates.find((t) => t.methods.includes(method) && t.pattern.test(requestPath));
    assert.ok(found, `the spec has no operation ${method.toUpperCase()} ${requestPath}`);
    return found;
  };
  return { schemaFor, operationOf };
}
