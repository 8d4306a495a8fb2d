// Registry benchmark: link requests per second and p50/p99 latency over HTTP, on SQLite and then PostgreSQL.
//
// The server runs in its own process (`modelyard serve`, log level silent) so the load generator does not share its
// event loop. Setup logs ARTIFACT_VERSIONS small artifact versions and creates MODELS registered models; every link
// then links a distinct (model, artifact version) pair — a real new version with its LINK_ARTIFACT event, never
// the cheaper "already linked" path. Pairs are spread across models so concurrent links mostly hit different
// models, as many users of one registry would. IN_FLIGHT requests are kept in flight over keep-alive connections
// (undici Pool) for DURATION_MS after a warm-up.
//
//   npx tsx bench/registry.bench.ts          (PostgreSQL at DATABASE_URL, or the local test database — bench/postgres-url.ts)
//   REGISTRY_BENCH_DATABASES=sqlite npx tsx bench/registry.bench.ts     (one database only)
//   REGISTRY_BENCH_SERVER_FLAGS=--cpu-prof npx tsx bench/registry.bench.ts   (extra node flags for the server)
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { connectionKind, defaultPostgresUrl } from './postgres-url.js';
import { deployment, freePort, prepareAdminKey, processCpuMs, startServerProcess, stopServerProcess } from './server-process.js';

const IN_FLIGHT = 32;
const DURATION_MS = 10_000;
const WARMUP_LINKS = 1_000;
const MODELS = 600;
const ARTIFACT_VERSIONS = 80;
const TARGET = { linksPerSecond: 3_000, p99Ms: 20 };

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface RegistryBenchResult {
  database: 'sqlite' | 'postgres';
  links: number;
  errors: number;
  seconds: number;
  linksPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  inFlight: number;
  /** 1-minute load average when the run started: other work on the machine skews the figures. */
  loadAverage: number;
  /**
   * CPU time the server process spent per link during the measured run (Linux /proc; null elsewhere). Unlike
   * links/s it hardly depends on what else the machine is doing: 1000 / this ≈ links/s one free core sustains.
   */
  serverCpuMsPerLink: number | null;
}

async function call(pool: Pool, key: string, method: 'GET' | 'POST', urlPath: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await pool.request({
    method,
    path: urlPath,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.body.text();
  return { status: response.statusCode, body: text ? JSON.parse(text) : undefined };
}

async function expectStatus(reply: Promise<{ status: number; body: any }>, status: number, what: string): Promise<void> {
  const { status: got, body } = await reply;
  if (got !== status) throw new Error(`${what}: HTTP ${got} ${JSON.stringify(body)}`);
}

async function setUp(url: string, pool: Pool, key: string): Promise<void> {
  const team = '/api/v1/teams/bench';
  await expectStatus(call(pool, key, 'POST', '/api/v1/teams', { name: 'bench' }), 201, 'team');
  await expectStatus(call(pool, key, 'POST', `${team}/projects`, { name: 'training' }), 201, 'project');
  for (let i = 0; i < ARTIFACT_VERSIONS; i++) {
    const form = new FormData();
    form.append('type', 'model');
    form.append('metadata', JSON.stringify({ epoch: i, accuracy: 0.9 + i / 1000 }));
    form.append('file', new Blob([`weights ${i}`]), 'model.bin');
    const response = await fetch(`${url}${team}/projects/training/artifacts/resnet/versions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body: form,
    });
    if (response.status !== 201) throw new Error(`log version ${i}: HTTP ${response.status} ${await response.text()}`);
  }
  const models = Array.from({ length: MODELS }, (_, i) => `model-${i}`);
  for (let i = 0; i < models.length; i += IN_FLIGHT) {
    await Promise.all(
      models.slice(i, i + IN_FLIGHT).map((name) => expectStatus(call(pool, key, 'POST', `${team}/registry/models`, { name }), 201, `model ${name}`)),
    );
  }
}

/** Pair n → model n mod MODELS, source n div MODELS: neighbours in the sequence hit different models. */
function linkRequest(n: number): { path: string; body: string } {
  const model = n % MODELS;
  const version = Math.floor(n / MODELS);
  return {
    path: `/api/v1/teams/bench/registry/models/model-${model}/versions`,
    body: JSON.stringify({ source: `training/resnet:v${version}` }),
  };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function driveLinks(
  pool: Pool,
  key: string,
  serverPid: number | undefined,
): Promise<Omit<RegistryBenchResult, 'database' | 'loadAverage'>> {
  const capacity = MODELS * ARTIFACT_VERSIONS;
  let next = 0;
  let errors = 0;
  const latencies: number[] = [];
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

  const linkOnce = async (record: boolean): Promise<void> => {
    const { path: urlPath, body } = linkRequest(next++);
    const started = process.hrtime.bigint();
    const response = await pool.request({ method: 'POST', path: urlPath, headers, body });
    await response.body.dump();
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (response.statusCode !== 201) errors++;
    else if (record) latencies.push(elapsedMs);
  };

  const run = async (until: () => boolean, record: boolean) => {
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (!until() && next < capacity) await linkOnce(record);
      }),
    );
  };

  const warmupEnd = WARMUP_LINKS;
  await run(() => next >= warmupEnd, false);
  errors = 0;
  const cpuBefore = processCpuMs(serverPid);
  const started = performance.now();
  const deadline = started + DURATION_MS;
  await run(() => performance.now() >= deadline, true);
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = processCpuMs(serverPid);
  latencies.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    links: latencies.length,
    errors,
    seconds: round(seconds),
    linksPerSecond: Math.round(latencies.length / seconds),
    p50Ms: round(percentile(latencies, 50)),
    p90Ms: round(percentile(latencies, 90)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(latencies.at(-1) ?? 0),
    inFlight: IN_FLIGHT,
    serverCpuMsPerLink:
      cpuBefore === null || cpuAfter === null || latencies.length === 0 ? null : round((cpuAfter - cpuBefore) / latencies.length),
  };
}

async function benchOne(database: 'sqlite' | 'postgres'): Promise<RegistryBenchResult> {
  const port = await freePort();
  const deployed = await deployment(database, port);
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const pool = new Pool(url, { connections: IN_FLIGHT, pipelining: 1 });
  try {
    const key = await prepareAdminKey(deployed.config);
    child = await startServerProcess(deployed.env, url);
    await setUp(url, pool, key);
    const loadAverage = Math.round(os.loadavg()[0]! * 100) / 100;
    return { database, ...(await driveLinks(pool, key, child.pid)), loadAverage };
  } finally {
    await pool.close();
    if (child) await stopServerProcess(child);
    await deployed.cleanup();
  }
}

/** Both by default; REGISTRY_BENCH_DATABASES=sqlite (or postgres) runs one, e.g. while profiling. */
function databases(): Array<'sqlite' | 'postgres'> {
  const chosen = (process.env.REGISTRY_BENCH_DATABASES ?? 'sqlite,postgres').split(',').map((d) => d.trim());
  return (['sqlite', 'postgres'] as const).filter((d) => chosen.includes(d));
}

export async function runRegistryBench(): Promise<{
  benchmark: 'registry-links';
  target: typeof TARGET;
  machine: { cpus: number; node: string };
  postgresConnection: 'unix socket' | 'tcp';
  results: RegistryBenchResult[];
}> {
  const results: RegistryBenchResult[] = [];
  for (const database of databases()) results.push(await benchOne(database));
  const report = {
    benchmark: 'registry-links' as const,
    target: TARGET,
    machine: { cpus: os.cpus().length, node: process.version },
    postgresConnection: connectionKind(process.env.DATABASE_URL || defaultPostgresUrl()),
    results,
  };
  fs.mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  fs.writeFileSync(path.join(root, 'bench/results/registry.json'), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

function printTable(results: RegistryBenchResult[]): void {
  console.table(
    results.map((r) => ({
      database: r.database,
      'links/s': r.linksPerSecond,
      'p50 ms': r.p50Ms,
      'p90 ms': r.p90Ms,
      'p99 ms': r.p99Ms,
      'max ms': r.maxMs,
      links: r.links,
      errors: r.errors,
      'in flight': r.inFlight,
      'load avg': r.loadAverage,
      'server CPU ms/link': r.serverCpuMsPerLink,
    })),
  );
  const sqlite = results.find((r) => r.database === 'sqlite');
  if (sqlite) {
    const met = sqlite.linksPerSecond >= TARGET.linksPerSecond && sqlite.p99Ms < TARGET.p99Ms;
    console.log(
      `SQLite target (≥${TARGET.linksPerSecond} links/s, p99 < ${TARGET.p99Ms} ms): ${met ? 'met' : 'NOT met'}; results in bench/results/registry.json`,
    );
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runRegistryBench().then(
    (report) => printTable(report.results),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
