// `modelyard secrets rotate-master-key`, run as the real CLI in a child process against a test database.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI_ARGS, dropTestData, testConfig } from '../helpers/index.js';
import type { Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openContext } from '../../src/server.js';
import { createUser } from '../../src/auth/users.js';
import { createTeam } from '../../src/auth/teams.js';
import { createSecret, resolveSecretValues } from '../../src/auth/secrets.js';
import { KEY_FILE, KeyringError } from '../../src/auth/keyring.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const configs: Config[] = [];
afterEach(async () => {
  for (const config of configs.splice(0)) await dropTestData(config);
});

function envOf(config: Config): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, MODELYARD_DATA_DIR: config.dataDir, MODELYARD_LOG_LEVEL: 'silent' };
  delete env.DATABASE_URL;
  delete env.MODELYARD_DATABASE_SCHEMA;
  delete env.MODELYARD_MASTER_KEY;
  if (config.databaseUrl) env.DATABASE_URL = config.databaseUrl;
  if (config.databaseSchema) env.MODELYARD_DATABASE_SCHEMA = config.databaseSchema;
  if (config.masterKey) env.MODELYARD_MASTER_KEY = config.masterKey;
  return env;
}

function runCli(config: Config, args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [...CLI_ARGS, ...args], { cwd: REPO_ROOT, env: envOf(config) }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.end(stdin ?? '');
  });
}

/** A database with secrets in two teams, created with the configuration's current key. */
async function seed(config: Config): Promise<{ teams: string[] }> {
  const ctx = await openContext(config, createLogger('silent'));
  try {
    const user = await createUser(ctx.db, { name: 'owner', password: 'correct horse battery', isAdmin: false });
    const a = await createTeam(ctx, user, 'team-a');
    const b = await createTeam(ctx, user, 'team-b');
    await createSecret(ctx.db, ctx.keyring, a.id, user.id, { name: 'TOKEN', value: 'value-a' });
    await createSecret(ctx.db, ctx.keyring, a.id, user.id, { name: 'SIGNING', value: 'signing-a' });
    await createSecret(ctx.db, ctx.keyring, b.id, user.id, { name: 'TOKEN', value: 'value-b' });
    return { teams: [a.id, b.id] };
  } finally {
    await ctx.close();
  }
}

async function readSecrets(config: Config, teams: string[]) {
  const ctx = await openContext(config, createLogger('silent'));
  try {
    return [
      await resolveSecretValues(ctx.db, ctx.keyring, teams[0]!, ['TOKEN', 'SIGNING']),
      await resolveSecretValues(ctx.db, ctx.keyring, teams[1]!, ['TOKEN']),
    ];
  } finally {
    await ctx.close();
  }
}

const EXPECTED = [{ TOKEN: 'value-a', SIGNING: 'signing-a' }, { TOKEN: 'value-b' }];

// Each test runs several `modelyard` processes one after another: beside two other test files on two cores that took
// up to 20 s in a full run, too close to the default 30 s.
describe('modelyard secrets rotate-master-key', { timeout: 90_000 }, () => {
  it('with the key file: re-encrypts every secret and replaces the file (0600); the old key no longer opens the database', async () => {
    const config = testConfig();
    configs.push(config);
    const { teams } = await seed(config);
    const keyFile = path.join(config.dataDir, KEY_FILE);
    const oldKey = fs.readFileSync(keyFile, 'utf8').trim();
    const before = await configCiphertexts(config);

    const result = await runCli(config, ['secrets', 'rotate-master-key']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('re-encrypted 3 secrets');
    const newKey = fs.readFileSync(keyFile, 'utf8').trim();
    expect(newKey).not.toBe(oldKey);
    expect(Buffer.from(newKey, 'base64')).toHaveLength(32);
    // The key itself is not printed when it lives in the file.
    expect(result.stdout).not.toContain(newKey);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(`${keyFile}.new`)).toBe(false);

    expect(await readSecrets(config, teams)).toEqual(EXPECTED);
    const after = await configCiphertexts(config);
    for (const [id, ciphertext] of after) expect(ciphertext).not.toBe(before.get(id));
    await expect(openContext({ ...config, masterKey: oldKey }, createLogger('silent'))).rejects.toBeInstanceOf(KeyringError);
  });

  it('with MODELYARD_MASTER_KEY and --new-key-stdin: uses the given key and prints it once for the operator', async () => {
    const config = testConfig({ MODELYARD_MASTER_KEY: randomBytes(32).toString('base64') });
    configs.push(config);
    const { teams } = await seed(config);
    const newKey = randomBytes(32).toString('base64');
    const result = await runCli(config, ['secrets', 'rotate-master-key', '--new-key-stdin'], `${newKey}\n`);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Set MODELYARD_MASTER_KEY');
    expect(result.stdout.split(newKey)).toHaveLength(2);
    expect(fs.existsSync(path.join(config.dataDir, KEY_FILE))).toBe(false);
    expect(await readSecrets({ ...config, masterKey: newKey }, teams)).toEqual(EXPECTED);
    await expect(openContext(config, createLogger('silent'))).rejects.toBeInstanceOf(KeyringError);
  });

  it('generates a key when none is given, and refuses a malformed one without changing anything', async () => {
    const config = testConfig({ MODELYARD_MASTER_KEY: randomBytes(32).toString('base64') });
    configs.push(config);
    const { teams } = await seed(config);
    const refused = await runCli(config, ['secrets', 'rotate-master-key', '--new-key-stdin'], 'too-short');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('32 bytes');
    expect(await readSecrets(config, teams)).toEqual(EXPECTED);

    const generated = await runCli(config, ['secrets', 'rotate-master-key']);
    expect(generated.code).toBe(0);
    const printed = generated.stdout.trim().split('\n').pop()!;
    expect(Buffer.from(printed, 'base64')).toHaveLength(32);
    expect(await readSecrets({ ...config, masterKey: printed }, teams)).toEqual(EXPECTED);
  });

  it('documents where the new key goes in its help', async () => {
    const config = testConfig();
    configs.push(config);
    const help = await runCli(config, ['secrets', 'rotate-master-key', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--new-key-stdin');
    expect(help.stdout).toContain('MODELYARD_MASTER_KEY');
    expect(help.stdout).toContain(KEY_FILE);
  });
});

async function configCiphertexts(config: Config): Promise<Map<string, string>> {
  const ctx = await openContext(config, createLogger('silent'));
  try {
    const rows = await ctx.db.selectFrom('secrets').select(['id', 'ciphertext']).execute();
    return new Map(rows.map((r) => [r.id, r.ciphertext]));
  } finally {
    await ctx.close();
  }
}
