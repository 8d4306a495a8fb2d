// Webhooks (admins only): a named target URL with an optional signing secret and access token, both referenced by
// the name of a team secret, and custom request headers whose values may insert those two secrets (`${NAME}`). URLs
// are checked against the SSRF rules when saved (core/urls.ts) and again, with the resolved addresses, when sent
// (delivery/http-client.ts); headers are checked by the rules of core/webhook-headers.ts when saved and filled when
// sent (delivery/prepare.ts).
import type { AppContext } from '../context.js';
import type { Db, Tx } from '../db/index.js';
import { isUniqueViolation } from '../db/index.js';
import type { Webhook, WebhookMode } from '../db/schema.js';
import { conflict, invalid, notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { checkWebhookUrl } from '../core/urls.js';
import { validateTemplate } from '../core/templates.js';
import { headerProblems, headersSecretNames, headerValueProblem, parseStoredHeaders, type CustomHeader } from '../core/webhook-headers.js';
import { accessTokenValueProblem, existingSecretNames, findSecretValues } from '../auth/secrets.js';
import type { Keyring } from '../auth/keyring.js';
import { inTransaction, writeTransaction } from '../db/transaction.js';
import { failedColumns } from './run-states.js';
import { lockSubjects, releaseFinished } from './subjects.js';
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

/** Flood control per webhook (core/endpoint-limits.ts); null: unlimited (the default). */
export interface FloodLimits {
  /** Requests in flight to the endpoint at once, across every worker. */
  maxConcurrency?: number | null;
  /** Requests sent to the endpoint in any second, across every worker. */
  maxPerSecond?: number | null;
}

export interface WebhookInput extends BreakerSettings, FloodLimits {
  name: string;
  /** Required for a push webhook; a listen webhook has none. */
  url?: string | null;
  /** 'push' (default): deliveries are sent to the URL; 'listen': a listener takes them from the team's stream. */
  mode?: WebhookMode;
  secret: string | null;
  accessToken: string | null;
  headers: CustomHeader[];
}

export interface WebhookPatch extends BreakerSettings, FloodLimits {
  name?: string;
  url?: string;
  secret?: string | null;
  accessToken?: string | null;
  /** Replaces the whole list. */
  headers?: CustomHeader[];
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

/**
 * The custom headers as the webhook will have them: valid by the rules of core/webhook-headers.ts (Authorization is
 * taken while an access token is set), every `${NAME}` one of the webhook's attached secrets, and each such secret's
 * current value sendable in a header (no line break or control character; the delivery refuses it otherwise) — the
 * values are read only when `readValues` (the headers or the secrets attached change). Each problem is a 400 naming
 * the header (`headers[i]`).
 */
async function checkHeaders(
  tx: Tx,
  keyring: Keyring,
  teamId: string,
  webhook: Pick<Webhook, 'secret_name' | 'access_token_name'>,
  headers: CustomHeader[],
  readValues: boolean,
): Promise<void> {
  const [problem] = headerProblems(headers, { accessTokenSet: webhook.access_token_name !== null });
  if (problem !== undefined) throw invalid(`headers[${problem.index}]`, `header ${problem.header}: ${problem.message}`, { header: problem.header });
  const attached = attachedSecrets(webhook);
  for (const [index, header] of headers.entries()) {
    const unattached = headersSecretNames([header]).find((name) => !attached.includes(name));
    if (unattached !== undefined) {
      throw invalid(
        `headers[${index}]`,
        `header ${header.name} uses secret ${unattached}, which is not attached to the webhook: a header can insert only the webhook's signing secret or access token (${attached.length === 0 ? 'none is set' : `attached: ${attached.join(', ')}`})`,
        { header: header.name, secret: unattached },
      );
    }
  }
  const used = headersSecretNames(headers);
  if (!readValues || used.length === 0) return;
  const { values } = await findSecretValues(tx, keyring, teamId, used);
  for (const [index, header] of headers.entries()) {
    for (const name of headersSecretNames([header])) {
      const valueProblem = values[name] === undefined ? undefined : headerValueProblem(values[name]);
      if (valueProblem !== undefined) {
        throw invalid(`headers[${index}]`, `header ${header.name}: the value of secret ${name} ${valueProblem}, which cannot be sent in a header; change its value or use another secret`, {
          header: header.name,
          secret: name,
        });
      }
    }
  }
}

/** The secrets a payload or a header sent to this webhook may use: its signing secret and its access token. */
export function attachedSecrets(webhook: Pick<Webhook, 'secret_name' | 'access_token_name'>): string[] {
  return [webhook.secret_name, webhook.access_token_name].filter((n): n is string => n !== null);
}

function rethrowUnique(error: unknown, name: string): never {
  if (isUniqueViolation(error)) throw conflict(`a webhook named "${name}" already exists in this team`);
  throw error;
}

/** A listen webhook stores this as its URL: it has none, deliveries go through the team's stream. */
export const LISTEN_URL = '';

/** The URL to store for a new webhook: checked for a push webhook, none for a listen webhook. */
function urlForMode(ctx: Ctx, mode: WebhookMode, url: string | null | undefined): string {
  if (mode === 'listen') {
    if (url !== undefined && url !== null) throw invalid('url', 'a listen webhook has no URL: its deliveries go through the team\'s event stream');
    return LISTEN_URL;
  }
  if (url === undefined || url === null) throw invalid('url', 'is required (or create a "listen" webhook, whose deliveries go through the event stream)');
  return checkUrl(ctx, url);
}

export async function createWebhook(ctx: Ctx, teamId: string, userId: string, input: WebhookInput): Promise<Webhook> {
  checkWebhookName(input.name);
  const mode = input.mode ?? 'push';
  const url = urlForMode(ctx, mode, input.url);
  const now = Date.now();
  const row: Webhook = {
    id: newId(),
    team_id: teamId,
    name: input.name,
    url,
    mode,
    secret_name: input.secret,
    access_token_name: input.accessToken,
    headers: JSON.stringify(input.headers.map(({ name, value }) => ({ name, value }))),
    disabled_at: null,
    disabled_reason: null,
    ...HEALTHY,
    circuit_failures: input.circuitFailures ?? DEFAULT_CIRCUIT_FAILURES,
    disable_after_seconds: input.disableAfterSeconds === undefined ? DEFAULT_DISABLE_AFTER_SECONDS : input.disableAfterSeconds,
    max_concurrency: input.maxConcurrency ?? null,
    max_per_second: input.maxPerSecond ?? null,
    permit_queue_until: null,
    created_by: userId,
    created_at: now,
    updated_at: now,
  };
  try {
    await writeTransaction(ctx.db, async (tx) => {
      await checkSecretRefs(tx, ctx.keyring, teamId, input);
      await checkHeaders(tx, ctx.keyring, teamId, row, input.headers, true);
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
      // Runs already created keep the way they were made for (stream or worker): a webhook cannot change mode.
      if (url !== undefined && current.mode === 'listen') throw invalid('url', 'a listen webhook has no URL; create a push webhook to send to one');
      const next: Webhook = {
        ...current,
        name: patch.name ?? current.name,
        url: url ?? current.url,
        secret_name: patch.secret === undefined ? current.secret_name : patch.secret,
        access_token_name: patch.accessToken === undefined ? current.access_token_name : patch.accessToken,
        headers: patch.headers === undefined ? current.headers : JSON.stringify(patch.headers.map(({ name, value }) => ({ name, value }))),
        circuit_failures: patch.circuitFailures ?? current.circuit_failures,
        disable_after_seconds: patch.disableAfterSeconds === undefined ? current.disable_after_seconds : patch.disableAfterSeconds,
        max_concurrency: patch.maxConcurrency === undefined ? current.max_concurrency : patch.maxConcurrency,
        max_per_second: patch.maxPerSecond === undefined ? current.max_per_second : patch.maxPerSecond,
        updated_at: Date.now(),
      };
      // New limits start a new queue: the turns handed out under the old ones no longer say anything.
      if (next.max_concurrency !== current.max_concurrency || next.max_per_second !== current.max_per_second) next.permit_queue_until = null;
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
      // The whole list as it will be, also when only the secrets change: detaching a secret a header uses, or setting
      // an access token while a header sets Authorization, is refused naming the header.
      const secretsChanged = next.secret_name !== current.secret_name || next.access_token_name !== current.access_token_name;
      await checkHeaders(tx, ctx.keyring, teamId, next, parseStoredHeaders(next.headers), patch.headers !== undefined || secretsChanged);
      if (secretsChanged) {
        await checkTemplatesStillValid(tx, next);
      }
      await tx
        .updateTable('webhooks')
        .set({
          name: next.name,
          url: next.url,
          secret_name: next.secret_name,
          access_token_name: next.access_token_name,
          headers: next.headers,
          disabled_at: next.disabled_at,
          disabled_reason: next.disabled_reason,
          consecutive_failures: next.consecutive_failures,
          failing_since: next.failing_since,
          last_error: next.last_error,
          last_error_at: next.last_error_at,
          probe_at: next.probe_at,
          circuit_failures: next.circuit_failures,
          disable_after_seconds: next.disable_after_seconds,
          max_concurrency: next.max_concurrency,
          max_per_second: next.max_per_second,
          permit_queue_until: next.permit_queue_until,
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
    // Ordered runs among them hand their subjects on (waiting ones are cancelled too); subjects are locked first.
    const orderedPending = await tx
      .selectFrom('action_runs')
      .select(['automation_id', 'subject'])
      .where('team_id', '=', teamId)
      .where('webhook_id', '=', id)
      .where('state', '=', 'pending')
      .where('subject', 'is not', null)
      .execute();
    const subjects = orderedPending.length === 0 ? null : await lockSubjects(tx, orderedPending.map((run) => ({ automation_id: run.automation_id, subject: run.subject! })));
    const now = Date.now();
    const cancelled = await tx
      .updateTable('action_runs')
      // A stream run leaves the stream's due range too.
      .set({ ...failedColumns(WEBHOOK_DELETED, now), stream_due_at: null, stream_sent_at: null })
      .where('team_id', '=', teamId)
      .where('webhook_id', '=', id)
      .where('state', '=', 'pending')
      .returning(['id', 'team_id', 'event_id', 'automation_id', 'automation_name', 'suppress_failure_event', 'last_status', 'subject'])
      .execute();
    if (subjects !== null) {
      for (const run of cancelled) if (run.subject !== null) await releaseFinished(tx, after, subjects, { id: run.id, automation_id: run.automation_id, subject: run.subject }, now);
    }
    const byAutomation = new Map<string, typeof cancelled>();
    for (const run of cancelled) {
      if (run.suppress_failure_event === 1) continue;
      byAutomation.set(run.automation_id, [...(byAutomation.get(run.automation_id) ?? []), run]);
    }
    for (const runs of byAutomation.values()) {
      const first = runs.sort((a, b) => (a.id < b.id ? -1 : 1))[0]!;
      await recordAutomationFailed(tx, after, ctx.config, first, { error: WEBHOOK_DELETED, status: first.last_status }, { cancelledRuns: runs.length });
    }
    await tx.deleteFrom('webhook_permits').where('webhook_id', '=', id).execute();
    await tx.deleteFrom('webhooks').where('id', '=', id).execute();
  });
}
