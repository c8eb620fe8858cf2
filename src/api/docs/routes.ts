import type { Hono } from 'hono';
import { renderReference, type OpenApiDocument } from './page.js';

/**
 * `GET /docs`: the human-readable API reference, rendered from the app's own `/openapi.json` (so routes added
 * later appear without touching this file). Rendered once per process.
 *
 * @example
 * app.get('/docs', docsHandler(app));
 */
export function docsHandler(app: Pick<Hono, 'request'>) {
  let page: Promise<string> | undefined;
  return async (c: { html: (html: string) => Response | Promise<Response> }) => {
    page ??= Promise.resolve(app.request('/openapi.json'))
      .then((res) => res.json() as Promise<OpenApiDocument>)
      .then(renderReference);
    return c.html(await page);
  };
}
