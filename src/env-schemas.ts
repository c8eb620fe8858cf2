import { z } from 'zod';

/**
 * Schemas shared by the configuration's parts (`src/config.ts` and `src/incidents/settings.ts`); the
 * environment itself is read only by `loadConfig`.
 */

/** A comma-separated list: items trimmed, empty ones dropped; unset is an empty list. */
export const csvList = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
