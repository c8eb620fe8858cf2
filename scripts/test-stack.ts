/**
 * The private test stack (test/stack.ts) for scripts outside `npm test`, such as the replay recorder. Once started,
 * `startTestEnv` from test/harness.ts works in this process.
 */
import { startPrivateStack, type PrivateStack } from '../test/stack.js';

/**
 * Starts the stack and points `OPSFLOW_TEST_STACK` at it.
 *
 * @example
 * const stack = await startPrivateTestStack();
 * const { startTestEnv } = await import('../test/harness.js');
 */
export function startPrivateTestStack(): Promise<PrivateStack> {
  return startPrivateStack({ name: 'script-stack', activate: true });
}
