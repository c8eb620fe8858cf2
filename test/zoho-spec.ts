/** ZOHO Billing's official OpenAPI specs (kept in specs/zoho-billing) as request and answer validators for the tests. */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const SPECS = new URL('../specs/zoho-billing/', import.meta.url);
const BASE = 'https://specs.invalid/zoho-billing/';
export const ZOHO_SPEC_FILES = {
  customers: 'customers.yml',
  subscriptions: 'subscription.yml',
  invoices: 'invoices.yml',
  payments: 'payments.yml',
} as const;
export type ZohoSpecEntity = keyof typeof ZOHO_SPEC_FILES;

interface Operation {
  requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> };
  responses?: Record<string, unknown>;
}
type Spec = { paths: Record<string, Record<string, Operation>> };

const pointer = (path: string) => path.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * The four spec files in one Ajv (OpenAPI 3.0 schemas are JSON Schema draft-4-like plus a few keywords):
 * `schema` answers a named component schema, `operationOf` the operation a concrete request matches with its request
 * and answer validators, and `field` one of the spec's field schemas (the specs describe `page_context`'s fields
 * only as such: `page`, `per_page`, `has_more_page`, …).
 *
 * @example
 * const spec = zohoSpec();
 * assert.ok(spec.operationOf('POST', '/customers').response(201)(body));
 */
export function zohoSpec() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  // OpenAPI's numeric formats say nothing JSON Schema can check beyond `type`.
  for (const format of ['int32', 'int64', 'float', 'double']) ajv.addFormat(format, true);
  const specs = {} as Record<ZohoSpecEntity, Spec>;
  for (const [entity, file] of Object.entries(ZOHO_SPEC_FILES) as Array<[ZohoSpecEntity, string]>) {
    specs[entity] = parse(readFileSync(new URL(file, SPECS), 'utf8')) as Spec;
    ajv.addSchema(specs[entity], `${BASE}${file}`);
  }
  const get = (entity: ZohoSpecEntity, ref: string): ValidateFunction => {
    const validate = ajv.getSchema(`${BASE}${ZOHO_SPEC_FILES[entity]}${ref}`);
    assert.ok(validate, `the ${entity} spec has no ${ref}`);
    return validate;
  };

  const schema = (entity: ZohoSpecEntity, name: string) => get(entity, `#/components/schemas/${name}`);

  /** The spec's operation for `method path` (path under `/billing/v1`, without a query), or undefined. */
  function operationOf(method: string, requestPath: string) {
    const m = method.toLowerCase();
    const entity = requestPath.split('/')[1] as ZohoSpecEntity;
    const spec = specs[entity];
    if (!spec) return undefined;
    const template = Object.keys(spec.paths).find(
      (p) => spec.paths[p]![m] && new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(requestPath),
    );
    if (!template) return undefined;
    const at = `#/paths/${pointer(template)}/${m}`;
    const requestRef = spec.paths[template]![m]!.requestBody?.content?.['application/json']?.schema?.$ref;
    return {
      entity,
      template,
      /** The request body's schema name (`create-a-customer-request`), if the operation takes a body. */
      requestSchema: requestRef?.split('/').pop(),
      response: (status: number) => get(entity, `${at}/responses/${status}/content/application~1json/schema`),
    };
  }

  /** One of the field schemas in the invoices spec (where the `page_context` fields are described). */
  const field = (name: string) => schema('invoices', name);

  return { schema, operationOf, field, ajv };
}

/** Fails with Ajv's errors and the body when `validate` refuses `body`. */
export function assertValid(validate: ValidateFunction, body: unknown, what = ''): void {
  assert.ok(validate(body), `${what} ${JSON.stringify(validate.errors)}\n${JSON.stringify(body)}`);
}
