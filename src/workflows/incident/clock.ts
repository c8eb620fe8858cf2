/** Workflow time: inside a workflow, `Date.now()` is the replay-safe time of the current workflow task. */
export function now(): number {
  // eslint-disable-next-line no-restricted-properties -- deterministic in the workflow sandbox; deadlines need it
  return Date.now();
}
