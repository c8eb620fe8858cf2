export {
  createZohoClient,
  ZOHO_MAX_PER_PAGE,
  type ZohoClient,
  type ZohoEntityApi,
  type ZohoFilters,
} from './client.js';
export { classifyZohoResponse, ZOHO_CODES } from './classify.js';
export { referenceFields, referenceOfItem, zohoIdOf, ZOHO_ENTITY } from './reference.js';
export * from './types.js';
export { countZohoCall, zohoCallsToday } from './usage.js';
