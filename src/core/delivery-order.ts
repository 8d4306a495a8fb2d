// Ordered, superseding delivery — the pure rules (docs/automations.md, "Ordered delivery").
//
// An automation's `delivery` is `{ order: 'none' | 'per_subject', supersede }`. The subject of an event is what its
// deliveries are ordered by: the (model, alias) pair for alias events, the model for link and unlink events; other
// event types have none, and ordering cannot be asked for them.
//
//   order per_subject  one run of an automation per subject is active (due or in flight); newer runs wait, without a
//                      due time, and the lowest sequence waiting becomes active when the active one finishes
//                      (succeeded, failed after its retries, superseded or cancelled). A retrying run holds its subject.
//   supersede          a newer event ends the older runs of the subject not yet sent and not in flight as
//                      `superseded` (never sent); a run whose attempt fails while a newer one waits is superseded
//                      instead of retried. Only the newest state is sent.
//   ${sequence}        a counter per (automation, subject) taken in the event's transaction under the subject's lock:
//                      the order key, and what a receiver drops stale deliveries by.
import { invalid } from './errors.js';

export type DeliveryOrder = 'none' | 'per_subject';

export interface DeliverySettings {
  order: DeliveryOrder;
  supersede: boolean;
}

export const DEFAULT_DELIVERY: DeliverySettings = { order: 'none', supersede: false };

/** Event types whose events have a subject, and what it is made of. */
const SUBJECT_OF: Readonly<Record<string, 'model' | 'model_alias'>> = {
  LINK_ARTIFACT: 'model',
  UNLINK_ARTIFACT: 'model',
  ADD_ARTIFACT_ALIAS: 'model_alias',
  REMOVE_ARTIFACT_ALIAS: 'model_alias',
};

export const SUBJECT_EVENT_TYPES: readonly string[] = Object.keys(SUBJECT_OF);

export function hasSubject(eventType: string): boolean {
  return SUBJECT_OF[eventType] !== undefined;
}

/** What an event type's subject is made of (the web wizard explains it), or null for a type without one. */
export function subjectKind(eventType: string): 'model' | 'model_alias' | null {
  return SUBJECT_OF[eventType] ?? null;
}

/**
 * The subject of an event: `<model id>` or `<model id>:<alias>` (ids, so renaming a model keeps its order), or null
 * for an event type without one (or an event missing its model or alias).
 */
export function subjectOf(event: { type: string; model_id: string | null; alias: string | null }): string | null {
  const kind = SUBJECT_OF[event.type];
  if (kind === undefined || event.model_id === null) return null;
  if (kind === 'model') return event.model_id;
  return event.alias === null ? null : `${event.model_id}:${event.alias}`;
}

/** Whether a template reads the per-subject counter (then its runs take a sequence even without ordering). */
export function usesSequence(template: string): boolean {
  return template.includes('${sequence}');
}

/**
 * Refuses (400, naming the field) delivery settings that cannot hold: supersede without per-subject order, ordering
 * for an event type without a subject, or for an action the delivery worker does not send (queue jobs, no-op).
 */
export function checkDelivery(eventType: string, actionType: string, delivery: DeliverySettings): DeliverySettings {
  if (delivery.supersede && delivery.order !== 'per_subject') {
    throw invalid('delivery.supersede', 'supersede needs delivery.order "per_subject": runs are superseded by newer runs of the same subject');
  }
  if (delivery.order === 'per_subject') {
    if (!hasSubject(eventType)) {
      throw invalid('delivery.order', `${eventType} events have no subject to order by; per_subject ordering applies to ${SUBJECT_EVENT_TYPES.join(', ')}`);
    }
    if (actionType !== 'webhook') throw invalid('delivery.order', 'per_subject ordering applies to webhook actions only');
  }
  return delivery;
}
