import { Hono, type Context } from 'hono';
import { randomBytes } from 'node:crypto';
import { vendorError } from './errors.js';
import { mayAccessLocation, requireScope, type SimEnv } from './guards.js';
import type { SimContact, SimState } from './state.js';

/** HighLevel refuses page-based search past this many records: beyond it callers must use `searchAfter`. */
const PAGE_WINDOW = 10_000;
const MAX_PAGE_LIMIT = 500;

const cursorOf = (c: SimContact): [number, string] => [Date.parse(c.dateAdded), c.id];
const after = (c: SimContact, [ts, id]: [number, string]) => {
  const [cts] = cursorOf(c);
  return cts > ts || (cts === ts && c.id > id);
};

/**
 * `GET /locations/{id}`, `POST /contacts/search`, `POST /contacts/upsert`, `POST /contacts/`, `GET /contacts/`; each
 * requires the scope the spec names for it.
 */
export function resourceRoutes(state: SimState) {
  const app = new Hono<SimEnv>();
  const contactsOf = (locationId: string) => contactListOf(state, locationId);
  const read = requireScope(state, 'contacts.readonly');
  const write = requireScope(state, 'contacts.write');

  app.get('/locations/:locationId', requireScope(state, 'locations.readonly'), (c) => {
    const location = state.locations.get(c.req.param('locationId'));
    if (!location) return vendorError(c, 404, 'Location not found');
    if (!mayAccessLocation(state, c, location.id)) {
      return vendorError(c, 401, 'The token is not authorized for this scope.');
    }
    return c.json({ location: { ...location } });
  });

  app.post('/contacts/search', read, async (c) => {
    const body = (await c.req.json().catch(() => null)) as {
      locationId?: string;
      page?: number;
      pageLimit?: number;
      searchAfter?: [number, string];
      query?: string;
    } | null;
    if (!body?.locationId) return vendorError(c, 422, ['locationId should not be empty']);
    if (!mayAccessLocation(state, c, body.locationId)) {
      return vendorError(c, 401, 'The token is not authorized for this scope.');
    }
    const pageLimit = body.pageLimit ?? 20;
    if (!Number.isInteger(pageLimit) || pageLimit < 1 || pageLimit > MAX_PAGE_LIMIT) {
      return vendorError(c, 422, [`pageLimit must not be greater than ${MAX_PAGE_LIMIT}`]);
    }
    const q = body.query?.toLowerCase();
    let matching = contactsOf(body.locationId).filter(
      (x) => !q || [x.email, x.firstName, x.lastName].some((f) => f?.toLowerCase().includes(q)),
    );
    const total = matching.length;
    if (body.searchAfter) {
      matching = matching.filter((x) => after(x, body.searchAfter!));
    } else {
      const page = body.page ?? 1;
      if (page * pageLimit > PAGE_WINDOW) {
        return vendorError(c, 400, `page * pageLimit cannot exceed ${PAGE_WINDOW}; use searchAfter to go further`);
      }
      matching = matching.slice((page - 1) * pageLimit);
    }
    const contacts = matching.slice(0, pageLimit).map((x) => ({ ...x, searchAfter: cursorOf(x) }));
    return c.json({ contacts, total });
  });

  /** The contact body of a write, or the vendor's answer refusing it (422 for bad data, 401 for another location). */
  const contactWrite = async (c: Context<SimEnv>) => {
    const body = (await c.req.json().catch(() => null)) as Partial<SimContact> | null;
    const problems = validateContact(body);
    if (!body || problems.length > 0) return { refusal: vendorError(c, 422, problems) };
    if (!mayAccessLocation(state, c, body.locationId!)) {
      return { refusal: vendorError(c, 401, 'The token is not authorized for this scope.') };
    }
    return { body, list: contactsOf(body.locationId!) };
  };

  app.post('/contacts/upsert', write, async (c) => {
    const write = await contactWrite(c);
    if ('refusal' in write) return write.refusal;
    const { body, list } = write;
    const existing = list.find((x) => (body.email && x.email === body.email) || (body.phone && x.phone === body.phone));
    const now = new Date().toISOString();
    if (existing && (body as { createNewIfDuplicateAllowed?: boolean }).createNewIfDuplicateAllowed) {
      // Allowed by the caller, but a second record of the same person all the same: counted for the stats.
      state.stats.duplicateCreates += 1;
    } else if (existing) {
      Object.assign(existing, pick(body), { dateUpdated: now });
      return c.json({ new: false, contact: existing, traceId: randomBytes(8).toString('hex') });
    }
    const contact = create(body, now);
    list.push(contact);
    return c.json({ new: true, contact, traceId: randomBytes(8).toString('hex') });
  });

  app.post('/contacts/', write, async (c) => {
    const write = await contactWrite(c);
    if ('refusal' in write) return write.refusal;
    const { body, list } = write;
    const duplicate = duplicateRefusal(c, list, body);
    if (duplicate) {
      state.stats.duplicateCreates += 1;
      return duplicate;
    }
    const contact = create(body, new Date().toISOString());
    list.push(contact);
    return c.json({ contact }, 201);
  });

  app.get('/contacts/', read, (c) => {
    const locationId = c.req.query('locationId');
    if (!locationId) return vendorError(c, 422, ['locationId should not be empty']);
    if (!mayAccessLocation(state, c, locationId)) {
      return vendorError(c, 401, 'The token is not authorized for this scope.');
    }
    const limit = Math.min(Number(c.req.query('limit') ?? 20), 100);
    const startAfter = c.req.query('startAfter');
    const startAfterId = c.req.query('startAfterId');
    let list = contactsOf(locationId);
    if (startAfter && startAfterId) list = list.filter((x) => after(x, [Number(startAfter), startAfterId]));
    const contacts = list.slice(0, limit);
    const last = contacts.at(-1);
    return c.json({
      contacts,
      count: contactsOf(locationId).length,
      meta: last
        ? { total: contactsOf(locationId).length, startAfter: cursorOf(last)[0], startAfterId: last.id }
        : { total: contactsOf(locationId).length },
    });
  });

  return app;
}

/** A location's contacts, as a list the routes may add to. */
function contactListOf(state: SimState, locationId: string): SimContact[] {
  let list = state.contacts.get(locationId);
  if (!list) state.contacts.set(locationId, (list = []));
  return list;
}

function validateContact(body: Partial<SimContact> | null): string[] {
  if (!body) return ['body must be a JSON object'];
  const problems: string[] = [];
  if (!body.locationId) problems.push('locationId should not be empty');
  if (!body.email && !body.phone) problems.push('email or phone must be provided');
  return [...problems, ...emailProblems(body)];
}

export function emailProblems(body: Partial<SimContact>): string[] {
  return body.email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(body.email) ? ['email must be an email'] : [];
}

/**
 * HighLevel's refusal of a write that would make a second contact with another's email or phone (locations do
 * not allow duplicates by default): 400 with `meta` naming the existing contact and the field that matched.
 */
export function duplicateRefusal(c: Context, list: SimContact[], body: Partial<SimContact>, self?: string) {
  const others = list.filter((x) => x.id !== self);
  const byEmail = body.email ? others.find((x) => x.email?.toLowerCase() === body.email!.toLowerCase()) : undefined;
  const byPhone = body.phone ? others.find((x) => x.phone === body.phone) : undefined;
  const existing = byEmail ?? byPhone;
  if (!existing) return undefined;
  const contactName = [existing.firstName, existing.lastName].filter(Boolean).join(' ');
  return vendorError(c, 400, 'This location does not allow duplicated contacts.', {
    meta: { contactName, contactId: existing.id, matchingField: byEmail ? 'email' : 'phone' },
  });
}

export function pick(body: Partial<SimContact>) {
  const { firstName, lastName, email, phone, tags } = body;
  return Object.fromEntries(
    Object.entries({ firstName, lastName, email, phone, tags }).filter(([, v]) => v !== undefined),
  );
}

/** Builds a stored contact; exported for the seed control route. */
export function create(body: Partial<SimContact>, now: string): SimContact {
  return {
    id: randomBytes(10).toString('base64url'),
    locationId: body.locationId!,
    tags: [],
    ...pick(body),
    dateAdded: body.dateAdded ?? now,
    dateUpdated: now,
  };
}
