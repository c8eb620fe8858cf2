import { z } from '@hono/zod-openapi';

/** The error answer, shared by every route's OpenAPI description. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'validation_failed' }),
      message: z.string().openapi({ example: 'Invalid request: body.severity: Invalid option' }),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error');

/**
 * An OpenAPI response with a JSON body of `schema`: every route describes its answers with this.
 *
 * @example
 * responses: { 200: jsonResponse(Backup, 'The backup'), ...COMMON_ERRORS }
 */
export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/** An error answer of a route, in the shape every error takes. */
export const errorResponse = (description: string) => jsonResponse(ErrorSchema, description);

/**
 * A JSON request body of `schema`; `required: false` for a body a call may leave out.
 *
 * @example
 * request: { body: jsonBody(OpenIncidentBody), headers: IdempotencyHeaders }
 */
export const jsonBody = <T extends z.ZodType>(schema: T, required = true) => ({
  required,
  content: { 'application/json': { schema } },
});

/** Error answers every authenticated route may give. */
export const COMMON_ERRORS = {
  400: errorResponse('Invalid input; the message and `details.fields` name each bad field'),
  401: errorResponse('Missing or unknown bearer token'),
  403: errorResponse('The token may only read'),
} as const;

export const NOT_FOUND = { 404: errorResponse('No such resource') } as const;
export const CONFLICT = { 409: errorResponse('The change is not allowed in the current state') } as const;

/** The `Idempotency-Key` header accepted by mutating calls. */
export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9._:-]+$/, 'expected letters, digits, dots, dashes, colons or underscores')
    .optional()
    .openapi({ description: 'Repeating a call with the same key returns the first result instead of acting twice' }),
});

/**
 * The request that creates a resource (opens, starts): an optional `Idempotency-Key` and a JSON body.
 *
 * @example
 * request: creationRequest(StartBackfillBody)
 */
export const creationRequest = <B extends z.ZodType>(body: B) => ({
  headers: IdempotencyHeaders,
  body: jsonBody(body),
});

/**
 * The request of an action on one resource: its id in the path, an optional `Idempotency-Key` and a JSON body
 * (`required: false` for a body a call may leave out).
 *
 * @example
 * request: actionRequest(Id, Decision)
 */
export const actionRequest = <P extends z.ZodObject, B extends z.ZodType>(params: P, body: B, required = true) => ({
  params,
  headers: IdempotencyHeaders,
  body: jsonBody(body, required),
});

/** The answers of an action on one resource: its new state, no such resource, or not allowed in its state. */
export const actionResponses = <T extends z.ZodType>(schema: T) => ({
  200: jsonResponse(schema, 'The new state'),
  ...COMMON_ERRORS,
  ...NOT_FOUND,
  ...CONFLICT,
});
