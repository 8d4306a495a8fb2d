// What the benchmarks that run Modelyard as users do share: a deployment on a fresh database (a temp SQLite data
// dir, or a PostgreSQL schema of its own), the first admin's key, the server in its own process, and that process's
// CPU time.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig, type Config } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { bootstrapFirstAdmin, openContext } from '../src/server.js';
import { defaultPostgresUrl } from './postgres-url.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export interface Deployment {
  env: Record<string, string>;
  config: Config;
  cleanup(): Promise<void>;
}

export async function deployment(database: 'sqlite' | 'postgres', port: number, options: { databaseUrl?: string; env?: Record<string, string> } = {}): Promise<Deployment> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelyard-bench-'));
  const env: Record<string, string> = {
    MODELYARD_DATA_DIR: dataDir,
    MODELYARD_PORT: String(port),
    MODELYARD_HOST: '127.0.0.1',
    MODELYARD_LOG_LEVEL: 'silent',
    ...options.env,
  };
  const databaseUrl = options.databaseUrl ?? (process.env.DATABASE_URL || defaultPostgresUrl());
  if (database === 'postgres') {
    env.DATABASE_URL = databaseUrl;
    env.MODELYARD_DATABASE_SCHEMA = `bench_${process.pid}_${Date.now().toString(36)}`;
  }
  const config = loadConfig(env);
  return {
    env,
    config,
    async cleanup() {
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (database === 'postgres') {
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        try {
          await client.query(`drop schema if exists "${env.MODELYARD_DATABASE_SCHEMA}" cascade`);
        } finally {
          await client.end();
        }
      }
    },
  };
}

/** Creates the database and the first admin in this process, so the server starts on a database with a known key. */
export async function prepareAdminKey(config: Config): Promise<string> {
  const ctx = await openContext(config, createLogger('silent'));
  try {
    const admin = await bootstrapFirstAdmin(ctx);
    if (!admin) throw new Error('expected an empty database');
    return admin.apiKey;
  } finally {
    await ctx.close();
  }
}

/**
 * `modelyard serve` in its own process, from the TypeScript sources through tsx (`--role api` unless `args` says
 * otherwise), or `compiled`: the build operators run (`node dist/src/cli/main.js`, built by the caller).
 */
export async function startServerProcess(
  env: Record<string, string>,
  url: string,
  options: { args?: string[]; compiled?: boolean; flags?: string[] } = {},
): Promise<ChildProcess> {
  const flags = options.flags ?? (process.env.REGISTRY_BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean);
  const entry = options.compiled ? [path.join(root, 'dist/src/cli/main.js')] : ['--import', 'tsx', path.join(root, 'src/cli/main.ts')];
  const child = spawn(process.execPath, [...flags, ...entry, 'serve', ...(options.args ?? ['--role', 'api'])], {
    cwd: root,
    // Explicitly empty when unset, so a DATABASE_URL in the caller's environment cannot turn the SQLite run into PostgreSQL.
    env: { ...process.env, DATABASE_URL: '', MODELYARD_DATABASE_SCHEMA: '', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error('server did not start within 30 s');
}

export async function stopServerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** User + system CPU milliseconds a process has used so far, from /proc (Linux only). */
export function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat; after the ") " split they are at 11 and 12. Clock ticks are
    // 100 per second on Linux.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}
