// User-level benchmark: Modelyard measured from the outside, as its users drive it. `modelyard serve` runs as
// `npm start` runs it (the compiled build, default role: API and delivery together), clients move `production`
// between two versions over the REST API with IN_FLIGHT requests in flight, one automation fires a signed webhook per
// change, and the receiver is a process of its own. In the same run, for the same server:
//
//   raw HTTP      the delivery worker's own HTTP client POSTing to the receiver (the machine's HTTP ceiling)
//   GET floor     GET of a registered model — the server's cheapest authenticated read
//   alias moves   PUT of an alias, its automation disabled (the change and its event only)
//   + delivery    the same with the automation enabled; the rate counts a move once its delivery was received, so
//                 it is the rate the whole system sustains, and the latency is the age of the event (its commit
//                 time, `${timestamp}`) when the receiver got it: from the change's commit, a little before its 200.
//                 Like the rates, it leaves out the warm-up (WARMUP_REQUESTS per phase): only events committed after
//                 it count.
//
// Each client loop moves the alias of its own model (IN_FLIGHT models), alternating v0/v1, so every request is a
// real move with an event. Targets (issue 18): SQLite moves with delivery ≥ 0.8 × the GET floor and p99 ≤ 25 ms;
// PostgreSQL over TCP ≥ 0.6 × the GET floor and ≥ 1,000/s.
//
//   npx tsx bench/user.bench.ts                   (both databases; PostgreSQL over TCP at 127.0.0.1:5432/test)
//   USER_BENCH_DATABASES=sqlite USER_BENCH_SECONDS=5 npx tsx bench/user.bench.ts
//   USER_BENCH_DATABASE_URL=postgres://…          (another PostgreSQL)
//   USER_BENCH_SERVER_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof"   (node flags for the server, e.g. to profile it)
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { runHttpBaseline, sampleBody, startReceiverProcess, type ReceiverProcess } from './http-baseline.js';
import { deployment, freePort, prepareAdminKey, processCpuMs, startServerProcess, stopServerProcess } from './server-process.js';

const IN_FLIGHT = 32;
const SECONDS = Number(process.env.USER_BENCH_SECONDS ?? 8);
const WARMUP_REQUESTS = 500;
const TARGET = { sqliteRatio: 0.8, sqliteP99Ms: 25, postgresRatio: 0.6, postgresPerSecond: 1000 };
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TEAM = '/api/v1/teams/bench';

type Database = 'sqlite' | 'postgres';

interface Phase {
  perSecond: number;
  requests: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  /** Server process CPU per request (user + system), ms. */
  serverCpuMs: number | null;
  /** 2xx answers including the warm-up's. */
  accepted: number;
}

export interface UserBenchResult {
  database: Database;
  rawHttpPerSecond: number;
  getFloor: Phase;
  aliasMoves: Phase;
  withDelivery: Phase & {
    /** Moves per second counted until the last delivery was received. */
    deliveredPerSecond: number;
    deliveryP50Ms: number;
    deliveryP99Ms: number;
    deliveryMaxMs: number;
  };
  ratioToGetFloor: number;
  loadAverage: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
const round = (x: number) => Math.round(x * 100) / 100;

function progress(message: string): void {
  process.stderr.write(`[user bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function call(pool: Pool, key: string, method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await pool.request({
    method: method as 'GET',
    path: urlPath,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.body.text();
  return { status: response.statusCode, body: text ? JSON.parse(text) : undefined };
}

async function must(reply: Promise<{ status: number; body: any }>, status: number, what: string): Promise<any> {
  const { status: got, body } = await reply;
  if (got !== status) throw new Error(`${what}: HTTP ${got} ${JSON.stringify(body)}`);
  return body;
}

/** A team with one artifact of two versions, IN_FLIGHT models with both linked, a webhook and its automation. */
async function setUp(url: string, pool: Pool, key: string, receiverUrl: string): Promise<string> {
  await must(call(pool, key, 'POST', '/api/v1/teams', { name: 'bench' }), 201, 'team');
  await must(call(pool, key, 'POST', `${TEAM}/projects`, { name: 'training' }), 201, 'project');
  for (let i = 0; i < 2; i++) {
    const form = new FormData();
    form.append('type', 'model');
    form.append('file', new Blob([`weights ${i}`]), 'model.bin');
    const response = await fetch(`${url}${TEAM}/projects/training/artifacts/resnet/versions`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
    if (response.status !== 201) throw new Error(`logging a version: HTTP ${response.status} ${await response.text()}`);
  }
  for (let m = 0; m < IN_FLIGHT; m++) {
    await must(call(pool, key, 'POST', `${TEAM}/registry/models`, { name: `model-${m}` }), 201, 'model');
    for (const source of ['training/resnet:v0', 'training/resnet:v1']) {
      await must(call(pool, key, 'POST', `${TEAM}/registry/models/model-${m}/versions`, { source }), 201, 'link');
    }
  }
  await must(call(pool, key, 'POST', `${TEAM}/secrets`, { name: 'HOOK_SECRET', value: 'bench-signing-secret' }), 201, 'secret');
  const webhook = await must(call(pool, key, 'POST', `${TEAM}/webhooks`, { name: 'deploy', url: receiverUrl, secret: 'HOOK_SECRET', accessToken: null }), 201, 'webhook');
  const automation = await must(
    call(pool, key, 'POST', `${TEAM}/automations`, {
      name: 'deploy-production',
      description: '',
      enabled: false,
      event: { type: 'ADD_ARTIFACT_ALIAS', aliasPattern: '^production$' },
      action: { type: 'webhook', webhookId: webhook.id, payload: '{"model":"${artifact_collection_name}","version":"${artifact_version_string}","at":"${timestamp}"}' },
    }),
    201,
    'automation',
  );
  return automation.id as string;
}

/** Keeps IN_FLIGHT loops each sending `request(loop, n)` for SECONDS after a warm-up; 2xx answers count. */
/** `measuring`: called when the warm-up is over and the measured part starts. */
async function drive(
  pool: Pool,
  key: string,
  serverPid: number | undefined,
  request: (loop: number) => { method: 'GET' | 'PUT'; path: string; body?: string },
  measuring: () => Promise<unknown> = async () => undefined,
): Promise<Phase> {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  let sent = 0;
  let errors = 0;
  let accepted = 0;
  const latencies: number[] = [];
  const run = async (until: () => boolean, record: boolean) => {
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async (_, loop) => {
        while (!until()) {
          const { method, path: urlPath, body } = request(loop);
          sent++;
          const started = performance.now();
          const response = await pool.request({ method, path: urlPath, headers: body === undefined ? { authorization: headers.authorization } : headers, body });
          await response.body.dump();
          if (response.statusCode >= 300) errors++;
          else {
            accepted++;
            if (record) latencies.push(performance.now() - started);
          }
        }
      }),
    );
  };
  await run(() => sent >= WARMUP_REQUESTS, false);
  await measuring();
  errors = 0;
  const cpuBefore = processCpuMs(serverPid);
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  await run(() => performance.now() >= deadline, true);
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = processCpuMs(serverPid);
  latencies.sort((a, b) => a - b);
  return {
    perSecond: Math.round(latencies.length / seconds),
    requests: latencies.length,
    errors,
    p50Ms: round(percentile(latencies, 0.5)),
    p99Ms: round(percentile(latencies, 0.99)),
    serverCpuMs: cpuBefore === null || cpuAfter === null || latencies.length === 0 ? null : round((cpuAfter - cpuBefore) / latencies.length),
    accepted,
  };
}

/** Where each loop's model's `production` points, so every move really moves it (a PUT onto the holder emits nothing). */
const holders: string[] = [];

const aliasMove = (loop: number) => {
  holders[loop] = holders[loop] === 'v0' ? 'v1' : 'v0';
  return { method: 'PUT' as const, path: `${TEAM}/registry/models/model-${loop}/aliases/production`, body: JSON.stringify({ version: holders[loop] }) };
};

async function benchOne(database: Database, receiver: ReceiverProcess): Promise<UserBenchResult> {
  const port = await freePort();
  const databaseUrl = process.env.USER_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const deployed = await deployment(database, port, { databaseUrl, env: { MODELYARD_WEBHOOK_ALLOW: '127.0.0.0/8' } });
  const url = `http://127.0.0.1:${port}`;
  const pool = new Pool(url, { connections: IN_FLIGHT, pipelining: 1 });
  let child: ChildProcess | undefined;
  try {
    holders.length = 0;
    const key = await prepareAdminKey(deployed.config);
    child = await startServerProcess(deployed.env, url, { compiled: true, args: [], flags: (process.env.USER_BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean) });
    const automationId = await setUp(url, pool, key, receiver.url);
    const loadAverage = round(os.loadavg()[0]!);

    progress(`${database}: raw HTTP client baseline`);
    const raw = await runHttpBaseline({ url: receiver.url, concurrency: IN_FLIGHT, durationMs: SECONDS * 1000, body: sampleBody(200) });

    progress(`${database}: GET floor`);
    const getFloor = await drive(pool, key, child.pid, (loop) => ({ method: 'GET', path: `${TEAM}/registry/models/model-${loop}` }));

    progress(`${database}: alias moves, automation disabled`);
    const aliasMoves = await drive(pool, key, child.pid, aliasMove);

    progress(`${database}: alias moves, each delivering a webhook`);
    await must(call(pool, key, 'PATCH', `${TEAM}/automations/${automationId}`, { enabled: true }), 200, 'enabling the automation');
    const receivedBefore = await receiver.received();
    const started = performance.now();
    // The latency is the measured part's, as the rates are: events committed after the warm-up (whose first
    // deliveries meet a cold worker and new connections to the receiver).
    const moves = await drive(pool, key, child.pid, aliasMove, () => receiver.latency(Date.now()));
    // Every accepted move (the warm-up's too) is delivered once; wait for the last, then count the phase until then.
    const expected = receivedBefore + moves.accepted;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      receiver.reached(expected),
      new Promise((_, reject) => {
        timer = setTimeout(() => {
          void Promise.all([receiver.received(), call(pool, key, 'GET', `${TEAM}/runs?limit=3`)]).then(([received, runs]) =>
            reject(new Error(`deliveries did not arrive: ${received} of ${expected} received; latest runs: ${JSON.stringify(runs.body).slice(0, 1500)}`)),
          );
        }, 60_000);
      }),
    ]);
    clearTimeout(timer);
    const drainedSeconds = (performance.now() - started) / 1000;
    const ages = await receiver.latency();
    const deliveredPerSecond = Math.round(moves.accepted / drainedSeconds);
    const withDelivery = { ...moves, deliveredPerSecond, deliveryP50Ms: ages.p50, deliveryP99Ms: ages.p99, deliveryMaxMs: ages.max };
    return {
      database,
      rawHttpPerSecond: raw.perSecond,
      getFloor,
      aliasMoves,
      withDelivery,
      ratioToGetFloor: round(Math.min(withDelivery.perSecond, deliveredPerSecond) / getFloor.perSecond),
      loadAverage,
    };
  } finally {
    await pool.close();
    if (child) await stopServerProcess(child);
    await deployed.cleanup();
  }
}

function printTable(results: UserBenchResult[]): void {
  const rows: Record<string, Record<string, string>> = {};
  const row = (name: string, f: (r: UserBenchResult) => string) => {
    rows[name] = Object.fromEntries(results.map((r) => [r.database === 'postgres' ? 'PostgreSQL (TCP)' : 'SQLite', f(r)]));
  };
  row('raw HTTP client → receiver', (r) => `${r.rawHttpPerSecond}/s`);
  row('GET a registered model (floor)', (r) => `${r.getFloor.perSecond}/s (p99 ${r.getFloor.p99Ms} ms, ${r.getFloor.serverCpuMs} ms CPU)`);
  row('alias moves, no automation', (r) => `${r.aliasMoves.perSecond}/s (p99 ${r.aliasMoves.p99Ms} ms, ${r.aliasMoves.serverCpuMs} ms CPU)`);
  row('alias moves, each delivering one webhook', (r) => `${Math.min(r.withDelivery.perSecond, r.withDelivery.deliveredPerSecond)}/s (${r.withDelivery.serverCpuMs} ms CPU)`);
  row('  ratio to the GET floor', (r) => `${r.ratioToGetFloor} (target ≥ ${r.database === 'sqlite' ? TARGET.sqliteRatio : TARGET.postgresRatio})`);
  row('  commit → delivery received, p50 / p99', (r) => `${r.withDelivery.deliveryP50Ms} / ${r.withDelivery.deliveryP99Ms} ms${r.database === 'sqlite' ? ` (target p99 ≤ ${TARGET.sqliteP99Ms})` : ''}`);
  row('errors', (r) => String(r.getFloor.errors + r.aliasMoves.errors + r.withDelivery.errors));
  row('load average at start', (r) => String(r.loadAverage));
  console.table(rows);
}

export async function runUserBench(): Promise<UserBenchResult[]> {
  progress('building the server (tsc)');
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  const chosen = (process.env.USER_BENCH_DATABASES ?? 'sqlite,postgres').split(',').map((d) => d.trim());
  const receiver = await startReceiverProcess();
  const results: UserBenchResult[] = [];
  try {
    for (const database of (['sqlite', 'postgres'] as const).filter((d) => chosen.includes(d))) results.push(await benchOne(database, receiver));
  } finally {
    await receiver.stop();
  }
  const report = { benchmark: 'user-level', target: TARGET, inFlight: IN_FLIGHT, seconds: SECONDS, machine: { cpus: os.cpus().length, node: process.version }, results };
  fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'bench/results/user.json'), `${JSON.stringify(report, null, 2)}\n`);
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runUserBench().then(
    (results) => {
      printTable(results);
      console.log('written to bench/results/user.json');
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
