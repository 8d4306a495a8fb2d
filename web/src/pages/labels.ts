// Words the UI uses for event and action types: the reference system's phrases where it has them.
import type { EventType } from '../api/types';

interface EventLabel {
  long: string;
  short: string;
  /** The event concerns a registered model, so an automation on it picks a model (or the whole registry). */
  registry: boolean;
}

export const EVENT_LABELS: Record<EventType, EventLabel> = {
  LINK_ARTIFACT: { long: 'A new version is linked to a registered model', short: 'New version linked', registry: true },
  ADD_ARTIFACT_ALIAS: { long: 'An alias is added to a version of a registered model', short: 'Alias added', registry: true },
  UNLINK_ARTIFACT: { long: 'A version is unlinked from a registered model', short: 'Version unlinked', registry: true },
  CREATE_ARTIFACT: { long: 'A new artifact version is logged in a project', short: 'Artifact version logged', registry: false },
  AUTOMATION_FAILED: { long: 'An automation’s delivery failed after all retries', short: 'Automation failed', registry: true },
  REMOVE_ARTIFACT_ALIAS: { long: 'An alias is removed from a version of a registered model', short: 'Alias removed', registry: true },
  PROMOTION_REQUESTED: { long: 'A promotion of a version to an alias is requested', short: 'Promotion requested', registry: true },
  PROMOTION_APPROVED: { long: 'A promotion is approved and the alias moves', short: 'Promotion approved', registry: true },
  PROMOTION_REJECTED: { long: 'A promotion request is rejected', short: 'Promotion rejected', registry: true },
  CHECK_COMPLETED: { long: 'A check on a version succeeds or fails', short: 'Check completed', registry: true },
  WEBHOOK_DISABLED: { long: 'A webhook was disabled because its endpoint kept failing', short: 'Webhook disabled', registry: false },
};

/** Event types as runs and events report them (a plain string there). */
export function eventLabel(type: string, form: 'long' | 'short' = 'short'): string {
  return (EVENT_LABELS as Record<string, EventLabel | undefined>)[type]?.[form] ?? type;
}

export const ACTION_LABELS: Record<string, string> = {
  webhook: 'Webhook',
  queue_job: 'Queue job',
  no_op: 'No action',
};
