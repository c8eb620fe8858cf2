import {
  ActivityCancellationType,
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  workflowInfo,
} from '@temporalio/workflow';
import { failureMessage } from '../failures.js';
import type { ActiveMaintenanceWindow, Activities } from '../../activities/index.js';
import { quietUntil } from '../../incidents/policy.js';
import { now } from '../clock.js';
import { registerHandlers, setStatus, type Control } from './handlers.js';
import { detailsOf, initialState, noticeOf, phaseOf, record, snoozedUntil, type Phase } from './state.js';
import type { EscalateIncidentInput, EscalateIncidentWorkflow, IncidentState } from '../../incidents/types.js';
import { DATABASE_STEP, NOTIFY_STEP } from '../policies.js';

export * from '../../incidents/messages.js';
export type * from '../../incidents/types.js';

const db = proxyActivities<Activities>(DATABASE_STEP);
/**
 * The same database steps (the `incidents` mirror upsert, the maintenance-window look-up: one query each, idempotent)
 * as local activities: they run inside the workflow task that asks for them, without an activity task and a second
 * workflow task each on the server. An escalation then goes deadline → one workflow task → the notice, which is what
 * keeps thousands of open incidents escalating on time (docs/benchmarks.md). Histories from before the change keep
 * their activity tasks (patch `incident-local-db-steps`).
 */
const localDb = proxyLocalActivities<Activities>(DATABASE_STEP);
const LOCAL_DB_STEPS = 'incident-local-db-steps';
const dbSteps = () => (patched(LOCAL_DB_STEPS) ? localDb : db);
/**
 * The notice activity looks the maintenance window up itself as it sends (`sendIncidentNotice`), so a deadline is
 * one workflow task and one activity: no look-up round inside the task before the notice. The level moves, and a
 * hold ends, once the notice is out; a window holds it as the look-up did. Snooze and quiet hours are known to the
 * workflow and still hold it first, so a window during quiet hours now pauses the incident as "quiet hours" (before,
 * as the window). Histories from before keep the look-up.
 */
const HOLD_IN_NOTICE = 'incident-hold-in-notice';
/**
 * A notice in flight when someone acknowledges is cancelled: no retry starts after the acknowledgement, and the
 * acknowledgement waits for the attempt under way (seconds) so its answer comes after the last send.
 */
const CANCELLABLE_NOTICE = {
  ...NOTIFY_STEP,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
} as const;
const notify = proxyActivities<Activities>(CANCELLABLE_NOTICE);

/** Well under Temporal's limits; long-lived incidents with many triggers start a fresh history here. */
const MAX_HISTORY_EVENTS = 4000;
/** While held by a maintenance window, look again this often (a window may be deleted or extended). */
const HOLD_RECHECK_MS = 60_000;

const iso = (ms: number) => new Date(ms).toISOString();

/** Why escalation waits, and until when. */
interface Hold {
  by: string;
  until: number;
}

/**
 * One incident, from open to resolved: notifies escalation level 1 (operations: email and webhook), then level 2
 * (engineering: adds SMS) and level 3 (management/vendor: everyone) each time the time to acknowledge runs out,
 * repeats the last level a bounded number of times, then waits for a person.
 *
 * Input: the trigger, the severity's policy (from configuration; workflows never read the environment) and the
 * incident's link. Updates: `acknowledge`, `resolve` (postmortem required), `escalate`, `reassign`, `snooze`,
 * `addNote`, `trigger` (dedup merge). Query: `status`. Holds: snooze, maintenance windows, quiet hours.
 * Side effects: notifications (each once, by idempotency key) and the `incidents` row (mirrored after changes).
 */
export async function escalateIncident(input: EscalateIncidentInput): Promise<IncidentState> {
  const { policy } = input;
  // Asked once, first thing: asked later, its marker followed a local activity's in the same workflow task, and
  // replaying that history failed as nondeterministic (the marker met no command; test: a worker restart mid-wait).
  const windowInNotice = patched(HOLD_IN_NOTICE);
  const s = input.state ?? initialState(input, workflowInfo().workflowId, now());
  const control: Control = { notifying: false, escalateNow: false };
  registerHandlers(s, control);
  const ackMs = (input.trigger.ackTimeoutSeconds ?? policy.ackTimeoutSeconds) * 1000;
  /** The notice `notify-level` sends next: when it fell due, and whether a passed deadline escalates first. */
  const next = { dueAt: 0, escalate: false };
  let mirrored = 0;

  const mirror = async () => {
    const version = s.version;
    setCurrentDetails(detailsOf(s));
    await dbSteps().recordIncident(s);
    mirrored = Math.max(mirrored, version);
  };

  /** Sleeps until `untilMs` or the next change (an update); mirrors changes. Resolves true when time ran out. */
  const waitUntil = async (untilMs?: number): Promise<boolean> => {
    const seen = s.version;
    const changed = () => s.version !== seen || control.escalateNow;
    const woke =
      untilMs === undefined
        ? await condition(changed).then(() => true)
        : await condition(changed, Math.max(1, untilMs - now()));
    if (s.version !== mirrored) await mirror();
    return !woke;
  };

  const holdScope = { severity: s.severity, source: s.source };
  const windowHold = (window: ActiveMaintenanceWindow, t: number): Hold => ({
    by: `maintenance window ${window.id}`,
    until: Math.min(Date.parse(window.endsAt), t + HOLD_RECHECK_MS),
  });

  /**
   * Why escalation must wait right now, if it must. Maintenance windows are checked through an activity at each
   * deadline rather than signalled by the API: a window created before the incident opened, changed or deleted
   * early is seen without fanning signals out to every open incident, and a missed signal cannot page anyone.
   */
  const currentHold = async (windows: boolean): Promise<Hold | undefined> => {
    const t = now();
    const snoozed = snoozedUntil(s, t);
    if (snoozed) return { by: 'snooze', until: snoozed };
    const window = windows ? await dbSteps().activeMaintenanceWindow(holdScope) : null;
    if (window) return windowHold(window, t);
    const quiet = policy.quiet && policy.quietHours ? quietUntil(t, policy.quietHours) : undefined;
    return quiet ? { by: 'quiet hours', until: quiet } : undefined;
  };

  /** What `advance` does next: the next level, the same level once more, or nothing more once its repeats are used up. */
  const nextStep = (forced: boolean): 'escalated' | 'repeated' | 'exhausted' => {
    if (s.level < policy.levels) return 'escalated';
    return (s.rounds[s.level] ?? 0) <= policy.repeats || forced ? 'repeated' : 'exhausted';
  };

  const advance = (t: number, forced: boolean) => {
    const step = nextStep(forced);
    if (step === 'escalated') {
      s.level = (s.level + 1) as IncidentState['level'];
      record(s, t, { type: 'escalated', level: s.level });
    } else if (step === 'repeated') {
      record(s, t, { type: 'repeated', level: s.level, message: `repeat ${s.rounds[s.level]}` });
    } else {
      s.exhausted = true;
      record(s, t, {
        type: 'exhausted',
        level: s.level,
        message: `level ${s.level} repeated ${policy.repeats} time(s)`,
      });
    }
  };

  /**
   * Sends the notice of `s`'s level, due since `next.dueAt`. With `held` (since HOLD_IN_NOTICE) the activity checks the maintenance window
   * and the notice is of `held.level`; `held.sending` applies what sending it means (the level moving, a hold ending)
   * unless a window held it, before the outcome is recorded. Answers the window that held it, if one did.
   */
  const sendNotice = async (held?: {
    level: IncidentState['level'];
    sending: () => void;
  }): Promise<ActiveMaintenanceWindow | undefined> => {
    // Checked right before sending, and handlers wait while it is in flight: nothing goes out after an ack.
    if (s.status !== 'open') return undefined;
    control.notifying = true;
    const scope = new CancellationScope();
    control.cancelNotice = () => scope.cancel();
    let heldBy: ActiveMaintenanceWindow | undefined;
    try {
      const result = held
        ? await scope.run(() =>
            notify.sendIncidentNotice({
              notice: noticeOf({ ...s, level: held.level }, input.incidentUrl),
              holdFor: holdScope,
            }),
          )
        : { deliveries: await scope.run(() => notify.sendNotification(noticeOf(s, input.incidentUrl))) };
      heldBy = result.heldBy;
      if (!result.heldBy) {
        held?.sending();
        for (const d of result.deliveries) {
          record(s, now(), {
            type: d.status === 'failed' ? 'notification-failed' : 'notified',
            level: s.level,
            channel: d.channel,
            target: d.target,
            dueAt: iso(next.dueAt),
            message: d.error,
          });
        }
      }
    } catch (err) {
      // not sent, or not known to be: the level moves as it would have, and the failure is on the timeline
      held?.sending();
      const cause = failureMessage(err);
      record(s, now(), { type: 'notification-failed', level: s.level, dueAt: iso(next.dueAt), message: cause });
    } finally {
      if (!heldBy) s.rounds[s.level] = (s.rounds[s.level] ?? 0) + 1;
      control.notifying = false;
      control.cancelNotice = undefined;
    }
    return heldBy;
  };

  /** Acknowledged: waits for the resolution; past the policy's time to resolve, the incident opens again. */
  const awaitResolution = async () => {
    control.escalateNow = false;
    const within = policy.resolveWithinSeconds;
    const expired = await waitUntil(within ? Date.parse(s.acknowledgedAt!) + within * 1000 : undefined);
    if (expired && s.status === 'acknowledged') {
      setStatus(s, 'open');
      s.cycle++;
      s.exhausted = false;
      record(s, now(), { type: 'reopened', message: `not resolved within ${within} s of the acknowledgement` });
      next.dueAt = now();
    }
  };

  /**
   * A notice is out: waits for its acknowledgement or its deadline. A passed deadline escalates; a snooze taken
   * meanwhile re-notifies the same level once it is over (unless a hold swallows it).
   */
  const awaitAckOrDeadline = async () => {
    const expired = await waitUntil(Date.parse(s.nextDeadline!));
    if (s.status !== 'open') return;
    const snoozed = snoozedUntil(s, now()) !== undefined;
    if (expired || snoozed) {
      next.escalate = expired && !snoozed;
      next.dueAt = Date.parse(s.nextDeadline!);
      s.nextDeadline = undefined;
    }
  };

  /** Pauses for a hold (snooze, maintenance window, quiet hours); the deadline that passed re-notifies the same level. */
  const pause = async (hold: Hold) => {
    if (s.pausedBy !== hold.by) record(s, now(), { type: 'paused', message: `${hold.by} until ${iso(hold.until)}` });
    s.pausedBy = hold.by;
    s.pausedUntil = iso(hold.until);
    // the deadline that passed during the hold re-notifies the same level afterwards; it does not escalate
    next.escalate = false;
    await waitUntil(hold.until);
  };

  /** A hold is over at `t`: the notice it held is due from then. */
  const resume = (t: number) => {
    record(s, t, { type: 'resumed', message: `${s.pausedBy} over` });
    [s.pausedBy, s.pausedUntil] = [undefined, undefined];
    next.dueAt = t;
  };

  /** Sends the next notice, escalating first if due, unless a hold (snooze, maintenance, quiet hours) defers it. */
  const notifyLevel = async () => {
    const asked = control.escalateNow;
    if (!asked) {
      const hold = await currentHold(!windowInNotice);
      if (hold) return pause(hold);
      if (s.pausedBy && !windowInNotice) resume(now());
    }
    // an escalation asked for while the hold was being checked counts too
    const escalating = asked || control.escalateNow;
    const advancing = next.escalate || escalating;
    const t = now();
    /** Sending the notice: a hold is over, and the level moves first if due. */
    const sending = () => {
      if (!asked && s.pausedBy) resume(t);
      if (advancing) {
        s.exhausted = false;
        advance(t, escalating);
        if (escalating) next.dueAt = t;
      }
    };
    next.escalate = false;
    control.escalateNow = false;
    const step = advancing ? nextStep(escalating) : undefined;
    if (windowInNotice && !asked && step !== 'exhausted') {
      const level = step === 'escalated' ? ((s.level + 1) as IncidentState['level']) : s.level;
      const window = await sendNotice({ level, sending });
      if (window) return pause(windowHold(window, now()));
    } else {
      // exhausting the levels notifies no one, so a maintenance window is looked up first (as before the patch)
      const window = windowInNotice && !asked ? await dbSteps().activeMaintenanceWindow(holdScope) : null;
      if (window) return pause(windowHold(window, now()));
      sending();
      if (!s.exhausted) await sendNotice();
    }
    if (!s.exhausted && s.status === 'open') s.nextDeadline = iso(now() + ackMs);
    await mirror();
  };

  const phases: Record<Phase, () => Promise<unknown>> = {
    'await-resolution': awaitResolution,
    'await-person': () => waitUntil(),
    'await-ack-or-deadline': awaitAckOrDeadline,
    'notify-level': notifyLevel,
  };

  if (!input.state) await mirror();
  next.dueAt = now();
  while (s.status !== 'resolved') {
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > (input.historyLimit ?? MAX_HISTORY_EVENTS)) {
      await condition(allHandlersFinished);
      await mirror();
      return continueAsNew<typeof escalateIncident>({ ...input, state: s });
    }
    await phases[phaseOf(s, control.escalateNow)]();
  }
  await condition(allHandlersFinished);
  await mirror();
  return s;
}

/** `startIncident` starts the workflow by this signature (types.ts): the compiler holds the two together. */
const _signature: EscalateIncidentWorkflow = escalateIncident;
