/**
 * Shared by the ZOHO test files: the simulator's control API and the demo organization.
 */
import assert from 'node:assert/strict';

export const ORG = '10234695';

/** The simulator's control API (`/__sim/*`). */
export function simControl(url: string) {
  const post = async (path: string, body: unknown = {}) => {
    const res = await fetch(`${url}/__sim/${path}`, { method: 'POST', body: JSON.stringify(body) });
    assert.equal(res.status, 200, `POST /__sim/${path}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  return {
    faults: (faults: Record<string, unknown>) => post('faults', faults),
    limits: (limits: Record<string, number>) => post('limits', limits),
    tokens: (body: { expireAccessTokens?: boolean; revokeRefreshToken?: boolean }) => post('tokens', body),
    reset: () => post('reset'),
    seed: (records: Record<string, unknown[]>) => post('seed', records),
    async stats() {
      const res = await fetch(`${url}/__sim/stats`);
      return (await res.json()) as {
        requests: { total: number; byStatus: Record<string, number> };
        rateLimited: Record<string, number>;
        tokens: { granted: number; refused: number };
        duplicateCreates: { total: number; byEntity: Record<string, number> };
        records: Record<string, number>;
      };
    },
  };
}
