import { Hono, type Context } from 'hono';
import { vendorError } from './errors.js';
import { mayAccessLocation, requireScope, type SimEnv } from './guards.js';
import { duplicateRefusal, emailProblems, pick } from './resources.js';
import type { SimContact, SimState } from './state.js';

/**
 * `GET`, `PUT` and `DELETE /contacts/{contactId}`. An unknown id is a 400 (the spec declares no 404 for these), a
 * contact of a location the token may not act on a 401; an update takes the spec's `UpdateContactDto`, which has
 * no `locationId`, and is refused as a duplicate like a create when it takes another contact's email or phone.
 *
 * @example
 * app.route('/', contactRecordRoutes(state));
 */
export function contactRecordRoutes(state: SimState) {
  const app = new Hono<SimEnv>();

  /** The contact the path names, or the vendor's refusal. */
  const contactOf = (c: Context<SimEnv>): { contact: SimContact; list: SimContact[] } | { refusal: Response } => {
    const id = c.req.param('contactId');
    for (const list of state.contacts.values()) {
      const contact = list.find((x) => x.id === id);
      if (!contact) continue;
      if (!mayAccessLocation(state, c, contact.locationId)) {
        return { refusal: vendorError(c, 401, 'The token is not authorized for this scope.') };
      }
      return { contact, list };
    }
    return { refusal: vendorError(c, 400, 'Contact not found') };
  };

  app.get('/contacts/:contactId', requireScope(state, 'contacts.readonly'), (c) => {
    const found = contactOf(c);
    if ('refusal' in found) return found.refusal;
    return c.json({ contact: found.contact });
  });

  app.put('/contacts/:contactId', requireScope(state, 'contacts.write'), async (c) => {
    const found = contactOf(c);
    if ('refusal' in found) return found.refusal;
    const body = (await c.req.json().catch(() => null)) as Partial<SimContact> | null;
    if (!body || typeof body !== 'object') return vendorError(c, 422, ['body must be a JSON object']);
    const problems = [
      ...('locationId' in body ? ['property locationId should not exist'] : []),
      ...emailProblems(body),
    ];
    if (problems.length > 0) return vendorError(c, 422, problems);
    const duplicate = duplicateRefusal(c, found.list, body, found.contact.id);
    if (duplicate) return duplicate;
    Object.assign(found.contact, pick(body), { dateUpdated: new Date().toISOString() });
    return c.json({ succeded: true, contact: found.contact });
  });

  app.delete('/contacts/:contactId', requireScope(state, 'contacts.write'), (c) => {
    const found = contactOf(c);
    if ('refusal' in found) return found.refusal;
    found.list.splice(found.list.indexOf(found.contact), 1);
    return c.json({ succeded: true });
  });

  return app;
}
