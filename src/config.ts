// Every setting Modelyard reads, in one place: read once from the environment, validated, documented in the README.
// An invalid value stops start-up with one line naming the variable (ConfigError).
import os from 'node:os';
import path from 'node:path';
import { parseCidrList, type Cidr } from './core/ip.js';

export type Role = 'all' | 'api' | 'worker';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** postgres://… selects PostgreSQL; undefined means SQLite at `<dataDir>/modelyard.db`. */
  databaseUrl: string | undefined;
  /** Postgres schema to use (tests give each file its own); defaults to `public`. */
  databaseSchema: string | undefined;
  masterKey: string | undefined;
  logLevel: LogLevel;
  /** Networks whose addresses webhooks may reach despite the SSRF rules (operators' internal services, tests). */
  webhookAllow: Cidr[];
  /** Delay before each retry of a failed delivery, in seconds. */
  retrySchedule: number[];
  webhookTimeoutMs: number;
  /**
   * How long a worker holds a claimed run beyond the send timeout; a crashed worker's runs are taken up again once
   * it has passed, so it bounds the redelivery delay after a crash.
   */
  deliveryLeaseMs: number;
  /** Largest artifact upload accepted, in bytes (413 above it). */
  maxUploadBytes: number;
  /** Concurrent deliveries a worker process keeps in flight. */
  workerConcurrency: number;
  /** Times a queue job is handed out before it is failed for lost leases. */
  jobMaxAttempts: number;
  /** How long a claimed job stays an agent's without a heartbeat; after it the job is queued again (or failed). */
  jobLeaseMs: number;
  /** Whether session cookies carry the Secure flag; on when the public URL is https. */
  secureCookies: boolean;
  /** Trust X-Forwarded-For from a reverse proxy (client addresses for the login limiter). */
  trustProxy: boolean;
  publicUrl: string | undefined;
  /**
   * Bearer token that may read GET /metrics (Prometheus' `authorization` setting), besides an instance admin's API
   * key. Unset: only admin keys can.
   */
  metricsToken: string | undefined;
  /**
   * How long a process trusts a remembered API key owner or team role without hearing of a change (the safety net
   * when a NOTIFY from another process is lost; see src/auth/access-cache.ts). 0 turns the cache off.
   */
  accessCacheMs: number;
  /**
   * `serve` (role all) runs the delivery worker in a thread of its own, so the process uses two cores
   * (src/worker-thread.ts). MODELYARD_DELIVERY_THREAD: `auto` (default: when the machine has two or more cores), `on`,
   * `off`.
   */
  deliveryThread: boolean;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The reference webhook senders' schedule (svix): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000];

/**
 * The metrics token is a password that Prometheus sends on every scrape: long enough not to be guessed, and only
 * characters that survive an HTTP header and a YAML file unquoted.
 */
export const MIN_METRICS_TOKEN_LENGTH = 32;
const METRICS_TOKEN_PATTERN = new RegExp(`^[\\x21-\\x7e]{${MIN_METRICS_TOKEN_LENGTH},512}$`);

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function choice<T extends string>(env: NodeJS.ProcessEnv, name: string, choices: readonly T[], fallback: T): T {
  const value = env[name] || fallback;
  if (!(choices as readonly string[]).includes(value)) throw new ConfigError(name, `must be one of ${choices.join(', ')}`);
  return value as T;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = (env[name] ?? '').toLowerCase();
  if (raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new ConfigError(name, `must be true or false, got "${env[name]}"`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = path.resolve(env.MODELYARD_DATA_DIR || './data');

  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must start with postgres:// or postgresql:// (leave it unset for SQLite)');
  }
  const databaseSchema = env.MODELYARD_DATABASE_SCHEMA || undefined;
  if (databaseSchema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(databaseSchema)) {
    throw new ConfigError('MODELYARD_DATABASE_SCHEMA', 'must be a lower-case SQL identifier');
  }

  const masterKey = env.MODELYARD_MASTER_KEY || undefined;
  if (masterKey !== undefined && Buffer.from(masterKey, 'base64').length !== 32) {
    throw new ConfigError('MODELYARD_MASTER_KEY', 'must be 32 bytes encoded as base64 (generate one with `openssl rand -base64 32`)');
  }

  const logLevel = (env.MODELYARD_LOG_LEVEL || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('MODELYARD_LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }

  let webhookAllow: Cidr[];
  try {
    webhookAllow = parseCidrList(env.MODELYARD_WEBHOOK_ALLOW ?? '');
  } catch (error) {
    throw new ConfigError('MODELYARD_WEBHOOK_ALLOW', (error as Error).message);
  }

  let retrySchedule = DEFAULT_RETRY_SCHEDULE;
  if (env.MODELYARD_RETRY_SCHEDULE) {
    const parts = env.MODELYARD_RETRY_SCHEDULE.split(',').map((s) => s.trim());
    if (parts.some((p) => !/^\d+(\.\d+)?$/.test(p))) {
      throw new ConfigError('MODELYARD_RETRY_SCHEDULE', 'must be comma-separated delays in seconds, e.g. "5,300,1800"');
    }
    retrySchedule = parts.map(Number);
  }

  const publicUrl = env.MODELYARD_PUBLIC_URL || undefined;
  if (publicUrl !== undefined && !/^https?:\/\/[^/]+/.test(publicUrl)) {
    throw new ConfigError('MODELYARD_PUBLIC_URL', 'must be an http(s) URL such as https://modelyard.example.com');
  }

  const metricsToken = env.MODELYARD_METRICS_TOKEN || undefined;
  if (metricsToken !== undefined && !METRICS_TOKEN_PATTERN.test(metricsToken)) {
    throw new ConfigError(
      'MODELYARD_METRICS_TOKEN',
      `must be ${MIN_METRICS_TOKEN_LENGTH} to 512 visible ASCII characters without spaces (generate one with \`openssl rand -hex 32\`)`,
    );
  }

  return {
    port: integer(env, 'MODELYARD_PORT', 8080, 0, 65535),
    host: env.MODELYARD_HOST || '0.0.0.0',
    dataDir,
    databaseUrl,
    databaseSchema,
    masterKey,
    logLevel,
    webhookAllow,
    retrySchedule,
    webhookTimeoutMs: integer(env, 'MODELYARD_WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
    deliveryLeaseMs: integer(env, 'MODELYARD_DELIVERY_LEASE_MS', 15_000, 100, 3_600_000),
    maxUploadBytes: integer(env, 'MODELYARD_MAX_UPLOAD_BYTES', 5 * 1024 ** 3, 1, Number.MAX_SAFE_INTEGER),
    workerConcurrency: integer(env, 'MODELYARD_WORKER_CONCURRENCY', 64, 1, 1024),
    jobMaxAttempts: integer(env, 'MODELYARD_JOB_MAX_ATTEMPTS', 3, 1, 100),
    jobLeaseMs: integer(env, 'MODELYARD_JOB_LEASE_MS', 30_000, 500, 3_600_000),
    secureCookies: publicUrl?.startsWith('https://') ?? false,
    trustProxy: flag(env, 'MODELYARD_TRUST_PROXY'),
    publicUrl,
    metricsToken,
    accessCacheMs: integer(env, 'MODELYARD_ACCESS_CACHE_SECONDS', 5, 0, 3600) * 1000,
    deliveryThread: choice(env, 'MODELYARD_DELIVERY_THREAD', ['auto', 'on', 'off'], 'auto') === 'auto' ? os.availableParallelism() >= 2 : env.MODELYARD_DELIVERY_THREAD === 'on',
  };
}
