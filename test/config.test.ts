// Every setting: its default, a valid value, and an invalid one refused with the variable named (ConfigError); and
// every variable the code reads is documented in the README's configuration table.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_RETRY_SCHEDULE, loadConfig, MIN_METRICS_TOKEN_LENGTH, type Config } from '../src/config.js';

describe('loadConfig', () => {
  it('has a default for every setting', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      dataDir: path.resolve('./data'),
      databaseUrl: undefined,
      databaseSchema: undefined,
      masterKey: undefined,
      logLevel: 'info',
      webhookAllow: [],
      retrySchedule: DEFAULT_RETRY_SCHEDULE,
      webhookTimeoutMs: 10_000,
      deliveryLeaseMs: 15_000,
      maxUploadBytes: 5 * 1024 ** 3,
      workerConcurrency: 64,
      jobMaxAttempts: 3,
      jobLeaseMs: 30_000,
      secureCookies: false,
      trustProxy: false,
      publicUrl: undefined,
      metricsToken: undefined,
    } satisfies Partial<Config>);
  });

  const key = Buffer.alloc(32, 7).toString('base64');
  it.each<[string, string, Partial<Config>]>([
    ['MODELYARD_PORT', '9000', { port: 9000 }],
    ['MODELYARD_HOST', '127.0.0.1', { host: '127.0.0.1' }],
    ['MODELYARD_DATA_DIR', '/var/lib/modelyard', { dataDir: '/var/lib/modelyard' }],
    ['DATABASE_URL', 'postgresql://db.internal/modelyard', { databaseUrl: 'postgresql://db.internal/modelyard' }],
    ['MODELYARD_DATABASE_SCHEMA', 'modelyard_1', { databaseSchema: 'modelyard_1' }],
    ['MODELYARD_MASTER_KEY', key, { masterKey: key }],
    ['MODELYARD_LOG_LEVEL', 'debug', { logLevel: 'debug' }],
    ['MODELYARD_RETRY_SCHEDULE', '1, 2.5,60', { retrySchedule: [1, 2.5, 60] }],
    ['MODELYARD_WEBHOOK_TIMEOUT_MS', '2500', { webhookTimeoutMs: 2500 }],
    ['MODELYARD_DELIVERY_LEASE_MS', '1000', { deliveryLeaseMs: 1000 }],
    ['MODELYARD_MAX_UPLOAD_BYTES', '1048576', { maxUploadBytes: 1048576 }],
    ['MODELYARD_WORKER_CONCURRENCY', '8', { workerConcurrency: 8 }],
    ['MODELYARD_JOB_MAX_ATTEMPTS', '5', { jobMaxAttempts: 5 }],
    ['MODELYARD_JOB_LEASE_MS', '60000', { jobLeaseMs: 60000 }],
    ['MODELYARD_TRUST_PROXY', 'true', { trustProxy: true }],
    ['MODELYARD_TRUST_PROXY', '0', { trustProxy: false }],
    ['MODELYARD_PUBLIC_URL', 'https://modelyard.example.com', { publicUrl: 'https://modelyard.example.com', secureCookies: true }],
    ['MODELYARD_PUBLIC_URL', 'http://modelyard.local', { publicUrl: 'http://modelyard.local', secureCookies: false }],
  ])('%s=%s', (variable, value, expected) => {
    expect(loadConfig({ [variable]: value })).toMatchObject(expected);
  });

  it('reads the allowed networks as CIDRs', () => {
    expect(loadConfig({ MODELYARD_WEBHOOK_ALLOW: '10.0.0.0/8, 127.0.0.1/32' }).webhookAllow).toHaveLength(2);
  });

  it.each<[string, string]>([
    ['MODELYARD_PORT', '80a'],
    ['MODELYARD_PORT', '70000'],
    ['DATABASE_URL', 'mysql://db/modelyard'],
    ['MODELYARD_DATABASE_SCHEMA', 'Has-Dashes'],
    ['MODELYARD_MASTER_KEY', 'c2hvcnQ='],
    ['MODELYARD_LOG_LEVEL', 'verbose'],
    ['MODELYARD_WEBHOOK_ALLOW', '10.0.0.0/33'],
    ['MODELYARD_RETRY_SCHEDULE', '5,soon'],
    ['MODELYARD_WEBHOOK_TIMEOUT_MS', '5'],
    ['MODELYARD_DELIVERY_LEASE_MS', '-1'],
    ['MODELYARD_MAX_UPLOAD_BYTES', '0'],
    ['MODELYARD_WORKER_CONCURRENCY', '100000'],
    ['MODELYARD_JOB_MAX_ATTEMPTS', '0'],
    ['MODELYARD_JOB_LEASE_MS', '10'],
    ['MODELYARD_TRUST_PROXY', 'yes'],
    ['MODELYARD_PUBLIC_URL', 'modelyard.example.com'],
  ])('refuses %s=%s, naming the variable', (variable, value) => {
    let error: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as Error).message.startsWith(`${variable}: `)).toBe(true);
  });

  it('documents every variable it reads in the README', () => {
    const source = fs.readFileSync('src/config.ts', 'utf8');
    const read = new Set([...source.matchAll(/\b(?:env\.|env, ')([A-Z][A-Z0-9_]+)/g)].map((match) => match[1]!));
    const readme = fs.readFileSync('README.md', 'utf8');
    const documented = new Set([...readme.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((match) => match[1]!));
    expect(read.size).toBeGreaterThan(10);
    expect([...read].filter((name) => !documented.has(name))).toEqual([]);
  });
});

describe('MODELYARD_METRICS_TOKEN', () => {
  it('is read as given when valid', () => {
    expect(loadConfig({ MODELYARD_METRICS_TOKEN: '' }).metricsToken).toBeUndefined();
    const token = 'a1B2-c3D4_e5F6.g7H8~i9J0+k1L2/m3N4=';
    expect(loadConfig({ MODELYARD_METRICS_TOKEN: token }).metricsToken).toBe(token);
  });

  it.each([
    { why: 'too short', value: 'x'.repeat(MIN_METRICS_TOKEN_LENGTH - 1) },
    { why: 'a space', value: `${'x'.repeat(MIN_METRICS_TOKEN_LENGTH)} y` },
    { why: 'a newline', value: `${'x'.repeat(MIN_METRICS_TOKEN_LENGTH)}\n` },
    { why: 'non-ASCII', value: `${'x'.repeat(MIN_METRICS_TOKEN_LENGTH)}é` },
    { why: 'too long', value: 'x'.repeat(513) },
  ])('refuses a token with $why, naming the variable', ({ value }) => {
    expect(() => loadConfig({ MODELYARD_METRICS_TOKEN: value })).toThrow(/^MODELYARD_METRICS_TOKEN: /);
  });
});
