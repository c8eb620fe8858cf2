/**
 * Workflow time: inside a workflow, `Date.now()` is the replay-safe time of the current workflow task. Deadlines,
 * timelines and step durations read it here.
 */
export function now(): number {
  // eslint-disable-next-line no-restricted-properties -- the one place: the sandbox makes it the task's time
  return Date.now();
}
