// What an attempt means for its run: succeeded, try again at T, or failed — a pure function of the attempt, the
// response and the retry schedule (svix worker.rs keeps its retry policy the same way, apart from any I/O).
import { classifyResponse, nextRetryDelayMs } from './retry.js';

/** The attempt being decided: its number (1 for the first), who asked for it, and whether its run may raise AUTOMATION_FAILED. */
export interface AttemptFacts {
  number: number;
  trigger: 'automatic' | 'manual';
  /** False for runs triggered by AUTOMATION_FAILED themselves (no loops). */
  mayRaiseFailure: boolean;
}

/** What came of the attempt. */
export type AttemptResponse =
  /** No request left: blocked target, disabled or deleted webhook, missing secret. Never retried. */
  | { kind: 'refused'; error: string }
  /** A request was made: `status` null means no response (network error or timeout, `error` says which). */
  | { kind: 'answered'; status: number | null; error: string | null; retryAfter: string | null };

export interface RetrySchedule {
  /** Seconds to wait before each retry (config MODELYARD_RETRY_SCHEDULE). */
  delaysSeconds: number[];
  now: number;
  /** Jitter source; Math.random by default. */
  random?: () => number;
}

export type DeliveryDecision =
  | { state: 'succeeded' }
  | { state: 'retry'; at: number; reason: string }
  | {
      state: 'failed';
      reason: string;
      /** A 410 Gone answer: the webhook is disabled with `reason`. */
      disableWebhook: boolean;
      /** AUTOMATION_FAILED is raised: automatic delivery ran out of options and the run may raise it. */
      raiseFailure: boolean;
    };

export function decideDelivery(attempt: AttemptFacts, response: AttemptResponse, schedule: RetrySchedule): DeliveryDecision {
  const manual = attempt.trigger === 'manual';
  const failed = (reason: string, disableWebhook = false): DeliveryDecision => ({
    state: 'failed',
    reason,
    disableWebhook,
    // A manual redelivery is the operator's own action and its result is shown to them; only automatic delivery
    // running out of options raises AUTOMATION_FAILED.
    raiseFailure: !manual && attempt.mayRaiseFailure,
  });
  if (response.kind === 'refused') return failed(response.error);
  const { status, error } = response;
  const verdict = classifyResponse(status, error ?? undefined);
  switch (verdict.kind) {
    case 'success':
      return { state: 'succeeded' };
    case 'gone':
      return failed(`the endpoint answered 410 Gone at ${new Date(schedule.now).toISOString()}`, true);
    case 'fail':
      return failed(error ?? verdict.reason);
    case 'retry': {
      const reason = error ?? verdict.reason;
      if (manual) return failed(reason);
      const delay = nextRetryDelayMs(attempt.number, schedule.delaysSeconds, {
        retryAfter: response.retryAfter,
        now: schedule.now,
        ...(schedule.random ? { random: schedule.random } : {}),
      });
      if (delay === null) return failed(`${reason} (no retries left after ${attempt.number} attempts)`);
      return { state: 'retry', at: schedule.now + delay, reason };
    }
  }
}
