import type { Config } from '../../config.js';
import type { Pool } from '../../db/pool.js';
import { IntegrationError, toApplicationFailure } from '../../integrations/errors.js';
import type { ZohoClient } from '../../integrations/zoho/client.js';
import { zohoCallsToday } from '../../integrations/zoho/usage.js';
import type { HealthCheck } from './health.js';

/**
 * ZOHO's daily cap on the plan we design for, and the share of it above which the integration is reported
 * `degraded` (we operate at ≤ 80 %: 20,000 of 25,000 calls a day).
 */
export const ZOHO_DAILY_CALLS = 25_000;
export const ZOHO_DAILY_BUDGET_SHARE = 0.8;

/**
 * ZOHO Billing activities. They run on the `zoho` task queue; every call books a slot in the organization's call
 * budget (see src/integrations/call-budget.ts), which keeps every worker together under the vendor's per-minute
 * limit. Classified failures are thrown as typed `ApplicationFailure`s:
 * rate limits retried after Retry-After (`nextRetryDelay`), permanent classes not retried.
 *
 * @example
 * const activities = createZohoActivities({ zoho, pool, config });
 */
export function createZohoActivities({ zoho, pool }: { zoho: ZohoClient; pool: Pool; config: Config }) {
  return {
    /**
     * Connectivity, token validity and organization access: a token is obtained (refreshed if needed), the
     * organizations call answers, the configured organization is among them, and an organization-scoped call
     * (one customer) succeeds. `degraded` when today's calls are above 80 % of the daily cap.
     */
    async checkZohoHealth(): Promise<HealthCheck> {
      const started = performance.now();
      try {
        const organizations = await zoho.listOrganizations();
        const organization = organizations.find((o) => o.organization_id === zoho.organizationId);
        if (!organization) {
          return {
            integration: 'zoho',
            status: 'down',
            latencyMs: Math.round(performance.now() - started),
            details: {
              error: `organization ${zoho.organizationId} is not reachable with these credentials`,
              tokenValid: true,
              organizations: organizations.map((o) => o.organization_id),
            },
          };
        }
        await zoho.customers.listPage({ perPage: 1 });
        const callsToday = await zohoCallsToday(pool);
        const overBudget = callsToday > ZOHO_DAILY_CALLS * ZOHO_DAILY_BUDGET_SHARE;
        return {
          integration: 'zoho',
          status: overBudget ? 'degraded' : 'healthy',
          latencyMs: Math.round(performance.now() - started),
          details: {
            tokenValid: true,
            organizationId: organization.organization_id,
            organizationName: organization.name,
            callsToday,
            ...(overBudget ? { error: `${callsToday} calls today, above 80 % of the daily cap` } : {}),
          },
        };
      } catch (err) {
        if (err instanceof IntegrationError) throw toApplicationFailure(err);
        throw err;
      }
    },
  };
}
