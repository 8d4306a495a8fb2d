// `modelyard agent` as real processes against a real server: an automation queues a job when a version is linked, and
// jobs run real scripts (test/fixtures), stream their logs, report exit codes, get cancelled, survive a killed agent
// (lease expiry → another agent), and are handed back on SIGTERM. The server uses 6-second leases so a lost agent's job comes back quickly.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, eventually, startTestServer, type TestServer } from '../helpers/index.js';
import { logVersion } from '../helpers/registry.js';
import { fixture, killAllAgents, startAgentProcess, type AgentProcess } from '../helpers/agent-process.js';

let server: TestServer;
let roles: Awaited<ReturnType<typeof createTeamWithRoles>>;
let base: string;
let workDir: string;

beforeAll(async () => {
  server = await startTestServer({ env: { MODELYARD_JOB_LEASE_MS: '6000' } });
  roles = await createTeamWithRoles(server);
  base = `/api/v1/teams/${roles.team}`;
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelyard-agent-test-'));
});
afterEach(async () => {
  await killAllAgents();
});
afterAll(async () => {
  await server.close();
  fs.rmSync(workDir, { recursive: true, force: true });
});

function agent(queue: string, command: string[], extra: string[] = []): AgentProcess {
  return startAgentProcess({
    url: server.url,
    apiKey: (roles.member as unknown as { apiKey: string }).apiKey,
    team: roles.team,
    args: ['--queue', queue, ...extra, ...(command.length > 0 ? ['--', ...command] : [])],
  });
}

async function makeQueue(name: string): Promise<void> {
  expect((await roles.member.post(`${base}/queues`, { name })).status).toBe(201);
}

async function enqueue(queue: string, payload: Record<string, unknown>): Promise<string> {
  const reply = await roles.member.post(`${base}/queues/${queue}/jobs`, { payload });
  expect(reply.status).toBe(201);
  return reply.body.id;
}

async function jobWhen(id: string, done: (job: any) => boolean, timeoutMs = 60_000): Promise<any> {
  return eventually(async () => {
    const reply = await roles.viewer.get(`${base}/jobs/${id}`);
    return done(reply.body) ? reply.body : undefined;
  }, timeoutMs);
}
const finished = (job: any) => ['succeeded', 'failed', 'cancelled'].includes(job.state);

describe('modelyard agent', { timeout: 120_000 }, () => {
  it('links a version → the automation queues a job → the agent downloads the version → the job succeeds with its log', async () => {
    const project = await roles.member.post(`${base}/projects`, { name: 'training' });
    expect(project.status).toBe(201);
    const logged = await logVersion(roles.member, roles.team, 'training', 'resnet', { files: { 'model.bin': 'trained weights', 'config.json': '{"layers":50}' } });
    expect(logged.status).toBe(201);
    expect((await roles.member.post(`${base}/registry/models`, { name: 'classifier' })).status).toBe(201);
    await makeQueue('eval');
    const automation = await roles.admin.post(`${base}/automations`, {
      name: 'evaluate new versions',
      event: { type: 'LINK_ARTIFACT', model: 'classifier' },
      action: { type: 'queue_job', queue: 'eval', template: '{"command":"evaluate","artifact_version_string":"${artifact_version_string}"}' },
    });
    expect(automation.status, JSON.stringify(automation.body)).toBe(201);

    const running = agent('eval', [fixture('download-version.mjs')]);
    const linked = await roles.member.post(`${base}/registry/models/classifier/versions`, { source: 'training/resnet:v0' });
    expect(linked.status).toBe(201);

    const queued = await eventually(async () => {
      const jobs = await roles.viewer.get(`${base}/queues/eval/jobs`);
      return jobs.body.items[0];
    });
    expect(queued).toMatchObject({
      automationId: automation.body.id,
      payload: { command: 'evaluate', artifact_version_string: `${roles.team}/model-registry/classifier:${linked.body.version}` },
    });
    expect(queued.eventId).not.toBeNull();
    const job = await jobWhen(queued.id, finished);
    expect(job.state, running.output() + job.logTail).toBe('succeeded');
    expect(job.exitCode).toBe(0);
    expect(job.agent).toMatch(/-\d+$/);
    expect(job.logTail).toContain(`evaluating ${roles.team}/model-registry/classifier:v0; stdin command=evaluate`);
    expect(job.logTail).toContain('downloaded model.bin (15 bytes, sha256 ok): trained weights');
    expect(job.logTail).toContain('downloaded config.json');
    expect(job.logTail).toContain('evaluation passed');
    expect(job.startedAt).not.toBeNull();
  });

  it("exports the job's event whatever the template calls its fields, and the automation's run follows the job", async () => {
    expect((await roles.member.post(`${base}/projects`, { name: 'event-env' })).status).toBe(201);
    expect((await logVersion(roles.member, roles.team, 'event-env', 'detector-weights', { files: { 'w.bin': 'w' } })).status).toBe(201);
    expect((await roles.member.post(`${base}/registry/models`, { name: 'detector' })).status).toBe(201);
    await makeQueue('event-env');
    const automation = await roles.admin.post(`${base}/automations`, {
      name: 'deploy production',
      event: { type: 'ADD_ARTIFACT_ALIAS', model: 'detector', aliasPattern: '^production$' },
      // Field names of the template's own choosing; `model` even holds something else.
      action: { type: 'queue_job', queue: 'event-env', template: '{"target":"${artifact_version_string}","model":"ignored","exit_code":"${artifact_version_index}"}' },
    });
    expect(automation.status, JSON.stringify(automation.body)).toBe(201);
    const names = ['EVENT_TYPE', 'ARTIFACT_VERSION_STRING', 'MODEL', 'VERSION', 'ALIAS', 'EVENT_AUTHOR', 'EVENT_ID', 'TARGET'].map((n) => `MODELYARD_${n}`);
    // Prints every variable, then exits with the version index (0 here): the run must follow the job's outcome.
    const script = `for n in ${names.join(' ')}; do echo "$n=\${!n-<unset>}"; done; exit "$MODELYARD_EXIT_CODE"`;
    const running = agent('event-env', ['bash', '-c', script]);
    const linked = await roles.member.post(`${base}/registry/models/detector/versions`, { source: 'event-env/detector-weights:v0', aliases: ['production'] });
    expect(linked.status).toBe(201);

    const runs = async () => (await roles.viewer.get(`${base}/automations/${automation.body.id}/runs`)).body.items;
    const [run] = await runs();
    const job = await jobWhen(run.jobId, finished);
    expect(job.state, running.output() + job.logTail).toBe('succeeded');
    const ref = `${roles.team}/model-registry/detector:production`;
    expect(job.event).toEqual({ type: 'ADD_ARTIFACT_ALIAS', model: 'detector', version: 'v0', alias: 'production', artifactVersionString: ref, author: roles.member.userName, eventId: run.eventId });
    for (const line of [
      'MODELYARD_EVENT_TYPE=ADD_ARTIFACT_ALIAS',
      `MODELYARD_ARTIFACT_VERSION_STRING=${ref}`,
      'MODELYARD_MODEL=detector',
      'MODELYARD_VERSION=v0',
      'MODELYARD_ALIAS=production',
      `MODELYARD_EVENT_AUTHOR=${roles.member.userName}`,
      `MODELYARD_EVENT_ID=${run.eventId}`,
      `MODELYARD_TARGET=${ref}`,
    ]) {
      expect(job.logTail).toContain(`${line}\n`);
    }
    const [done] = await runs();
    expect(done).toMatchObject({ state: 'succeeded', job: { id: job.id, state: 'succeeded', exitCode: 0 } });

    // A job enqueued by hand has no event: the variables are there, empty, unless its payload names them.
    const hand = await jobWhen(await enqueue('event-env', { model: 'by-hand', exit_code: 4 }), finished);
    expect(hand).toMatchObject({ state: 'failed', exitCode: 4, event: null });
    expect(hand.logTail).toContain('MODELYARD_EVENT_TYPE=\n');
    expect(hand.logTail).toContain('MODELYARD_VERSION=\n');
    expect(hand.logTail).toContain('MODELYARD_MODEL=by-hand\n');
  });

  it('runs a job enqueued by hand with the same script', async () => {
    const id = await enqueue('eval', { command: 'evaluate', artifact_version_string: `${roles.team}/model-registry/classifier:latest` });
    const running = agent('eval', [fixture('download-version.mjs')]);
    const job = await jobWhen(id, finished);
    expect(job.state, running.output() + job.logTail).toBe('succeeded');
    expect(job.automationId).toBeNull();
    expect(job.createdBy).toBe(roles.member.userName);
    expect(job.logTail).toContain('evaluation passed');
  });

  it('gives the job its payload as MODELYARD_* variables and on stdin, without letting it override the fixed ones', async () => {
    await makeQueue('env');
    agent('env', ['bash', fixture('show-env.sh')], ['--name', 'env-agent']);
    const payload = { model: 'team/model-registry/m:v3', epochs: 12, flag: true, url: 'http://evil.example', job_id: 'fake' };
    const id = await enqueue('env', payload);
    const job = await jobWhen(id, finished);
    expect(job.state).toBe('succeeded');
    const lines = job.logTail as string;
    expect(lines).toContain(`MODELYARD_JOB_ID=${id}\n`);
    expect(lines).toContain('MODELYARD_MODEL=team/model-registry/m:v3\n');
    expect(lines).toContain('MODELYARD_EPOCHS=12\n');
    expect(lines).toContain('MODELYARD_FLAG=<unset>\n');
    expect(lines).toContain(`MODELYARD_URL=${server.url}\n`);
    expect(lines).toContain(`MODELYARD_TEAM=${roles.team}\n`);
    expect(lines).toContain('MODELYARD_QUEUE=env\n');
    expect(lines).toContain('HAS_API_KEY=yes\n');
    const jobVariable = /MODELYARD_JOB=(.*)\n/.exec(lines)?.[1];
    expect(JSON.parse(jobVariable!)).toEqual(payload);
    expect(JSON.parse(/STDIN=(.*)\n/.exec(lines)![1]!)).toEqual(payload);
    expect(job.agent).toBe('env-agent');
  });

  it('fails the job when the script fails, keeping its exit code and both output streams', async () => {
    await makeQueue('failing');
    agent('failing', ['bash', fixture('exit-with.sh')]);
    const id = await enqueue('failing', { exit_code: 3 });
    const job = await jobWhen(id, finished);
    expect(job).toMatchObject({ state: 'failed', exitCode: 3, error: 'exited with code 3' });
    expect(job.logTail).toContain(`working on job ${id}`);
    expect(job.logTail).toContain('something went wrong');
  });

  it('keeps a log of output holding NUL bytes, showing them as ␀ (the server refuses NUL in text)', async () => {
    await makeQueue('binary-output');
    agent('binary-output', ['bash', '-c', 'printf "before\\0after\\n"']);
    const id = await enqueue('binary-output', {});
    const job = await jobWhen(id, finished);
    expect(job.state, job.logTail).toBe('succeeded');
    expect(job.logTail).toContain('before\u2400after');
  });

  it('fails the job with a clear error when the command cannot be started', async () => {
    await makeQueue('missing');
    agent('missing', [path.join(workDir, 'no-such-program')]);
    const id = await enqueue('missing', {});
    const job = await jobWhen(id, finished);
    expect(job.state).toBe('failed');
    expect(job.exitCode).toBeNull();
    expect(job.error).toMatch(/could not start .*no-such-program.*ENOENT/);
  });

  it('cancels a running job: the agent stops the process and the job ends cancelled', async () => {
    await makeQueue('cancel');
    const running = agent('cancel', ['bash', fixture('tick-forever.sh')], ['--kill-grace', '5']);
    const id = await enqueue('cancel', {});
    await jobWhen(id, (job) => job.state === 'running' && job.logTail.includes('tick'));
    expect((await roles.member.post(`${base}/jobs/${id}/cancel`)).status).toBe(200);
    const job = await jobWhen(id, finished);
    expect(job.state, running.output()).toBe('cancelled');
    expect(job.logTail).toContain('stopping on TERM');
    // The agent goes on to the next job.
    const next = await enqueue('cancel', {});
    await jobWhen(next, (j) => j.state === 'running');
    await roles.member.post(`${base}/jobs/${next}/cancel`);
    await jobWhen(next, finished);
  });

  it('requeues the job of an agent killed with SIGKILL once its lease expires, and a second agent runs it', async () => {
    await makeQueue('crash');
    const record = path.join(workDir, 'crash.txt');
    const first = agent('crash', ['bash', fixture('tick-forever.sh')], ['--name', 'doomed']);
    const id = await enqueue('crash', { record_file: record });
    await jobWhen(id, (job) => job.state === 'running' && job.agent === 'doomed');
    first.kill('SIGKILL');
    await first.exited;

    const second = agent('crash', ['bash', fixture('record-job.sh')], ['--name', 'survivor']);
    const job = await jobWhen(id, finished);
    expect(job.state, second.output()).toBe('succeeded');
    expect(job.agent).toBe('survivor');
    expect(job.attempts).toBe(2);
    expect(job.logTail).toContain('agent "doomed" stopped heart-beating (attempt 1); job queued again');
    expect(job.logTail).toContain(`recorded ${id}`);
    // Once by the killed agent's script, once by the survivor's.
    expect(fs.readFileSync(record, 'utf8').trim().split('\n')).toEqual([id, id]);
  });

  it('on SIGTERM lets a short job finish, then exits 0', async () => {
    await makeQueue('drain');
    const running = agent('drain', ['bash', fixture('record-job.sh')], ['--grace', '30']);
    const id = await enqueue('drain', { record_file: path.join(workDir, 'drain.txt'), sleep_seconds: 2 });
    await jobWhen(id, (job) => job.state === 'running');
    running.kill('SIGTERM');
    expect(await running.exited, running.output()).toEqual({ code: 0, signal: null });
    const job = await roles.viewer.get(`${base}/jobs/${id}`);
    expect(job.body.state).toBe('succeeded');
  });

  it('on SIGTERM stops a job that outlasts the grace period and hands it back, then exits 0', async () => {
    await makeQueue('handback');
    const running = agent('handback', ['bash', fixture('tick-forever.sh')], ['--grace', '1', '--name', 'leaving']);
    const id = await enqueue('handback', {});
    await jobWhen(id, (job) => job.state === 'running');
    running.kill('SIGTERM');
    expect(await running.exited, running.output()).toEqual({ code: 0, signal: null });
    const job = (await roles.viewer.get(`${base}/jobs/${id}`)).body;
    expect(job).toMatchObject({ state: 'queued', attempts: 0, agent: null });
    expect(job.logTail).toContain('stopping on TERM');
    expect(job.logTail).toContain('agent "leaving" handed the job back: the agent is shutting down');

    // Another agent takes it over; this time it is cancelled to end it.
    agent('handback', ['bash', fixture('tick-forever.sh')], ['--name', 'next']);
    await jobWhen(id, (j) => j.state === 'running' && j.agent === 'next');
    await roles.member.post(`${base}/jobs/${id}/cancel`);
    expect((await jobWhen(id, finished)).state).toBe('cancelled');
  });

  it('with an allow-list runs only the commands it names and refuses anything else', async () => {
    await makeQueue('allow');
    const config = path.join(workDir, 'agent.json');
    fs.writeFileSync(config, JSON.stringify({ commands: { show: ['bash', fixture('show-env.sh')], fail: ['bash', fixture('exit-with.sh')] } }));
    const running = agent('allow', [], ['--config', config]);
    const allowed = await enqueue('allow', { command: 'show', model: 'm' });
    const unknown = await enqueue('allow', { command: 'rm -rf /' });
    const prototype = await enqueue('allow', { command: 'constructor' });
    const missing = await enqueue('allow', { model: 'm' });

    expect((await jobWhen(allowed, finished)).state, running.output()).toBe('succeeded');
    for (const id of [unknown, prototype]) {
      const job = await jobWhen(id, finished);
      expect(job.state).toBe('failed');
      expect(job.error).toMatch(/is not in this agent's allow-list \(fail, show\); it was not run/);
      expect(job.logTail).toContain("allow-list");
    }
    const noCommand = await jobWhen(missing, finished);
    expect(noCommand.state).toBe('failed');
    expect(noCommand.error).toMatch(/no "command" field/);
  });

  it('refuses to start without a command, with a bad allow-list, or without credentials', async () => {
    const badConfig = path.join(workDir, 'bad.json');
    fs.writeFileSync(badConfig, JSON.stringify({ commands: { run: 'python eval.py' } }));
    // Started together: each refuses on its own.
    const noCommand = agent('allow', []);
    const bad = agent('allow', [], ['--config', badConfig]);
    const anonymous = startAgentProcess({ url: server.url, team: roles.team, args: ['--queue', 'allow', '--', 'true'] });
    const viewer = startAgentProcess({
      url: server.url,
      apiKey: (roles.viewer as unknown as { apiKey: string }).apiKey,
      team: roles.team,
      args: ['--queue', 'allow', '--', 'true'],
    });
    const noQueue = agent('no-such-queue', ['true']);

    expect((await noCommand.exited).code).toBe(1);
    expect(noCommand.output()).toMatch(/give the command to run after --/);
    expect((await bad.exited).code).toBe(1);
    expect(bad.output()).toMatch(/commands\.run/);
    expect((await anonymous.exited).code).toBe(1);
    expect(anonymous.output()).toMatch(/MODELYARD_API_KEY/);
    expect((await viewer.exited).code).toBe(1);
    expect(viewer.output()).toMatch(/needs the member role/);
    expect((await noQueue.exited).code).toBe(1);
    expect(noQueue.output()).toMatch(/queue "no-such-queue" not found/);
  });
});
