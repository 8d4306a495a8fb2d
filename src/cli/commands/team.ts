// Team settings and operations from the command line: `secret set|ls|rm`, `webhook create|ls|get|limits|rm|test`,
// `runs ls|get|redeliver`, `job ls|get|cancel|logs`. See docs/cli.md.
import { Command, InvalidArgumentError } from 'commander';
import { ApiError, listAll, ok, type Webhook } from '../../client/index.js';
import { MAX_CONCURRENCY_LIMIT, MAX_PER_SECOND_LIMIT } from '../../core/endpoint-limits.js';
import { connect, emit, parseJsonObject, remoteCommand, table, UsageError, type Remote, type RemoteFlags } from '../remote.js';

/** How often `job logs --follow` asks for the job: often enough to feel live, rarely enough to cost nothing. */
export const FOLLOW_INTERVAL_MS = 1000;
const FINISHED_JOB_STATES = new Set(['succeeded', 'failed', 'cancelled']);

function positiveInteger(max: number) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw new InvalidArgumentError(`must be a whole number from 1 to ${max}`);
    return Number(raw);
  };
}

/** A webhook limit: a whole number from 1 to `max`, or `none` (unlimited; kept as the word: commander turns null into ''). */
function limitOrNone(max: number) {
  const parse = positiveInteger(max);
  return (raw: string): number | 'none' => {
    if (raw === 'none') return 'none';
    try {
      return parse(raw);
    } catch {
      throw new InvalidArgumentError(`must be a whole number from 1 to ${max}, or "none" for no limit`);
    }
  };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  return new Promise((resolve, reject) => {
    process.stderr.write(question);
    let value = '';
    input.setRawMode(true);
    input.resume();
    input.setEncoding('utf8');
    const done = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.removeListener('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (text: string) => {
      for (const char of text) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003' || char === '\u0004') return done(new UsageError('cancelled'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    input.on('data', onData);
  });
}

function registerSecretCommands(program: Command): void {
  const secret = program.command('secret').description("the team's secrets (admins): values are write-only");

  remoteCommand(
    secret,
    'set',
    'create a secret or replace its value; the value comes from standard input or a hidden prompt, never from an argument',
    'printf %s "$HOOK_SECRET" | modelyard secret set HOOK_SECRET\nmodelyard secret set HOOK_SECRET        # prompts without echo on a terminal',
  )
    .argument('<name>', 'the secret name, e.g. HOOK_SECRET (capitals, digits, _)')
    .action(async (name: string, flags: RemoteFlags) => {
      const remote = connect(flags);
      const raw = process.stdin.isTTY ? await promptHidden(`value for ${name}: `) : await readAll(process.stdin);
      // One trailing newline is the shell's (echo, a file), not the secret's.
      const value = raw.replace(/\r?\n$/, '');
      if (value === '') throw new UsageError('no secret value: pipe it on standard input, e.g. `printf %s "$VALUE" | modelyard secret set NAME`');
      let created = true;
      let saved;
      try {
        saved = await ok(remote.api.POST('/api/v1/teams/{team}/secrets', { params: { path: { team: remote.team } }, body: { name, value } }));
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 409)) throw error;
        created = false;
        saved = await ok(remote.api.PUT('/api/v1/teams/{team}/secrets/{name}', { params: { path: { team: remote.team, name } }, body: { value } }));
      }
      emit(remote, { ...saved, created }, () => `${created ? 'created' : 'replaced the value of'} secret ${name}`);
    });

  remoteCommand(secret, 'ls', "list the team's secrets (names and where they are used; never values)", 'modelyard secret ls')
    .action(async (flags: RemoteFlags) => {
      const remote = connect(flags);
      const items = await listAll((cursor) => ok(remote.api.GET('/api/v1/teams/{team}/secrets', { params: { path: { team: remote.team }, query: { cursor } } })));
      emit(remote, items, () => table(['SECRET', 'USED BY', 'UPDATED', 'BY'], items.map((s) => [s.name, s.usedBy.join(', '), s.updatedAt, s.updatedBy]), 'no secrets'));
    });

  remoteCommand(secret, 'rm', 'delete a secret (refused while a webhook uses it)', 'modelyard secret rm HOOK_SECRET')
    .argument('<name>', 'the secret name')
    .action(async (name: string, flags: RemoteFlags) => {
      const remote = connect(flags);
      await ok(remote.api.DELETE('/api/v1/teams/{team}/secrets/{name}', { params: { path: { team: remote.team, name } } }));
      emit(remote, { deleted: name }, () => `deleted secret ${name}`);
    });
}

/** A webhook by its name (or id). */
export async function findWebhook(remote: Remote, nameOrId: string): Promise<Webhook> {
  const items = await listAll((cursor) => ok(remote.api.GET('/api/v1/teams/{team}/webhooks', { params: { path: { team: remote.team }, query: { cursor } } })));
  const found = items.find((w) => w.name === nameOrId) ?? items.find((w) => w.id === nameOrId);
  if (!found) throw new ApiError(404, 'not_found', `no webhook named ${JSON.stringify(nameOrId)} in team ${remote.team}`);
  return found;
}

const TEST_PAYLOAD = '{"event_type": "TEST", "message": "a test delivery from `modelyard webhook test`"}';

function describeWebhook(w: Webhook): string {
  return [
    `${w.name} (${w.id})`,
    `url:          ${w.url ?? '(team admins only)'}`,
    `secret:       ${w.secret ?? '-'}`,
    `access token: ${w.accessToken ?? '-'}`,
    `enabled:      ${w.enabled ? 'yes' : `no${w.disabled ? ` (${w.disabled.reason}, ${w.disabled.at})` : ''}`}`,
    `limits:       ${describeLimits(w)}`,
  ].join('\n');
}

function describeLimits(w: Webhook): string {
  const parts = [
    w.maxConcurrency === null ? null : `${w.maxConcurrency} in flight`,
    w.maxPerSecond === null ? null : `${w.maxPerSecond} per second`,
  ].filter((part) => part !== null);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

interface LimitFlags {
  maxConcurrency?: number | 'none';
  maxPerSecond?: number | 'none';
}

/** The limits given on the command line, as fields of a webhook request (absent flags: absent fields). */
function limitsBody(flags: LimitFlags): { maxConcurrency?: number | null; maxPerSecond?: number | null } {
  return {
    ...(flags.maxConcurrency !== undefined ? { maxConcurrency: flags.maxConcurrency === 'none' ? null : flags.maxConcurrency } : {}),
    ...(flags.maxPerSecond !== undefined ? { maxPerSecond: flags.maxPerSecond === 'none' ? null : flags.maxPerSecond } : {}),
  };
}

function registerWebhookCommands(program: Command): void {
  const webhook = program.command('webhook').description("the team's webhooks (admins): where automations send signed requests");

  remoteCommand(webhook, 'create', 'create a webhook; --secret and --access-token name team secrets', 'modelyard webhook create deploy https://ci.example.com/hooks/modelyard --secret HOOK_SECRET')
    .argument('<name>', 'the webhook name')
    .argument('<target>', 'the URL deliveries are sent to (https)')
    .option('--secret <secret>', 'the team secret that signs deliveries (X-Wandb-Signature, Standard Webhooks)')
    .option('--access-token <secret>', 'the team secret sent as Authorization: Bearer')
    .option('--max-concurrency <n>', 'at most this many requests in flight to the endpoint (default: none)', limitOrNone(MAX_CONCURRENCY_LIMIT))
    .option('--max-per-second <n>', 'at most this many requests sent to the endpoint per second (default: none)', limitOrNone(MAX_PER_SECOND_LIMIT))
    .action(async (name: string, target: string, flags: RemoteFlags & { secret?: string; accessToken?: string } & LimitFlags) => {
      const remote = connect(flags);
      const created = await ok(
        remote.api.POST('/api/v1/teams/{team}/webhooks', {
          params: { path: { team: remote.team } },
          body: { name, url: target, secret: flags.secret ?? null, accessToken: flags.accessToken ?? null, ...limitsBody(flags) },
        }),
      );
      emit(remote, created, () => `created webhook ${created.name} (${created.id})`);
    });

  remoteCommand(
    webhook,
    'limits',
    'set the flood-control limits of a webhook: runs over them wait, none is dropped ("none" lifts a limit)',
    'modelyard webhook limits slack --max-concurrency 2 --max-per-second 5',
  )
    .argument('<name>', 'the webhook name (or id)')
    .option('--max-concurrency <n>', 'at most this many requests in flight to the endpoint, or "none"', limitOrNone(MAX_CONCURRENCY_LIMIT))
    .option('--max-per-second <n>', 'at most this many requests sent to the endpoint per second, or "none"', limitOrNone(MAX_PER_SECOND_LIMIT))
    .action(async (name: string, flags: RemoteFlags & LimitFlags) => {
      const body = limitsBody(flags);
      if (Object.keys(body).length === 0) throw new UsageError('give --max-concurrency or --max-per-second (a number, or "none" to lift the limit)');
      const remote = connect(flags);
      const found = await findWebhook(remote, name);
      const changed = await ok(remote.api.PATCH('/api/v1/teams/{team}/webhooks/{id}', { params: { path: { team: remote.team, id: found.id } }, body }));
      emit(remote, changed, () => `webhook ${changed.name}: limits ${describeLimits(changed)}`);
    });

  remoteCommand(webhook, 'ls', "list the team's webhooks", 'modelyard webhook ls')
    .action(async (flags: RemoteFlags) => {
      const remote = connect(flags);
      const items = await listAll((cursor) => ok(remote.api.GET('/api/v1/teams/{team}/webhooks', { params: { path: { team: remote.team }, query: { cursor } } })));
      emit(remote, items, () =>
        table(['WEBHOOK', 'ID', 'ENABLED', 'SECRET', 'URL'], items.map((w) => [w.name, w.id, w.enabled ? 'yes' : 'no', w.secret, w.url]), 'no webhooks'),
      );
    });

  remoteCommand(webhook, 'get', 'show a webhook', 'modelyard webhook get deploy')
    .argument('<name>', 'the webhook name (or id)')
    .action(async (name: string, flags: RemoteFlags) => {
      const remote = connect(flags);
      const found = await findWebhook(remote, name);
      emit(remote, found, () => describeWebhook(found));
    });

  remoteCommand(webhook, 'rm', 'delete a webhook (refused while an automation uses it)', 'modelyard webhook rm deploy')
    .argument('<name>', 'the webhook name (or id)')
    .action(async (name: string, flags: RemoteFlags) => {
      const remote = connect(flags);
      const found = await findWebhook(remote, name);
      await ok(remote.api.DELETE('/api/v1/teams/{team}/webhooks/{id}', { params: { path: { team: remote.team, id: found.id } } }));
      emit(remote, { deleted: found.name, id: found.id }, () => `deleted webhook ${found.name}`);
    });

  remoteCommand(
    webhook,
    'test',
    'send a payload signed exactly like a delivery and show the answer (nothing is stored); exit 1 unless the receiver answered 2xx',
    'modelyard webhook test deploy --payload \'{"version": "classifier:v3"}\'',
  )
    .argument('<name>', 'the webhook name (or id)')
    .option('--payload <json>', 'the JSON body to send', TEST_PAYLOAD)
    .action(async (name: string, flags: RemoteFlags & { payload: string }) => {
      parseJsonObject('--payload', flags.payload);
      const remote = connect(flags);
      const found = await findWebhook(remote, name);
      const result = await ok(
        remote.api.POST('/api/v1/teams/{team}/webhooks/{id}/test', { params: { path: { team: remote.team, id: found.id } }, body: { payload: flags.payload } }),
      );
      emit(remote, result, () =>
        [
          `POST ${result.request.url}`,
          result.status === null ? `no answer: ${result.error ?? 'unknown error'}` : `answered ${result.status} in ${Math.round(result.durationMs)} ms`,
          ...(result.body ? ['', result.body] : []),
        ].join('\n'),
      );
      if (result.status === null || result.status < 200 || result.status > 299) process.exitCode = 1;
    });
}

function registerRunCommands(program: Command): void {
  const runs = program.command('runs').description('automation runs: each delivery or queued job an automation made, with its attempts');

  remoteCommand(runs, 'ls', "list the team's action runs, newest first", 'modelyard runs ls --state failed')
    .option('--state <state>', 'pending, succeeded, failed, skipped or superseded')
    .option('--limit <n>', 'how many runs', positiveInteger(500), 20)
    .action(async (flags: RemoteFlags & { state?: string; limit: number }) => {
      const remote = connect(flags);
      const page = await ok(
        remote.api.GET('/api/v1/teams/{team}/runs', { params: { path: { team: remote.team }, query: { limit: flags.limit, ...(flags.state ? { state: flags.state as 'failed' } : {}) } } }),
      );
      emit(remote, page.items, () =>
        table(
          ['RUN', 'AUTOMATION', 'EVENT', 'STATE', 'STATUS', 'ATTEMPTS', 'TARGET', 'CREATED'],
          page.items.map((r) => [r.id, r.automationName, r.eventType, r.state, r.status, r.attempts, r.webhookName ?? r.queueName, r.createdAt]),
          'no runs',
        ),
      );
    });

  remoteCommand(runs, 'get', 'show a run: its payload and every attempt with the answer', 'modelyard runs get RUN_ID --json')
    .argument('<id>', 'the run id')
    .action(async (id: string, flags: RemoteFlags) => {
      const remote = connect(flags);
      const run = await ok(remote.api.GET('/api/v1/teams/{team}/runs/{runId}', { params: { path: { team: remote.team, runId: id } } }));
      emit(remote, run, () =>
        [
          `${run.id}: ${run.automationName} on ${run.eventType} → ${run.webhookName ?? run.queueName ?? run.actionType}`,
          `state: ${run.state}${run.nextAttemptAt ? ` (next attempt ${run.nextAttemptAt})` : ''}${run.error ? `; ${run.error}` : ''}`,
          ...(run.job ? [`job ${run.job.id}: ${run.job.state}${run.job.exitCode !== null ? ` (exit ${run.job.exitCode})` : ''}`] : []),
          '',
          run.body,
          '',
          table(
            ['ATTEMPT', 'TRIGGER', 'STARTED', 'STATUS', 'MS', 'ERROR'],
            run.attempts.map((a) => [a.number, a.trigger, a.startedAt, a.status, Math.round(a.durationMs), a.error]),
            'no attempts yet',
          ),
        ].join('\n'),
      );
    });

  remoteCommand(runs, 'redeliver', 'send a run again now (recorded as a manual attempt, not retried)', 'modelyard runs redeliver RUN_ID')
    .argument('<id>', 'the run id')
    .action(async (id: string, flags: RemoteFlags) => {
      const remote = connect(flags);
      const attempt = await ok(remote.api.POST('/api/v1/teams/{team}/runs/{runId}/redeliver', { params: { path: { team: remote.team, runId: id } } }));
      emit(remote, attempt, () => `attempt ${attempt.number}: ${attempt.status === null ? `no answer (${attempt.error ?? 'unknown error'})` : `answered ${attempt.status}`}`);
      if (attempt.status === null || attempt.status < 200 || attempt.status > 299) process.exitCode = 1;
    });
}

/** The part of `next` (a log tail) that `previous` did not already show; the tail keeps only the last 64 KiB. */
export function newLogText(previous: string, next: string): string {
  if (next.startsWith(previous)) return next.slice(previous.length);
  // The tail moved on: find where the end of what was shown sits in the new tail.
  for (let keep = Math.min(previous.length, 4096); keep > 0; keep = Math.floor(keep / 2)) {
    const at = next.lastIndexOf(previous.slice(-keep));
    if (at !== -1) return next.slice(at + keep);
  }
  return next;
}

function registerJobCommands(program: Command): void {
  const job = program.command('job').description('queue jobs: list, inspect, cancel, read their output');

  remoteCommand(job, 'ls', "list a queue's jobs, newest first", 'modelyard job ls --queue eval --state queued,running')
    .requiredOption('--queue <queue>', 'the queue')
    .option('--state <states>', 'one state or several, comma-separated (queued, claimed, running, succeeded, failed, cancelled)')
    .option('--limit <n>', 'how many jobs', positiveInteger(500), 20)
    .action(async (flags: RemoteFlags & { queue: string; state?: string; limit: number }) => {
      const remote = connect(flags);
      const page = await ok(
        remote.api.GET('/api/v1/teams/{team}/queues/{queue}/jobs', {
          params: { path: { team: remote.team, queue: flags.queue }, query: { limit: flags.limit, ...(flags.state ? { state: flags.state } : {}) } },
        }),
      );
      emit(remote, page.items, () =>
        table(
          ['JOB', 'STATE', 'ATTEMPTS', 'AGENT', 'EXIT', 'CREATED'],
          page.items.map((j) => [j.id, j.cancelRequested && !FINISHED_JOB_STATES.has(j.state) ? `${j.state} (cancelling)` : j.state, j.attempts, j.agent, j.exitCode, j.createdAt]),
          `no jobs in queue ${flags.queue}`,
        ),
      );
    });

  remoteCommand(job, 'get', 'show a job: state, payload, event, the end of its output', 'modelyard job get JOB_ID')
    .argument('<id>', 'the job id')
    .action(async (id: string, flags: RemoteFlags) => {
      const remote = connect(flags);
      const found = await ok(remote.api.GET('/api/v1/teams/{team}/jobs/{jobId}', { params: { path: { team: remote.team, jobId: id } } }));
      emit(remote, found, () =>
        [
          `${found.id} on queue ${found.queue ?? '(deleted)'}: ${found.state}${found.cancelRequested && !FINISHED_JOB_STATES.has(found.state) ? ' (cancel requested)' : ''}`,
          `attempts: ${found.attempts} of ${found.maxAttempts}${found.agent ? `; agent ${found.agent}` : ''}${found.exitCode !== null ? `; exit ${found.exitCode}` : ''}${found.error ? `; ${found.error}` : ''}`,
          ...(found.event ? [`event:    ${found.event.type} ${found.event.artifactVersionString} by ${found.event.author}`] : []),
          `payload:  ${JSON.stringify(found.payload)}`,
          ...(found.logTail ? ['', found.logTail.replace(/\n$/, '')] : []),
        ].join('\n'),
      );
    });

  remoteCommand(job, 'cancel', 'cancel a job: a queued one at once, a running one when its agent next heartbeats', 'modelyard job cancel JOB_ID')
    .argument('<id>', 'the job id')
    .action(async (id: string, flags: RemoteFlags) => {
      const remote = connect(flags);
      const cancelled = await ok(remote.api.POST('/api/v1/teams/{team}/jobs/{jobId}/cancel', { params: { path: { team: remote.team, jobId: id } } }));
      emit(remote, cancelled, () => (cancelled.state === 'cancelled' ? `cancelled job ${id}` : `asked the agent to stop job ${id} (${cancelled.state})`));
    });

  remoteCommand(job, 'logs', "print a job's output (the last 64 KiB); --follow keeps printing until the job ends", 'modelyard job logs JOB_ID --follow')
    .argument('<id>', 'the job id')
    .option('-f, --follow', 'keep printing new output until the job finishes', false)
    .action(async (id: string, flags: RemoteFlags & { follow: boolean }) => {
      const remote = connect(flags);
      const fetchJob = () => ok(remote.api.GET('/api/v1/teams/{team}/jobs/{jobId}', { params: { path: { team: remote.team, jobId: id } } }));
      let found = await fetchJob();
      if (remote.json && !flags.follow) {
        emit(remote, { id, state: found.state, log: found.logTail }, () => '');
        return;
      }
      let shown = '';
      const show = (tail: string, state: string) => {
        const text = newLogText(shown, tail);
        shown = tail;
        if (text === '') return;
        if (remote.json) process.stdout.write(`${JSON.stringify({ id, state, text })}\n`);
        else process.stdout.write(text);
      };
      show(found.logTail, found.state);
      while (flags.follow && !FINISHED_JOB_STATES.has(found.state)) {
        await new Promise((resolve) => setTimeout(resolve, FOLLOW_INTERVAL_MS));
        found = await fetchJob();
        show(found.logTail, found.state);
      }
      if (flags.follow) {
        if (remote.json) process.stdout.write(`${JSON.stringify({ id, state: found.state, exitCode: found.exitCode })}\n`);
        else process.stderr.write(`job ${id} ${found.state}${found.exitCode !== null ? ` (exit ${found.exitCode})` : ''}\n`);
        if (found.state !== 'succeeded') process.exitCode = 1;
      }
    });
}

/** Teams: the first thing a new instance needs, and the list of those the key's user is in. */
function registerTeamsCommands(program: Command): void {
  const team = program.command('team').description('teams (the creator becomes their admin)');

  remoteCommand(team, 'create', 'create a team; you become its admin', 'modelyard team create vision')
    .argument('<name>', 'the team name')
    .action(async (name: string, flags: RemoteFlags) => {
      const remote = connect(flags, process.env, { teamless: true });
      const created = await ok(remote.api.POST('/api/v1/teams', { body: { name } }));
      emit(remote, created, () => `created team ${created.name} (you are its admin); use it with --team ${created.name} or MODELYARD_TEAM=${created.name}`);
    });

  remoteCommand(team, 'ls', 'list the teams you are in, with your role', 'modelyard team ls --json')
    .action(async (flags: RemoteFlags) => {
      const remote = connect(flags, process.env, { teamless: true });
      const teams = await listAll((cursor) => ok(remote.api.GET('/api/v1/teams', { params: { query: { cursor } } })));
      emit(remote, teams, () => table(['TEAM', 'ROLE'], teams.map((t) => [t.name, t.role]), 'no teams yet: modelyard team create NAME'));
    });
}

export function registerTeamCommands(program: Command): void {
  registerTeamsCommands(program);
  registerSecretCommands(program);
  registerWebhookCommands(program);
  registerRunCommands(program);
  registerJobCommands(program);
}
