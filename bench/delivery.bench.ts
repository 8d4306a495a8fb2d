// Delivery benchmark (issue #3), one run on this machine:
//   (a) raw baseline: the worker's own WebhookClient POSTing prebuilt bodies to a receiver in a child process,
//       64 in flight, measured right before and right after each database's delivery run (b divides by the mean);
//   (b) Modelyard end to end on SQLite and on PostgreSQL: events recorded (each dispatching a run in its
//       transaction; events/s committed) → claimed → secrets resolved, body filled, signed → delivered to the same
//       receiver process and recorded (deliveries/s, and the ratio b/a); event-to-received latency p50/p99 at a
//       steady 1,000 events/s with the worker running; fan-out of one event to 1,000 automations (commit time);
//   (d) ordered delivery: the same alias events over 32 subjects (models) delivered with `delivery.order` none and
//       `per_subject` (one run per subject in flight at a time, handed on as each is recorded), deliveries/s of each;
//   (c) a backlog of pending runs (1,000,000 by default) drained by a `serve --role worker` process on SQLite while
//       its RSS is sampled. The process is the one operators run: the compiled build (`node dist/src/cli/main.js`,
//       built here first with tsc), not the TypeScript sources through tsx, whose loader alone holds ~65 MB more
//       (measured idle: 179 MB under tsx, 115 MB compiled).
//
//   npx tsx bench/delivery.bench.ts
//   BENCH_DELIVERY_BACKLOG=100000 BENCH_DELIVERY_EVENTS=40000 BENCH_DELIVERY_LATENCY_SECONDS=10 npx tsx bench/delivery.bench.ts
//   BENCH_DELIVERY_ORDERED_EVENTS=2000 BENCH_DELIVERY_BACKLOG=0 … sizes phase (d) (0 skips it).
//   BENCH_DELIVERY_PROFILE=/tmp/prof writes a CPU profile of each delivery run (phase b's deliveries/s only) there.
//   BENCH_DELIVERY_DATABASES=sqlite (skip PostgreSQL), BENCH_DATABASE_URL=postgres://… (default: the test database,
//   over the local Unix socket when there is one — see bench/postgres-url.ts)
//
// Latency is measured from the moment the event's transaction was seen committed by its caller to the end of the
// attempt (started_at + duration, i.e. when the receiver's answer was back at the worker), at an open-loop rate.
import fs from 'node:fs';
import inspector from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { loadConfig, type Config } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { bootstrapFirstAdmin, startServer, type RunningServer } from '../src/server.js';
import { inTransaction } from '../src/db/transaction.js';
import { recordEvent } from '../src/automations/events.js';
import { newId } from '../src/core/ids.js';
import { DeliveryWorker } from '../src/delivery/worker.js';
import { connectionKind, defaultPostgresUrl } from './postgres-url.js';
import { runHttpBaseline, sampleBody, startReceiverProcess, type BaselineResult, type ReceiverProcess } from './http-baseline.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS_FILE = path.join(ROOT, 'bench', 'results', 'delivery.json');
/** The compiled CLI, as `npm start` and deployments run it (see (c) above). */
const WORKER_ENTRY = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');

const settings = {
  events: intFromEnv('BENCH_DELIVERY_EVENTS', 40_000),
  latencySeconds: intFromEnv('BENCH_DELIVERY_LATENCY_SECONDS', 10),
  eventsPerSecond: intFromEnv('BENCH_DELIVERY_RATE', 1000),
  fanOut: intFromEnv('BENCH_DELIVERY_FANOUT', 1000),
  backlog: intFromEnv('BENCH_DELIVERY_BACKLOG', 1_000_000),
  orderedEvents: intFromEnv('BENCH_DELIVERY_ORDERED_EVENTS', 10_000),
  orderedSubjects: intFromEnv('BENCH_DELIVERY_ORDERED_SUBJECTS', 32),
  baselineMs: intFromEnv('BENCH_DELIVERY_BASELINE_MS', 5000),
  databases: (process.env.BENCH_DELIVERY_DATABASES ?? 'sqlite,postgres').split(',').map((d) => d.trim()) as Array<'sqlite' | 'postgres'>,
  databaseUrl: process.env.BENCH_DATABASE_URL ?? defaultPostgresUrl(),
};

const TARGETS = { ratioSqlite: 0.5, p99Ms: 25, fanOutMs: 50, maxRssMb: 300 };
const SIGNING_SECRET = 'bench-signing-secret-0123456789';
const PAYLOAD_TEMPLATE =
  '{"event_type": "${event_type}", "version": "${artifact_version_string}", "model": "${artifact_collection_name}", "author": "${event_author}", "at": "${timestamp}", "id": "${event_id}"}';

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a whole number`);
  return value;
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}

const progress = (message: string) => process.stderr.write(`[delivery bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForReceived(receiver: ReceiverProcess, count: number, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void receiver.received().then((got) => reject(new Error(`receiver got ${got} of ${count} deliveries in ${timeoutMs} ms`)));
    }, timeoutMs);
  });
  try {
    await Promise.race([receiver.reached(count), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function benchEnv(database: 'sqlite' | 'postgres', dataDir: string): Record<string, string> {
  return {
    MODELYARD_DATA_DIR: dataDir,
    MODELYARD_PORT: '0',
    MODELYARD_HOST: '127.0.0.1',
    MODELYARD_LOG_LEVEL: 'silent',
    MODELYARD_WEBHOOK_ALLOW: '127.0.0.0/8',
    ...(database === 'postgres'
      ? { DATABASE_URL: settings.databaseUrl, MODELYARD_DATABASE_SCHEMA: `bench_${process.pid}_${Date.now().toString(36)}` }
      : {}),
  };
}

async function dropBenchData(config: Config): Promise<void> {
  fs.rmSync(config.dataDir, { recursive: true, force: true });
  if (config.databaseUrl && config.databaseSchema) {
    const client = new pg.Client({ connectionString: config.databaseUrl });
    await client.connect();
    await client.query(`drop schema if exists "${config.databaseSchema}" cascade`);
    await client.end();
  }
}

/** A Modelyard server with one team, a signing secret and a signed webhook to the receiver, set up over its API. */
async function startModelyard(database: 'sqlite' | 'postgres', receiverUrl: string, role: 'all' | 'api' = 'all') {
  const env = benchEnv(database, fs.mkdtempSync(path.join(os.tmpdir(), 'modelyard-bench-')));
  const config = loadConfig(env);
  const server: RunningServer = await startServer(config, createLogger('silent'), { role, ui: false });
  const admin = await bootstrapFirstAdmin(server.ctx);
  const base = server.url!;
  const api = async (method: string, urlPath: string, body?: unknown) => {
    const response = await fetch(base + urlPath, {
      method,
      headers: { authorization: `Bearer ${admin!.apiKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const parsed = (await response.json()) as Record<string, unknown>;
    if (response.status >= 300) throw new Error(`${method} ${urlPath}: ${response.status} ${JSON.stringify(parsed)}`);
    return parsed;
  };
  const team = (await api('POST', '/api/v1/teams', { name: 'bench' })) as { id: string };
  await api('POST', '/api/v1/teams/bench/secrets', { name: 'SIGNING_KEY', value: SIGNING_SECRET });
  const webhook = (await api('POST', '/api/v1/teams/bench/webhooks', { name: 'receiver', url: receiverUrl, secret: 'SIGNING_KEY', accessToken: null })) as {
    id: string;
  };
  const automation = async (name: string, type: 'LINK_ARTIFACT' | 'ADD_ARTIFACT_ALIAS', extra: Record<string, unknown> = {}) =>
    (await api('POST', '/api/v1/teams/bench/automations', {
      name,
      description: '',
      enabled: true,
      event: { type, model: null },
      action: { type: 'webhook', webhookId: webhook.id, payload: PAYLOAD_TEMPLATE },
      ...extra,
    })) as { id: string };
  return { server, config, api, teamId: team.id, webhookId: webhook.id, automation };
}

/** Version indexes of the steady-rate events start here, apart from the throughput run's. */
const STEADY_INDEX_BASE = 10_000_000;

function linkEvent(teamId: string, index: number) {
  return { teamId, type: 'LINK_ARTIFACT' as const, project: 'model-registry', collection: 'classifier', versionIndex: index, author: 'bench', metadata: { accuracy: 0.9 } };
}

interface EndToEndResult {
  database: string;
  eventsCommittedPerSecond: number;
  deliveries: number;
  deliveriesPerSecond: number;
  /** CPU time of this process (sender, worker, SQLite) per delivery: less noisy than deliveries/s on a shared machine. */
  cpuUsPerDelivery: number;
  /** (a) around this run: the mean of before and after is what the ratio divides by. */
  baseline: { perSecond: number; before: BaselineResult; after: BaselineResult };
  ratioToBaseline: number;
  latency: { events: number; offeredPerSecond: number; p50Ms: number; p99Ms: number; maxMs: number };
  fanOut: { automations: number; commitMsMedian: number; commitMsMax: number; samples: number };
}

/** A CPU profile of this process from now until stop(), when BENCH_DELIVERY_PROFILE names a directory. */
async function startProfile(): Promise<{ stop(name: string): Promise<void> } | undefined> {
  const dir = process.env.BENCH_DELIVERY_PROFILE;
  if (!dir) return undefined;
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(name) {
      const { profile } = await session.post('Profiler.stop');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/** The raw baseline, measured again right before and right after each database's delivery run (see endToEnd). */
function measureBaseline(receiver: ReceiverProcess): Promise<BaselineResult> {
  return runHttpBaseline({ url: receiver.url, concurrency: 64, durationMs: settings.baselineMs, body: sampleBody(300) });
}

async function endToEnd(database: 'sqlite' | 'postgres', receiver: ReceiverProcess): Promise<EndToEndResult> {
  // The API role only: the bench starts the delivery worker itself, after the first batch of events is committed.
  const bench = await startModelyard(database, receiver.url, 'api');
  const { server, teamId } = bench;
  let worker: DeliveryWorker | undefined;
  try {
    await bench.automation('deploy', 'LINK_ARTIFACT');
    progress(`${database}: throughput, ${settings.events} events`);

    // Events recorded as fast as the database takes them, 100 per transaction (each dispatching its run)...
    const producedAt = performance.now();
    for (let i = 0; i < settings.events; i += 100) {
      await inTransaction(server.ctx, async (tx, after) => {
        for (let j = i; j < Math.min(i + 100, settings.events); j++) await recordEvent(tx, after, linkEvent(teamId, j), server.ctx.config);
      });
    }
    const eventsPerSecond = Math.round((settings.events / (performance.now() - producedAt)) * 1000);
    // ...then delivered by the worker: claimed, secrets resolved, signed, sent, recorded. This is the figure compared
    // with the raw client, which does only the sending.
    // The ratio divides by the baseline measured just before and just after this run: on a shared machine the
    // sending speed drifts by ±15 % over minutes, and (a) and (b) must see the same machine.
    progress(`${database}: raw baseline before`);
    const baselineBefore = await measureBaseline(receiver);
    const receivedBefore = await receiver.received();
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const profile = await startProfile();
    worker = new DeliveryWorker(server.ctx).start();
    await waitForReceived(receiver, receivedBefore + settings.events, 600_000);
    const elapsed = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    await profile?.stop(`delivery-${database}`);
    const cpuUsPerDelivery = round((cpu.user + cpu.system) / settings.events, 1);
    await worker.stop();
    worker = undefined;
    progress(`${database}: raw baseline after`);
    const baselineAfter = await measureBaseline(receiver);
    const baselinePerSecond = Math.round((baselineBefore.perSecond + baselineAfter.perSecond) / 2);
    worker = new DeliveryWorker(server.ctx).start();
    const deliveriesPerSecond = Math.round((settings.events / elapsed) * 1000);

    progress(`${database}: ${deliveriesPerSecond} deliveries/s; latency at ${settings.eventsPerSecond} events/s for ${settings.latencySeconds} s`);
    // Latency at a steady rate: every 10 ms, 10 events, each in its own transaction as the API would commit them.
    // Open loop: a tick fires on time whether or not earlier events have committed (as independent API clients
    // would), so the offered rate is the rate asked for; a system that cannot keep up shows it as growing latency.
    const steadyStart = Date.now();
    const total = settings.eventsPerSecond * settings.latencySeconds;
    const tickMs = 10;
    const perTick = Math.max(1, Math.round((settings.eventsPerSecond * tickMs) / 1000));
    const clock = performance.now();
    let fired = 0;
    const beforeSteady = await receiver.received();
    // version index → wall-clock time its event's transaction was seen committed
    const committedAt = new Map<number, number>();
    const pending: Array<Promise<unknown>> = [];
    for (let tick = 0; fired < total; tick++) {
      const due = clock + tick * tickMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      for (let k = 0; k < perTick && fired < total; k++, fired++) {
        const index = STEADY_INDEX_BASE + fired;
        pending.push(
          inTransaction(server.ctx, (tx, after) => recordEvent(tx, after, linkEvent(teamId, index), server.ctx.config)).then(() => {
            committedAt.set(index, Date.now());
          }),
        );
      }
    }
    const offeredPerSecond = Math.round((fired / (performance.now() - clock)) * 1000);
    await Promise.all(pending);
    await waitForReceived(receiver, beforeSteady + total, 120_000);
    await sleep(200);
    const rows = await server.ctx.db
      .selectFrom('delivery_attempts')
      .innerJoin('action_runs', 'action_runs.id', 'delivery_attempts.run_id')
      .innerJoin('events', 'events.id', 'action_runs.event_id')
      .select(['events.version_index as index', 'delivery_attempts.started_at as startedAt', 'delivery_attempts.duration_ms as durationMs'])
      .where('events.created_at', '>=', steadyStart)
      .where('events.version_index', '>=', STEADY_INDEX_BASE)
      .where('delivery_attempts.number', '=', 1)
      .execute();
    // Commit (as the committing caller saw it) to received (the receiver's answer back at the worker).
    const latencies = rows.map((r) => r.startedAt + r.durationMs - committedAt.get(r.index!)!).sort((a, b) => a - b);

    progress(`${database}: fan-out to ${settings.fanOut} automations`);
    // Fan-out: one event matching 1,000 automations; the time to commit the event with its 1,000 runs.
    for (let i = 0; i < settings.fanOut; i++) await bench.automation(`fan-${i}`, 'ADD_ARTIFACT_ALIAS');
    const commitTimes: number[] = [];
    const beforeFanOut = await receiver.received();
    const samples = 5;
    for (let s = 0; s < samples; s++) {
      const at = performance.now();
      await inTransaction(server.ctx, (tx, after) =>
        recordEvent(tx, after, { ...linkEvent(teamId, s), type: 'ADD_ARTIFACT_ALIAS', alias: `stage-${s}` }, server.ctx.config),
      );
      commitTimes.push(performance.now() - at);
      await waitForReceived(receiver, beforeFanOut + (s + 1) * settings.fanOut, 120_000);
    }
    commitTimes.sort((a, b) => a - b);

    return {
      database,
      eventsCommittedPerSecond: eventsPerSecond,
      deliveries: settings.events,
      deliveriesPerSecond,
      cpuUsPerDelivery,
      baseline: { perSecond: baselinePerSecond, before: baselineBefore, after: baselineAfter },
      ratioToBaseline: round(deliveriesPerSecond / baselinePerSecond, 2),
      latency: {
        events: latencies.length,
        offeredPerSecond,
        p50Ms: round(percentile(latencies, 0.5)),
        p99Ms: round(percentile(latencies, 0.99)),
        maxMs: round(latencies[latencies.length - 1] ?? 0),
      },
      fanOut: {
        automations: settings.fanOut,
        commitMsMedian: round(percentile(commitTimes, 0.5)),
        commitMsMax: round(commitTimes[commitTimes.length - 1] ?? 0),
        samples,
      },
    };
  } finally {
    await worker?.stop();
    await server.stop();
    await dropBenchData(bench.config);
  }
}

interface OrderingResult {
  database: string;
  events: number;
  subjects: number;
  /** Deliveries/s with `delivery.order` none (every run due at once) and per_subject (one per subject at a time). */
  unorderedPerSecond: number;
  perSubjectPerSecond: number;
  ratio: number;
}

/**
 * (d) The same alias events over `orderedSubjects` models, delivered once by an automation without ordering and once
 * by one with `order: per_subject`: the events are committed first, then one worker delivers them.
 */
export async function orderedThroughput(database: 'sqlite' | 'postgres', receiver: ReceiverProcess): Promise<OrderingResult> {
  const bench = await startModelyard(database, receiver.url, 'api');
  const { server, teamId } = bench;
  const models = Array.from({ length: settings.orderedSubjects }, () => newId());
  try {
    const perSecond: Record<string, number> = {};
    for (const order of ['none', 'per_subject'] as const) {
      const { id } = await bench.automation(`order-${order}`, 'ADD_ARTIFACT_ALIAS', { delivery: { order, supersede: false } });
      progress(`${database}: ${settings.orderedEvents} alias events over ${models.length} subjects, order ${order}`);
      for (let i = 0; i < settings.orderedEvents; i += 100) {
        await inTransaction(server.ctx, async (tx, after) => {
          for (let j = i; j < Math.min(i + 100, settings.orderedEvents); j++) {
            const modelId = models[j % models.length]!;
            await recordEvent(tx, after, { ...linkEvent(teamId, j), type: 'ADD_ARTIFACT_ALIAS', alias: 'production', collection: `m-${modelId}`, modelId }, server.ctx.config);
          }
        });
      }
      const receivedBefore = await receiver.received();
      const started = performance.now();
      const worker = new DeliveryWorker(server.ctx).start();
      try {
        await waitForReceived(receiver, receivedBefore + settings.orderedEvents, 600_000);
        perSecond[order] = Math.round((settings.orderedEvents / (performance.now() - started)) * 1000);
      } finally {
        await worker.stop();
      }
      await bench.api('PATCH', `/api/v1/teams/bench/automations/${id}`, { enabled: false });
    }
    return {
      database,
      events: settings.orderedEvents,
      subjects: models.length,
      unorderedPerSecond: perSecond.none!,
      perSubjectPerSecond: perSecond.per_subject!,
      ratio: round(perSecond.per_subject! / perSecond.none!, 2),
    };
  } finally {
    await server.stop();
    await dropBenchData(bench.config);
  }
}

interface BacklogResult {
  runs: number;
  drainSeconds: number;
  runsPerSecond: number;
  maxRssMb: number;
  rssSamples: number;
  /** How the worker process was started. */
  command: string;
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** Inserts `count` pending webhook runs straight into the SQLite file (as dispatch would have, minus the events). */
function insertBacklog(file: string, count: number, run: { teamId: string; webhookId: string; url: string }): void {
  const database = new SQLite(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  const insert = database.prepare(
    `insert into action_runs (id, team_id, automation_id, automation_name, event_id, event_type, action_type, state,
       webhook_id, webhook_name, url, secret_name, access_token_name, body, attempts, next_attempt_at,
       suppress_failure_event, manual_redelivery, created_at)
     values (?, ?, 'backlog', 'backlog', ?, 'LINK_ARTIFACT', 'webhook', 'pending', ?, 'receiver', ?, 'SIGNING_KEY', null, ?, 0, ?, 0, 0, ?)`,
  );
  const now = Date.now();
  const batch = database.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const id = newId();
      insert.run(id, run.teamId, newId(), run.webhookId, run.url, `{"event_type": "LINK_ARTIFACT", "index": ${i}, "padding": "${'x'.repeat(150)}"}`, now, now);
    }
  });
  for (let i = 0; i < count; i += 20_000) batch(i, Math.min(count, i + 20_000));
  database.close();
}

async function backlogDrain(receiver: ReceiverProcess): Promise<BacklogResult> {
  const bench = await startModelyard('sqlite', receiver.url, 'api');
  const { config } = bench;
  await bench.server.stop();
  try {
    progress(`backlog: inserting ${settings.backlog} runs`);
    insertBacklog(path.join(config.dataDir, 'modelyard.db'), settings.backlog, { teamId: bench.teamId, webhookId: bench.webhookId, url: receiver.url });
    progress('backlog: building the server (tsc)');
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
    progress('backlog: draining with a worker process');
    const before = await receiver.received();
    const worker = spawn(process.execPath, [WORKER_ENTRY, 'serve', '--role', 'worker'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...benchEnv('sqlite', config.dataDir), MODELYARD_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const started = performance.now();
    let maxRss = 0;
    let samples = 0;
    try {
      for (;;) {
        maxRss = Math.max(maxRss, rssMb(worker.pid!));
        samples++;
        if ((await receiver.received()) - before >= settings.backlog) break;
        if (worker.exitCode !== null) throw new Error(`the worker exited with ${worker.exitCode}`);
        await sleep(250);
      }
    } finally {
      worker.kill('SIGTERM');
      await new Promise((resolve) => (worker.exitCode !== null ? resolve(undefined) : worker.once('exit', resolve)));
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      runs: settings.backlog,
      drainSeconds: round(seconds),
      runsPerSecond: Math.round(settings.backlog / seconds),
      maxRssMb: round(maxRss),
      rssSamples: samples,
      command: `node ${path.relative(ROOT, WORKER_ENTRY)} serve --role worker`,
    };
  } finally {
    await dropBenchData(config);
  }
}

export async function runDeliveryBench(): Promise<object> {
  const receiver = await startReceiverProcess();
  try {
    const endToEndResults: EndToEndResult[] = [];
    for (const database of settings.databases) endToEndResults.push(await endToEnd(database, receiver));
    const ordering: OrderingResult[] = [];
    if (settings.orderedEvents > 0) for (const database of settings.databases) ordering.push(await orderedThroughput(database, receiver));
    const backlog = settings.backlog > 0 ? await backlogDrain(receiver) : null;
    const sqlite = endToEndResults.find((r) => r.database === 'sqlite');
    const results = {
      machine: { cpus: os.cpus().length, node: process.version, date: new Date().toISOString() },
      settings: { ...settings, databaseUrl: undefined, postgresConnection: connectionKind(settings.databaseUrl) },
      targets: TARGETS,
      baselineConcurrency: 64,
      endToEnd: endToEndResults,
      ordering,
      backlog,
      verdict: {
        ratioSqlite: sqlite ? sqlite.ratioToBaseline >= TARGETS.ratioSqlite : null,
        p99: endToEndResults.every((r) => r.latency.p99Ms <= TARGETS.p99Ms),
        fanOut: endToEndResults.every((r) => r.fanOut.commitMsMedian <= TARGETS.fanOutMs),
        memory: backlog ? backlog.maxRssMb <= TARGETS.maxRssMb : null,
      },
    };
    fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
    fs.writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
    return results;
  } finally {
    await receiver.stop();
  }
}

function printTable(results: Awaited<ReturnType<typeof runDeliveryBench>>): void {
  const r = results as {
    endToEnd: EndToEndResult[];
    ordering: OrderingResult[];
    backlog: BacklogResult | null;
  };
  const lines = [
    ['measure', 'value', 'target'],
  ];
  for (const e of r.endToEnd) {
    const { before, after } = e.baseline;
    lines.push([
      `(a) raw WebhookClient baseline, around ${e.database}`,
      `${e.baseline.perSecond} req/s (before ${before.perSecond}, after ${after.perSecond}; p99 ${before.p99Ms}/${after.p99Ms} ms; ${before.cpuUsPerRequest} µs CPU each)`,
      '',
    ]);
    lines.push([`(b) ${e.database}: events committed (with their runs)`, `${e.eventsCommittedPerSecond} /s`, '']);
    lines.push([`(b) ${e.database}: runs delivered (signed, recorded)`, `${e.deliveriesPerSecond} /s, ratio ${e.ratioToBaseline} (${e.cpuUsPerDelivery} µs CPU each)`, e.database === 'sqlite' ? `ratio >= ${TARGETS.ratioSqlite}` : '']);
    lines.push([`    ${e.database}: latency at ${e.latency.offeredPerSecond} events/s`, `p50 ${e.latency.p50Ms} ms, p99 ${e.latency.p99Ms} ms, max ${e.latency.maxMs} ms`, `p99 <= ${TARGETS.p99Ms} ms`]);
    lines.push([`    ${e.database}: fan-out to ${e.fanOut.automations} automations`, `commit ${e.fanOut.commitMsMedian} ms (max ${e.fanOut.commitMsMax})`, `<= ${TARGETS.fanOutMs} ms`]);
  }
  for (const o of r.ordering) {
    lines.push([
      `(d) ${o.database}: ${o.events} alias events over ${o.subjects} subjects`,
      `order none ${o.unorderedPerSecond} /s, per_subject ${o.perSubjectPerSecond} /s (ratio ${o.ratio})`,
      '',
    ]);
  }
  if (r.backlog) {
    lines.push([`(c) sqlite: backlog of ${r.backlog.runs} runs`, `${r.backlog.runsPerSecond} runs/s, ${r.backlog.drainSeconds} s, max RSS ${r.backlog.maxRssMb} MB`, `RSS <= ${TARGETS.maxRssMb} MB`]);
  }
  const widths = [0, 1, 2].map((c) => Math.max(...lines.map((l) => l[c]!.length)));
  for (const line of lines) console.log(line.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
  console.log(`\nwritten to ${path.relative(process.cwd(), RESULTS_FILE)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runDeliveryBench().then(printTable, (error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
