/**
 * Writes two log lines through the logger the configuration asks for, then exits at once: test/unit/log-format.test.ts
 * runs it with stdout piped and on a pseudo-terminal.
 */
import { loadConfigOrExit } from '../src/config.js';
import { createLogger } from '../src/logger.js';

const config = loadConfigOrExit();
const log = createLogger(config.logLevel, config.logFormat).child({ component: 'log-sample' });
log.info({ locationId: 'loc-1', password: 'hunter2-secret' }, 'token refreshed');
log.warn({ attempt: 2 }, 'vendor slow, retrying');
// Exiting straight away: the lines above must already be written.
process.exit(0);
