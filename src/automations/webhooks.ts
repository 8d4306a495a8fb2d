// Webhooks (admins only): a named target URL with an optional signing secret and access token, both referenced by
// the name of a team secret. URLs are checked against the SSRF rules when saved (core/urls.ts) and again, with the
// resolved addresses, when sent (delivery/http-client.ts).
import type { AppContext } from '../context.js';
import type { Db, Tx } from '../db/index.js';
import { isUniqueViolation } from '../db/index.js';
import type { Webhook } from '../db/schema.js';
import { conflict, invalid, notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { checkWebhookUrl } from '../core/urls.js';
import { validateTemplate } from '../core/templates.js';
import { accessTokenValueProblem, existingSecretNames } from '../auth/secrets.js';
import type { Keyring } from '../auth/keyring.js';
import { inTransaction, writeTransaction } from '../db/transaction.js';
import { failedColumns } from './run-states.js';
import { DEFAULT_CIRCUIT_FAILURES, DEFAULT_DISABLE_AFTER_SECONDS } from '../core/endpoint-health.js';
import { recordAutomationFailed } from './events.js';

/** The reference system's integration name rule: words of letters, digits, `_` and `-` separated by spaces. */
export const WEBHOOK_NAME_PATTERN = /^[-\w]+([ ]+[-\w]+)*$/;
export const WEBHOOK_NAME_RULE = 'use letters, digits, "_" and "-", words separated by single spaces';
export const MAX_WEBHOOK_NAME_LENGTH = 64;

/** The circuit breaker's settings of a webhook (core/endpoint-health.ts). */
export interface BreakerSettings {
  /** Consecutive failed attempts that open the circuit. */
  circuitFailures?: number;
  /** How long the endpoint may keep failing before the webhook is disabled; null: never. */
  disableAfterSeconds?: number | null;
}

export interface WebhookInput extends BreakerSettings {
  name: string;
  url: string;
  secret: string | null;
  accessToken: string | null;
}

export interface WebhookPatch extends BreakerSettings {
  name?: string;
  url?: string;
  secret?: string | null;
  accessToken?: string | null;
  enabled?: boolean;
}

/** A healthy endpoint's breaker state: what a new webhook starts with and what re-enabling or recovering restores. */
export const HEALTHY = { consecutive_failures: 0, failing_since: null, last_error: null, last_error_at: null, probe_at: null } as const;

type Ctx = Pick<AppContext, 'db' | 'config' | 'keyring'>;

export function checkWebhookName(name: string): string {
  if (name.length === 0 || name.length > MAX_WEBHOOK_NAME_LENGTH) throw invalid('name', `must be 1 to ${MAX_WEBHOOK_NAME_LENGTH} characters`);
  if (!WEBHOOK_NAME_PATTERN.test(name)) throw invalid('name', `"${name}" is not a valid webhook name: ${WEBHOOK_NAME_RULE}`);
  return name;
}

function checkUrl(ctx: Ctx, url: string): string {
  const check = checkWebhookUrl(url, ctx.config.webhookAllow);
  if (!check.ok) throw invalid('url', check.reason);
  return check.url.href;
}

/**
 * Both referenced secrets must exist in the webhook's own team (never another team's), and the access token must be
 * sendable in the Authorization header (no CR or LF).
 */
async function checkSecretRefs(tx: Tx, keyring: Keyring, teamId: string, refs: { secret: string | null; accessToken: string | null }): Promise<void> {
  const names = [refs.secret, refs.accessToken].filter((n): n is string => n !== null);
  const existing = await existingSecretNames(tx, teamId, names);
  for (const field of ['secret', 'accessToken'] as const) {
    const name = refs[field];
    if (name !== null && !existing.has(name)) throw invalid(field, `no secret named ${name} in this team (create it under secrets first)`);
  }
  if (refs.accessToken !== null) {
    const problem = await accessTokenValueProblem(tx, keyring, teamId, refs.accessToken);
    if (problem !== undefined) throw invalid('accessToken', problem);
  }
}

/** The secrets a payload sent to this webhook may use: its signing secret and its access token. */
export function attachedSecrets(webhook: Pick<Webhook, 'secret_name' | 'access_token_name'>): string[] {
  return [webhook.secret_name, webhook.access_token_name].filter((n): n is string => n !== null);
}

function rethrowUnique(error: unknown, name: string): never {
  if (isUniqueViolation(error)) throw conflict(`a webhook named "${name}" already exists in this team`);
  throw error;
}

export async function createWebhook(ctx: Ctx, teamId: string, userId: string, input: WebhookInput): Promise<Webhook> {
  checkWebhookName(input.name);
  const url = checkUrl(ctx, input.url);
  const now = Date.now();
  const row: Webhook = {
    id: newId(),
    team_id: teamId,
    name: input.name,
    url,
    secret_name: input.secret,
    access_token_name: input.accessToken,
    disabled_at: null,
    disabled_reason: null,
    ...HEALTHY,
    circuit_failures: input.circuitFailures ?? DEFAULT_CIRCUIT_FAILURES,
    disable_after_seconds: input.disableAfterSeconds === undefined ? DEFAULT_DISABLE_AFTER_SECONDS : input.disableAfterSeconds,
    created_by: userId,
    created_at: now,
    updated_at: now,
  };
  try {
    await writeTransaction(ctx.db, async (tx) => {
      await checkSecretRefs(tx, ctx.keyring, teamId, input);
      await tx.insertInto('webhooks').values(row).execute();
    });
  } catch (error) {
    rethrowUnique(error, input.name);
  }
  return row;
}

export function listWebhooks(db: Db, teamId: string): Promise<Webhook[]> {
  return db.selectFrom('webhooks').selectAll().where('team_id', '=', teamId).orderBy('name').execute();
}

/** 404 for ids of other teams, exactly as for ids that do not exist. */
export async function getWebhook(db: Db | Tx, teamId: string, id: string): Promise<Webhook> {
  const row = await db.selectFrom('webhooks').selectAll().where('team_id', '=', teamId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`webhook ${id}`);
  return row;
}

export async function updateWebhook(ctx: Ctx, teamId: string, id: string, userName: string, patch: WebhookPatch): Promise<Webhook> {
  if (patch.name !== undefined) checkWebhookName(patch.name);
  const url = patch.url === undefined ? undefined : checkUrl(ctx, patch.url);
  try {
    return await writeTransaction(ctx.db, async (tx) => {
      const current = await getWebhook(tx, teamId, id);
      const next: Webhook = {
        ...current,
        name: patch.name ?? current.name,
        url: url ?? current.url,
        secret_name: patch.secret === undefined ? current.secret_name : patch.secret,
        access_token_name: patch.accessToken === undefined ? current.access_token_name : patch.accessToken,
        circuit_failures: patch.circuitFailures ?? current.circuit_failures,
        disable_after_seconds: patch.disableAfterSeconds === undefined ? current.disable_after_seconds : patch.disableAfterSeconds,
        updated_at: Date.now(),
      };
      if (patch.enabled === true && current.disabled_at !== null) {
        // Re-enabling starts the endpoint's health afresh: the failures that disabled it are not held against it.
        Object.assign(next, HEALTHY);
        next.disabled_at = null;
        next.disabled_reason = null;
      } else if (patch.enabled === false && current.disabled_at === null) {
        next.disabled_at = next.updated_at;
        next.disabled_reason = `disabled by ${userName}`;
      }
      await checkSecretRefs(tx, ctx.keyring, teamId, { secret: next.secret_name, accessToken: next.access_token_name });
      if (next.secret_name !== current.secret_name || next.access_token_name !== current.access_token_name) {
        await checkTemplatesStillValid(tx, next);
      }
      await tx
        .updateTable('webhooks')
        .set({
          name: next.name,
          url: next.url,
          secret_name: next.secret_name,
          access_token_name: next.access_token_name,
          disabled_at: next.disabled_at,
          disabled_reason: next.disabled_reason,
          consecutive_failures: next.consecutive_failures,
          failing_since: next.failing_since,
          last_error: next.last_error,
          last_error_at: next.last_error_at,
          probe_at: next.probe_at,
          circuit_failures: next.circuit_failures,
          disable_after_seconds: next.disable_after_seconds,
          updated_at: next.updated_at,
        })
        .where('id', '=', id)
        .execute();
      return next;
    });
  } catch (error) {
    rethrowUnique(error, patch.name ?? '');
  }
}

/** Detaching a secret that an automation's payload uses would make its deliveries fail: refuse it, naming them. */
async function checkTemplatesStillValid(tx: Tx, webhook: Webhook): Promise<void> {
  const automations = await tx
    .selectFrom('automations')
    .select(['name', 'template'])
    .where('team_id', '=', webhook.team_id)
    .where('webhook_id', '=', webhook.id)
    .execute();
  const secrets = attachedSecrets(webhook);
  const broken = automations.filter((a) => validateTemplate(a.template, { secrets }).length > 0).map((a) => a.name);
  if (broken.length > 0) {
    throw conflict(`the payload of automation ${broken.map((n) => `"${n}"`).join(', ')} uses a secret this change detaches; edit it first`, {
      automations: broken,
    });
  }
}

/** Why the pending runs of a deleted webhook failed. */
export const WEBHOOK_DELETED = 'webhook deleted';

/**
 * Refused (409) while automations send to it, naming them. Its pending runs (of automations deleted meanwhile) are
 * cancelled in the same transaction: they fail with "webhook deleted" and are never attempted again. A run a worker is
 * sending right now loses its lease here, so the worker records its attempt but not a second outcome. AUTOMATION_FAILED
 * is raised once per automation whose runs were cancelled, not once per run.
 */
export async function deleteWebhook(ctx: Pick<AppContext, 'db' | 'notifier' | 'config'>, teamId: string, id: string): Promise<void> {
  await inTransaction(ctx, async (tx, after) => {
    await getWebhook(tx, teamId, id);
    const users = await tx
      .selectFrom('automations')
      .select('name')
      .where('team_id', '=', teamId)
      .where('webhook_id', '=', id)
      .orderBy('name')
      .execute();
    if (users.length > 0) {
      const names = users.map((u) => u.name);
      throw conflict(`the webhook is used by automation${names.length > 1 ? 's' : ''} ${names.map((n) => `"${n}"`).join(', ')}; delete or change them first`, {
        automations: names,
      });
    }
    const cancelled = await tx
      .updateTable('action_runs')
      .set(failedColumns(WEBHOOK_DELETED, Date.now()))
      .where('team_id', '=', teamId)
      .where('webhook_id', '=', id)
      .where('state', '=', 'pending')
      .returning(['id', 'team_id', 'event_id', 'automation_id', 'automation_name', 'suppress_failure_event', 'last_status'])
      .execute();
    const byAutomation = new Map<string, typeof cancelled>();
    for (const run of cancelled) {
      if (run.suppress_failure_event === 1) continue;
      byAutomation.set(run.automation_id, [...(byAutomation.get(run.automation_id) ?? []), run]);
    }
    for (const runs of byAutomation.values()) {
      const first = runs.sort((a, b) => (a.id < b.id ? -1 : 1))[0]!;
      await recordAutomationFailed(tx, after, ctx.config, first, { error: WEBHOOK_DELETED, status: first.last_status }, { cancelledRuns: runs.length });
    }
    await tx.deleteFrom('webhooks').where('id', '=', id).execute();
  });
}
