// Automations as code: the file `modelyard automations export` writes and `diff` / `apply` read (docs/cli.md,
// "Automations as code"). Pure: parsing, rendering and planning, no I/O — the commands fetch and send.
//
// The file names webhooks and queues by name (ids differ between servers), holds payload templates as YAML block
// strings (a template is stored verbatim, so a block literal round-trips it exactly), and never holds a secret value:
// the API never returns one, and `${SECRET_NAME}` placeholders are names.
import YAML from 'yaml';
import { z } from 'zod';
import type { Automation } from '../client/index.js';

export const FILE_VERSION = 1;

const EVENT_TYPES = [
  'LINK_ARTIFACT',
  'ADD_ARTIFACT_ALIAS',
  'REMOVE_ARTIFACT_ALIAS',
  'UNLINK_ARTIFACT',
  'CREATE_ARTIFACT',
  'AUTOMATION_FAILED',
  'PROMOTION_REQUESTED',
  'PROMOTION_APPROVED',
  'PROMOTION_REJECTED',
  'CHECK_COMPLETED',
  'WEBHOOK_DISABLED',
] as const satisfies ReadonlyArray<Automation['event']['type']>;
// Every event type an automation can have is one a file can name: this fails to compile when the API gains one.
type Unnamed = Exclude<Automation['event']['type'], (typeof EVENT_TYPES)[number]>;
const everyEventTypeNamed: [Unnamed] extends [never] ? true : Unnamed = true;
void everyEventTypeNamed;

const Action = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('webhook'), webhook: z.string().min(1), payload: z.string().min(1) }),
  z.strictObject({ type: z.literal('queue_job'), queue: z.string().min(1), template: z.string().min(1), check: z.string().min(1).nullable().default(null) }),
  z.strictObject({ type: z.literal('no_op') }),
]);

const AutomationSpec = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(''),
  enabled: z.boolean().default(true),
  event: z.strictObject({
    type: z.enum(EVENT_TYPES),
    model: z.string().min(1).nullable().default(null),
    aliasPattern: z.string().nullable().default(null),
  }),
  condition: z.string().min(1).nullable().default(null),
  rateLimit: z.strictObject({ max: z.number().int().min(1), perSeconds: z.number().int().min(1) }).nullable().default(null),
  cooldownSeconds: z.number().int().min(1).nullable().default(null),
  delivery: z
    .strictObject({ order: z.enum(['none', 'per_subject']).default('none'), supersede: z.boolean().default(false) })
    .default({ order: 'none', supersede: false }),
  action: Action,
});
export type AutomationSpec = z.infer<typeof AutomationSpec>;

const AutomationsFile = z.strictObject({
  version: z.literal(FILE_VERSION).default(FILE_VERSION),
  automations: z.array(AutomationSpec).nullable().default([]),
});

export class AutomationsFileError extends Error {}

/** The automations a file holds, checked: every problem names where it is (`automations[2].action.webhook`). */
export function parseAutomationsFile(text: string, fileName: string): AutomationSpec[] {
  let raw: unknown;
  try {
    raw = YAML.parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    throw new AutomationsFileError(`${fileName}: not YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const parsed = AutomationsFile.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    throw new AutomationsFileError(`${fileName}: ${where || 'file'}: ${issue.message}`);
  }
  const specs = parsed.data.automations ?? [];
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.name)) throw new AutomationsFileError(`${fileName}: two automations are named ${JSON.stringify(spec.name)}; names identify them`);
    seen.add(spec.name);
  }
  return specs;
}

/** A server automation as the file would hold it. */
export function specOf(automation: Automation): AutomationSpec {
  const action: AutomationSpec['action'] =
    automation.action.type === 'webhook'
      ? { type: 'webhook', webhook: automation.action.webhookName, payload: automation.action.payload }
      : automation.action.type === 'queue_job'
        ? { type: 'queue_job', queue: automation.action.queue, template: automation.action.template, check: automation.action.check ?? null }
        : { type: 'no_op' };
  return {
    name: automation.name,
    description: automation.description,
    enabled: automation.enabled,
    event: { type: automation.event.type, model: automation.event.model, aliasPattern: automation.event.aliasPattern },
    condition: automation.condition ?? null,
    rateLimit: automation.rateLimit ?? null,
    cooldownSeconds: automation.cooldownSeconds ?? null,
    // A server without ordered delivery (before migration 009) sends none: the default.
    delivery: automation.delivery ?? { order: 'none', supersede: false },
    action,
  };
}

/** The file for a team's automations: defaults left out, templates as block literals. */
export function renderAutomationsFile(automations: Automation[], team: string): string {
  const entries = automations
    .map(specOf)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((spec) => ({
      name: spec.name,
      ...(spec.description ? { description: spec.description } : {}),
      enabled: spec.enabled,
      event: {
        type: spec.event.type,
        ...(spec.event.model !== null ? { model: spec.event.model } : {}),
        ...(spec.event.aliasPattern !== null ? { aliasPattern: spec.event.aliasPattern } : {}),
      },
      ...(spec.condition !== null ? { condition: spec.condition } : {}),
      ...(spec.rateLimit !== null ? { rateLimit: spec.rateLimit } : {}),
      ...(spec.cooldownSeconds !== null ? { cooldownSeconds: spec.cooldownSeconds } : {}),
      ...(spec.delivery.order !== 'none' || spec.delivery.supersede ? { delivery: spec.delivery } : {}),
      action: spec.action.type === 'queue_job' && spec.action.check === null ? { type: spec.action.type, queue: spec.action.queue, template: spec.action.template } : spec.action,
    }));
  const doc = new YAML.Document({ version: FILE_VERSION, automations: entries });
  doc.commentBefore =
    ` Automations of team ${team}, as code: review changes with \`modelyard automations diff -f FILE\`, apply them with\n` +
    ` \`modelyard automations apply -f FILE [--prune]\`. Webhooks and queues are named; secrets are referenced as\n` +
    ' ${SECRET_NAME} inside payloads and never written here.';
  YAML.visit(doc, {
    Pair(_, pair) {
      const key = YAML.isScalar(pair.key) ? pair.key.value : undefined;
      if ((key === 'payload' || key === 'template') && YAML.isScalar(pair.value)) pair.value.type = 'BLOCK_LITERAL';
    },
  });
  return doc.toString({ lineWidth: 0 });
}

export type Change =
  | { kind: 'create'; name: string; spec: AutomationSpec }
  | { kind: 'update'; name: string; id: string; spec: AutomationSpec; fields: string[] }
  | { kind: 'delete'; name: string; id: string };

export interface Plan {
  changes: Change[];
  /** On the server, not in the file, and kept (no --prune). */
  unmanaged: string[];
}

/** The fields that differ between two specs (`enabled`, `event.model`, `action.payload`, …). */
function changedFields(current: AutomationSpec, desired: AutomationSpec): string[] {
  const fields: string[] = [];
  if (current.description !== desired.description) fields.push('description');
  if (current.enabled !== desired.enabled) fields.push('enabled');
  if (current.condition !== desired.condition) fields.push('condition');
  if (JSON.stringify(current.rateLimit) !== JSON.stringify(desired.rateLimit)) fields.push('rateLimit');
  if (current.cooldownSeconds !== desired.cooldownSeconds) fields.push('cooldownSeconds');
  if (current.delivery.order !== desired.delivery.order || current.delivery.supersede !== desired.delivery.supersede) fields.push('delivery');
  for (const key of ['type', 'model', 'aliasPattern'] as const) if (current.event[key] !== desired.event[key]) fields.push(`event.${key}`);
  const a = current.action as Record<string, unknown>;
  const b = desired.action as Record<string, unknown>;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) if (a[key] !== b[key]) fields.push(`action.${key}`);
  return fields;
}

/** What applying `desired` to a team holding `current` does, by name: creates, then updates, then deletes (prune). */
export function planChanges(current: Automation[], desired: AutomationSpec[], prune: boolean): Plan {
  const byName = new Map(current.map((a) => [a.name, a]));
  const wanted = new Set(desired.map((s) => s.name));
  const creates: Change[] = [];
  const updates: Change[] = [];
  for (const spec of desired) {
    const existing = byName.get(spec.name);
    if (!existing) {
      creates.push({ kind: 'create', name: spec.name, spec });
      continue;
    }
    const fields = changedFields(specOf(existing), spec);
    if (fields.length > 0) updates.push({ kind: 'update', name: spec.name, id: existing.id, spec, fields });
  }
  const extra = current.filter((a) => !wanted.has(a.name)).sort((a, b) => (a.name < b.name ? -1 : 1));
  const deletes: Change[] = prune ? extra.map((a) => ({ kind: 'delete', name: a.name, id: a.id })) : [];
  return { changes: [...creates, ...updates, ...deletes], unmanaged: prune ? [] : extra.map((a) => a.name) };
}

/** The plan for people: one line per change, `+` create, `~` update (with its fields), `-` delete. */
export function describePlan(plan: Plan): string {
  const lines = plan.changes.map((change) =>
    change.kind === 'create' ? `+ create ${change.name}` : change.kind === 'update' ? `~ update ${change.name} (${change.fields.join(', ')})` : `- delete ${change.name}`,
  );
  if (lines.length === 0) lines.push('no changes');
  if (plan.unmanaged.length > 0) lines.push(`not in the file, kept (--prune deletes them): ${plan.unmanaged.join(', ')}`);
  return lines.join('\n');
}
