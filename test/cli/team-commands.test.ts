// Team settings, operations and automations as code from the command line, driven as a subprocess against a real
// server: `secret`, `webhook`, `runs`, `job`, `automations export|diff|apply [--prune]` — human and --json output,
// exit codes (0 ok, 1 failed, 2 usage).
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, eventually, expectStatus, Receiver, startTestServer, type Client, type TestServer } from '../helpers/index.js';
import { logVersion } from '../helpers/registry.js';
import { cliFor } from '../helpers/cli.js';

let server: TestServer;
let admin: Client;
let cli: ReturnType<typeof cliFor>;
let memberCli: ReturnType<typeof cliFor>;
let receiver: Receiver;
let failing: Receiver;
const team = 'ops';
const base = `/api/v1/teams/${team}`;

beforeAll(async () => {
  server = await startTestServer();
  const roles = await createTeamWithRoles(server, team);
  admin = roles.admin;
  cli = cliFor({ url: server.url, apiKey: roles.admin.apiKey!, team });
  memberCli = cliFor({ url: server.url, apiKey: roles.member.apiKey!, team });
  receiver = await new Receiver().start();
  failing = await new Receiver(() => ({ status: 500, body: '{"error":"down"}' })).start();
  expectStatus(await admin.post(`${base}/projects`, { name: 'training' }), 201, 'creating the project');
  expectStatus(await logVersion(admin, team, 'training', 'classifier'), 201, 'logging a version');
  expectStatus(await admin.post(`${base}/registry/models`, { name: 'classifier' }), 201, 'creating the model');
  expectStatus(await admin.post(`${base}/queues`, { name: 'eval' }), 201, 'creating the queue');
});

afterAll(async () => {
  cli.cleanup();
  memberCli.cleanup();
  await receiver.close();
  await failing.close();
  await server.close();
});

describe('modelyard team', { timeout: 180_000 }, () => {
  it('creates a team without MODELYARD_TEAM (the creator is its admin), lists teams with roles, and refuses a taken name', async () => {
    const [created, taken] = await Promise.all([
      cli.run(['team', 'create', 'research'], { env: { MODELYARD_TEAM: undefined } }),
      cli.run(['team', 'create', team, '--json'], { env: { MODELYARD_TEAM: undefined } }),
    ]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^created team research \(you are its admin\)/);
    expect(taken.code).toBe(1);
    expect(JSON.parse(taken.stderr)).toMatchObject({ error: { status: 409, code: 'conflict' } });
    const [listed, listedJson] = await Promise.all([cli.run(['team', 'ls'], { env: { MODELYARD_TEAM: undefined } }), cli.run(['team', 'ls', '--json'])]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^TEAM\s+ROLE\n/);
    expect(listed.stdout).toMatch(/^research\s+admin$/m);
    expect(listedJson.json().map((t: { name: string; role: string }) => `${t.name}:${t.role}`).sort()).toEqual(['ops:admin', 'research:admin']);
  });
});

describe('modelyard secret and webhook', { timeout: 180_000 }, () => {
  it('sets a secret from stdin (never echoing it), replaces it, lists and removes secrets', async () => {
    const created = await cli.run(['secret', 'set', 'HOOK_SECRET'], { stdin: 's3cr3t-value\n' });
    expect(created.code).toBe(0);
    expect(created.stdout).toBe('created secret HOOK_SECRET\n');
    const [replaced, empty, member, spare] = await Promise.all([
      cli.run(['secret', 'set', 'HOOK_SECRET', '--json'], { stdin: 's3cr3t-value' }),
      cli.run(['secret', 'set', 'EMPTY']),
      memberCli.run(['secret', 'set', 'MEMBER_SECRET'], { stdin: 'x' }),
      cli.run(['secret', 'set', 'SPARE'], { stdin: 'spare-value' }),
    ]);
    expect(replaced.json()).toMatchObject({ name: 'HOOK_SECRET', created: false });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/no secret value/);
    expect(member.code).toBe(1);
    expect(member.stderr).toMatch(/HTTP 403/);
    expect(spare.code).toBe(0);
    const [listed, listedJson, removed] = await Promise.all([cli.run(['secret', 'ls']), cli.run(['secret', 'ls', '--json']), cli.run(['secret', 'rm', 'SPARE'])]);
    expect(listed.stdout).toMatch(/^SECRET\s+USED BY\s+UPDATED\s+BY\nHOOK_SECRET\s/);
    expect(listedJson.json().map((s: { name: string }) => s.name)).toContain('HOOK_SECRET');
    expect(removed.stdout).toBe('deleted secret SPARE\n');
    for (const output of [created, replaced, listed, listedJson].map((r) => r.stdout + r.stderr)) expect(output).not.toContain('s3cr3t-value');
  });

  it('creates, shows, tests and removes webhooks; a test the receiver refuses exits 1', async () => {
    const [created, down] = await Promise.all([
      cli.run(['webhook', 'create', 'deploy', receiver.url('/deploy'), '--secret', 'HOOK_SECRET']),
      cli.run(['webhook', 'create', 'down', failing.url('/down'), '--json']),
    ]);
    expect(created.stdout).toMatch(/^created webhook deploy \(\S+\)\n$/);
    expect(down.json()).toMatchObject({ name: 'down', secret: null });
    const [listed, shown, memberView, tested, testedDown, badPayload, missing, duplicate] = await Promise.all([
      cli.run(['webhook', 'ls']),
      cli.run(['webhook', 'get', 'deploy']),
      memberCli.run(['webhook', 'get', 'deploy', '--json']),
      cli.run(['webhook', 'test', 'deploy', '--payload', '{"hello": "world"}']),
      cli.run(['webhook', 'test', 'down', '--json']),
      cli.run(['webhook', 'test', 'deploy', '--payload', 'not json']),
      cli.run(['webhook', 'get', 'nope']),
      cli.run(['webhook', 'create', 'deploy', receiver.url('/x')]),
    ]);
    expect(listed.stdout).toMatch(/^WEBHOOK\s+ID\s+ENABLED\s+SECRET\s+URL\n/);
    expect(listed.stdout).toMatch(/deploy\s+\S+\s+yes\s+HOOK_SECRET\s+http:\/\/127\.0\.0\.1/);
    expect(shown.stdout).toContain('secret:       HOOK_SECRET');
    expect(memberView.json().url).toBeUndefined();
    expect(tested.code).toBe(0);
    expect(tested.stdout).toMatch(/answered 200 in \d+ ms/);
    const request = receiver.requests.find((r) => r.url === '/deploy')!;
    expect(request.body).toBe('{"hello": "world"}');
    expect(request.headers['x-wandb-signature']).toBeTruthy();
    expect(testedDown.code).toBe(1);
    expect(testedDown.json()).toMatchObject({ status: 500 });
    expect(badPayload.code).toBe(2);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no webhook named "nope"/);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/already exists.*HTTP 409/);
    const removed = await cli.run(['webhook', 'rm', 'down']);
    expect(removed.stdout).toBe('deleted webhook down\n');
  });

  it('sets flood-control limits on create and with `webhook limits`; "none" lifts one; bad values are usage errors', async () => {
    const created = await cli.run(['webhook', 'create', 'slack', receiver.url('/slack'), '--max-concurrency', '2', '--max-per-second', '5', '--json']);
    expect(created.json()).toMatchObject({ name: 'slack', maxConcurrency: 2, maxPerSecond: 5 });
    expect((await cli.run(['webhook', 'get', 'slack'])).stdout).toContain('limits:       2 in flight, 5 per second');
    const lifted = await cli.run(['webhook', 'limits', 'slack', '--max-concurrency', 'none']);
    expect(lifted.stdout, lifted.stderr).toBe('webhook slack: limits 5 per second\n');
    const [zero, nothing] = await Promise.all([
      cli.run(['webhook', 'limits', 'slack', '--max-per-second', '0']),
      cli.run(['webhook', 'limits', 'slack']),
    ]);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/from 1 to 10000, or "none"/);
    expect(nothing.code).toBe(2);
    expect((await admin.get(`${base}/webhooks`)).body.items.find((w: { name: string }) => w.name === 'slack')).toMatchObject({ maxConcurrency: null, maxPerSecond: 5 });
  });
});

const FILE = `version: 1
automations:
  - name: deploy-production
    description: Deploy what reaches production
    event: { type: ADD_ARTIFACT_ALIAS, model: classifier, aliasPattern: ^production$ }
    action:
      type: webhook
      webhook: deploy
      payload: |
        {
          "version": "\${artifact_version_string}",
          "signed": "\${HOOK_SECRET}"
        }
  - name: evaluate
    event: { type: LINK_ARTIFACT, model: classifier }
    action:
      type: queue_job
      queue: eval
      template: |
        {"model": "\${artifact_version_string}"}
  - name: noted
    enabled: false
    event: { type: CREATE_ARTIFACT }
    action: { type: no_op }
`;

describe('modelyard automations', { timeout: 180_000 }, () => {
  it('plans, applies, changes nothing the second time, exports what it applied and prunes what the file dropped', async () => {
    const file = path.join(cli.home, 'automations.yaml');
    fs.writeFileSync(file, FILE);
    const planned = await cli.run(['automations', 'diff', '-f', file]);
    expect(planned.stdout).toBe('+ create deploy-production\n+ create evaluate\n+ create noted\n');
    const applied = await memberCli.run(['automations', 'apply', '-f', file]);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toBe('created deploy-production\ncreated evaluate\ncreated noted\n');

    const [second, secondJson, exported] = await Promise.all([
      cli.run(['automations', 'diff', '-f', file]),
      cli.run(['automations', 'apply', '-f', file, '--json']),
      cli.run(['automations', 'export']),
    ]);
    expect(second.stdout).toBe('no changes\n');
    expect(secondJson.json()).toEqual({ applied: [], unmanaged: [] });
    // The export holds templates as block strings, names webhooks and queues, and no secret value.
    expect(exported.stdout).toContain('payload: |\n');
    expect(exported.stdout).toContain('webhook: deploy');
    expect(exported.stdout).not.toContain('s3cr3t-value');
    const parsed = YAML.parse(exported.stdout);
    expect(parsed.automations.map((a: { name: string }) => a.name)).toEqual(['deploy-production', 'evaluate', 'noted']);
    expect(parsed.automations[0].action.payload).toBe('{\n  "version": "${artifact_version_string}",\n  "signed": "${HOOK_SECRET}"\n}\n');
    const exportedFile = path.join(cli.home, 'exported.yaml');
    fs.writeFileSync(exportedFile, exported.stdout);
    expect((await cli.run(['automations', 'diff', '-f', exportedFile, '--json'])).json()).toEqual({ changes: [], unmanaged: [] });

    // Drop one automation and change another: without --prune the dropped one is kept and said so.
    const edited = FILE.replace(/ {2}- name: noted[\s\S]*$/, '').replace('Deploy what reaches production', 'Deploy to the fleet');
    fs.writeFileSync(file, edited);
    const [kept, keptJson] = await Promise.all([cli.run(['automations', 'diff', '-f', file]), cli.run(['automations', 'diff', '-f', file, '--prune', '--json'])]);
    expect(kept.stdout).toBe('~ update deploy-production (description)\nnot in the file, kept (--prune deletes them): noted\n');
    expect(keptJson.json()).toEqual({ changes: [{ action: 'update', name: 'deploy-production', fields: ['description'] }, { action: 'delete', name: 'noted' }], unmanaged: [] });
    const pruned = await cli.run(['automations', 'apply', '-f', file, '--prune']);
    expect(pruned.stdout).toBe('updated deploy-production\ndeleted noted\n');
    const [afterPrune, list] = await Promise.all([cli.run(['automations', 'diff', '-f', file, '--prune']), admin.get(`${base}/automations`)]);
    expect(afterPrune.stdout).toBe('no changes\n');
    expect(list.body.items.map((a: { name: string }) => a.name).sort()).toEqual(['deploy-production', 'evaluate']);
  });

  it('refuses a bad file (exit 2), an unknown webhook or queue before applying anything, and stops at the first refused change', async () => {
    const write = (name: string, text: string) => {
      const file = path.join(cli.home, name);
      fs.writeFileSync(file, text);
      return file;
    };
    const unknownWebhook = write('unknown.yaml', FILE.replace('webhook: deploy', 'webhook: nowhere').replace('name: deploy-production', 'name: other'));
    const broken = write(
      'broken.yaml',
      `automations:
  - { name: a-first, event: { type: LINK_ARTIFACT }, action: { type: no_op } }
  - { name: b-broken, event: { type: LINK_ARTIFACT }, action: { type: webhook, webhook: deploy, payload: "{\\"x\\": \${nope" } }
  - { name: c-last, event: { type: LINK_ARTIFACT }, action: { type: no_op } }
`,
    );
    const [notYaml, extraKey, duplicate, missingFile, unknown, stopped] = await Promise.all([
      cli.run(['automations', 'diff', '-f', write('bad.yaml', 'automations: [')]),
      cli.run(['automations', 'diff', '-f', write('extra.yaml', 'automations:\n  - { name: x, event: { type: LINK_ARTIFACT }, action: { type: no_op }, secret: hunter2 }\n')]),
      cli.run(['automations', 'diff', '-f', write('dup.yaml', 'automations:\n  - { name: x, event: { type: LINK_ARTIFACT }, action: { type: no_op } }\n  - { name: x, event: { type: LINK_ARTIFACT }, action: { type: no_op } }\n')]),
      cli.run(['automations', 'apply', '-f', path.join(cli.home, 'missing.yaml')]),
      cli.run(['automations', 'apply', '-f', unknownWebhook]),
      cli.run(['automations', 'apply', '-f', broken]),
    ]);
    expect([notYaml.code, extraKey.code, duplicate.code, missingFile.code]).toEqual([2, 2, 2, 2]);
    expect(notYaml.stderr).toMatch(/bad\.yaml: not YAML/);
    expect(extraKey.stderr).toMatch(/automations\[0\]: Unrecognized key: "secret"/);
    expect(duplicate.stderr).toMatch(/two automations are named "x"/);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/other: no webhook named "nowhere"/);
    expect(stopped.code).toBe(1);
    expect(stopped.stdout).toBe('created a-first\n');
    expect(stopped.stderr).toMatch(/create b-broken failed: .*\napplied before it: created a-first\nnot applied: create c-last/);
    const names = (await admin.get(`${base}/automations`)).body.items.map((a: { name: string }) => a.name);
    expect(names).toContain('a-first');
    expect(names).not.toContain('other');
    expect(names).not.toContain('c-last');
  });
});

describe('modelyard runs and job', { timeout: 180_000 }, () => {
  it('lists, shows and redelivers the runs automations made, and follows a job to its end', async () => {
    expectStatus(await admin.post(`${base}/registry/models/classifier/versions`, { source: 'training/classifier:v0', aliases: ['production'] }), 201, 'linking');
    const run = await eventually(async () => {
      const listed = await cli.run(['runs', 'ls', '--json', '--state', 'succeeded']);
      return listed.json<Array<{ id: string; automationName: string }>>().find((r) => r.automationName === 'deploy-production');
    }, 60_000, 200);
    const [listed, shown, redelivered, unknown, badLimit] = await Promise.all([
      cli.run(['runs', 'ls']),
      cli.run(['runs', 'get', run.id]),
      cli.run(['runs', 'redeliver', run.id, '--json']),
      cli.run(['runs', 'get', 'no-such-run']),
      cli.run(['runs', 'ls', '--limit', '0']),
    ]);
    expect(listed.stdout).toMatch(/^RUN\s+AUTOMATION\s+EVENT\s+STATE/);
    expect(listed.stdout).toMatch(/deploy-production\s+ADD_ARTIFACT_ALIAS\s+succeeded\s+200/);
    expect(shown.stdout).toContain('"version": "ops/model-registry/classifier:production"');
    expect(shown.stdout).toContain('${HOOK_SECRET}');
    expect(shown.stdout).not.toContain('s3cr3t-value');
    expect(redelivered.json()).toMatchObject({ trigger: 'manual', status: 200 });
    expect(unknown.code).toBe(1);
    expect(badLimit.code).toBe(2);

    // The LINK_ARTIFACT automation queued a job: an agent's side (claim, log, result) over the API, the CLI reads it.
    const job = await eventually(async () => (await cli.run(['job', 'ls', '--queue', 'eval', '--json'])).json<Array<{ id: string; state: string }>>()[0]);
    const [jobs, jobShown] = await Promise.all([cli.run(['job', 'ls', '--queue', 'eval']), cli.run(['job', 'get', job.id])]);
    expect(jobs.stdout).toMatch(new RegExp(`${job.id}\\s+queued\\s+0`));
    expect(jobShown.stdout).toContain(`${job.id} on queue eval: queued`);
    expect(jobShown.stdout).toContain('event:    LINK_ARTIFACT ops/model-registry/classifier:v0');

    const claimed = expectStatus(await admin.post(`${base}/queues/eval/claim?wait=0`, { agent: 'cli-test' }), 200, 'claiming');
    const lease = { agent: 'cli-test', attempt: claimed.body.attempts };
    expectStatus(await admin.post(`${base}/jobs/${job.id}/log`, { ...lease, text: 'evaluating\n' }), 204, 'logging');
    const following = cli.run(['job', 'logs', job.id, '--follow']);
    expectStatus(await admin.post(`${base}/jobs/${job.id}/log`, { ...lease, text: 'accuracy 0.93\n' }), 204, 'logging');
    expectStatus(await admin.post(`${base}/jobs/${job.id}/result`, { ...lease, exitCode: 0 }), 200, 'reporting');
    const followed = await following;
    expect(followed.code).toBe(0);
    expect(followed.stdout).toBe('evaluating\naccuracy 0.93\n');
    expect(followed.stderr).toBe(`job ${job.id} succeeded (exit 0)\n`);

    // A job enqueued by hand, cancelled while queued; following a cancelled job ends at once with exit 1.
    const queued = expectStatus(await admin.post(`${base}/queues/eval/jobs`, { payload: { n: 1 } }), 201, 'enqueueing');
    const cancelled = await cli.run(['job', 'cancel', queued.body.id]);
    expect(cancelled.stdout).toBe(`cancelled job ${queued.body.id}\n`);
    const [after, logsJson, missing] = await Promise.all([
      cli.run(['job', 'logs', queued.body.id, '--follow']),
      cli.run(['job', 'logs', job.id, '--json']),
      cli.run(['job', 'get', 'no-such-job', '--json']),
    ]);
    expect(after.code).toBe(1);
    expect(after.stderr).toBe(`job ${queued.body.id} cancelled\n`);
    expect(logsJson.json()).toEqual({ id: job.id, state: 'succeeded', log: 'evaluating\naccuracy 0.93\n' });
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr).error.status).toBe(404);
  });
});
