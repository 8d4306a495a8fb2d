// Delivery controls of an automation as the wizard edits them (text as typed) and as lists summarize them. Pure: the
// limits and the subject rules are the server's own (src/core), so the wizard refuses as typed what the API would.
import type { Automation } from '../api/types';
import { FLOOD_MAXIMA } from '../../../src/core/flood-control';
import { hasSubject, subjectKind } from '../../../src/core/delivery-order';

export { FLOOD_MAXIMA };

/** The controls as typed: numbers are text until they parse, so a half-typed value can be shown with its problem. */
export interface DeliveryDraft {
  rateMax: string;
  ratePerSeconds: string;
  cooldown: string;
  ordered: boolean;
  supersede: boolean;
}

export type DeliveryFields = Pick<Automation, 'rateLimit' | 'cooldownSeconds' | 'delivery'>;

export const EMPTY_DELIVERY_DRAFT: DeliveryDraft = { rateMax: '', ratePerSeconds: '', cooldown: '', ordered: false, supersede: false };

export function draftOf(saved: DeliveryFields | undefined): DeliveryDraft {
  if (!saved) return EMPTY_DELIVERY_DRAFT;
  return {
    rateMax: saved.rateLimit ? String(saved.rateLimit.max) : '',
    ratePerSeconds: saved.rateLimit ? String(saved.rateLimit.perSeconds) : '',
    cooldown: saved.cooldownSeconds === null ? '' : String(saved.cooldownSeconds),
    ordered: saved.delivery.order === 'per_subject',
    supersede: saved.delivery.supersede,
  };
}

/** A whole number from 1 to `max` typed in a box, or a sentence saying what is wrong with it. */
function positiveInteger(text: string, max: number): number | string {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return 'Enter a whole number of 1 or more.';
  const value = Number(trimmed);
  if (value < 1) return 'Enter a whole number of 1 or more.';
  if (value > max) return `At most ${max.toLocaleString('en-US')}.`;
  return value;
}

/** Per-subject ordering applies to webhook actions on event types with a subject (core/delivery-order.ts). */
export function canOrder(eventType: string, actionType: string): boolean {
  return actionType === 'webhook' && hasSubject(eventType);
}

/** One line saying what the subject of `eventType`'s events is, or why there is none to order by. */
export function subjectSentence(eventType: string, actionType: string): string {
  if (actionType !== 'webhook') return 'Ordering applies to webhook deliveries only: queue jobs are ordered by their queue.';
  const kind = subjectKind(eventType);
  if (kind === 'model_alias') return 'The subject is the model and the alias: each alias of a model (production, staging, …) is ordered on its own.';
  if (kind === 'model') return 'The subject is the registered model: all its link and unlink events are ordered together.';
  return 'These events have no subject to order by: ordering applies to link, unlink and alias events.';
}

export interface CheckedDelivery {
  /** What to send, when every value is valid. */
  value?: DeliveryFields;
  /** Problems by the API field they concern (rateLimit.max, rateLimit.perSeconds, cooldownSeconds). */
  problems: Partial<Record<'rateLimit.max' | 'rateLimit.perSeconds' | 'cooldownSeconds', string>>;
}

/**
 * The API's fields for a draft, checked as the server would: both rate-limit numbers or neither, whole numbers within
 * the server's maxima. Ordering the event or action cannot have is dropped (the checkbox is not offered then), and
 * supersede goes with ordering.
 */
export function checkDraft(draft: DeliveryDraft, eventType: string, actionType: string): CheckedDelivery {
  const problems: CheckedDelivery['problems'] = {};
  let rateLimit: DeliveryFields['rateLimit'] = null;
  const maxText = draft.rateMax.trim();
  const perText = draft.ratePerSeconds.trim();
  if (maxText !== '' || perText !== '') {
    const max = maxText === '' ? 'Enter how many runs, or empty both for no limit.' : positiveInteger(maxText, FLOOD_MAXIMA.rateLimitMax);
    const perSeconds = perText === '' ? 'Enter how many seconds, or empty both for no limit.' : positiveInteger(perText, FLOOD_MAXIMA.perSeconds);
    if (typeof max === 'string') problems['rateLimit.max'] = max;
    if (typeof perSeconds === 'string') problems['rateLimit.perSeconds'] = perSeconds;
    if (typeof max === 'number' && typeof perSeconds === 'number') rateLimit = { max, perSeconds };
  }
  let cooldownSeconds: number | null = null;
  if (draft.cooldown.trim() !== '') {
    const cooldown = positiveInteger(draft.cooldown, FLOOD_MAXIMA.cooldownSeconds);
    if (typeof cooldown === 'string') problems.cooldownSeconds = cooldown;
    else cooldownSeconds = cooldown;
  }
  const ordered = draft.ordered && canOrder(eventType, actionType);
  const delivery: DeliveryFields['delivery'] = { order: ordered ? 'per_subject' : 'none', supersede: ordered && draft.supersede };
  return Object.keys(problems).length > 0 ? { problems } : { value: { rateLimit, cooldownSeconds, delivery }, problems };
}

/** A compact note of the controls set, e.g. "≤10/60 s · cooldown 30 s · ordered, newest only"; empty when none. */
export function deliveryNote(fields: DeliveryFields): string {
  const parts: string[] = [];
  if (fields.rateLimit) parts.push(`≤${fields.rateLimit.max}/${fields.rateLimit.perSeconds} s`);
  if (fields.cooldownSeconds !== null) parts.push(`cooldown ${fields.cooldownSeconds} s`);
  if (fields.delivery.order === 'per_subject') parts.push(fields.delivery.supersede ? 'ordered, newest only' : 'ordered');
  return parts.join(' · ');
}
