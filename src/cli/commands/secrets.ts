// `modelyard secrets rotate-master-key`: re-encrypts every team secret under a new master key, in one transaction.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { loadConfig } from '../../config.js';
// Loaded by the commands that log, not at start-up: client commands stay small (see bench/cli-upload.bench.ts).
const loadLogger = () => import('../../logger.js');
import { KEY_FILE, Keyring, KeyringError } from '../../auth/keyring.js';

const ROTATE_HELP = `
Stop every Modelyard process (API and workers) first: a process still holding the old key can no longer decrypt
secrets once the rotation commits.

The new key is read from standard input with --new-key-stdin (32 bytes, base64, e.g. from \`openssl rand -base64 32\`);
without it a random key is generated.

Where the key goes depends on where the current key comes from:
  - key file (<MODELYARD_DATA_DIR>/${KEY_FILE}): the file is replaced atomically (mode 0600) with the new key.
  - MODELYARD_MASTER_KEY: the new key is printed once on standard output; set MODELYARD_MASTER_KEY to it for every
    process before starting them again. It is not stored anywhere else.
`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

function parseKey(text: string): Buffer {
  const key = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/]+=*$/.test(text) || key.length !== 32) {
    throw new KeyringError('the new key must be 32 bytes encoded as base64 (generate one with `openssl rand -base64 32`)');
  }
  return key;
}

export function registerSecretsCommands(program: Command): void {
  const secrets = program.command('secrets').description('manage team secrets (server-side)');
  secrets
    .command('rotate-master-key')
    .description('re-encrypt every team secret under a new master key')
    .option('--new-key-stdin', 'read the new key (base64, 32 bytes) from standard input instead of generating one', false)
    .addHelpText('after', ROTATE_HELP)
    .action(async (options: { newKeyStdin: boolean }) => {
      const newKey = options.newKeyStdin ? parseKey(await readStdin()) : randomBytes(32);
      const config = loadConfig();
      // Loaded here, not at the top: every other command (client ones above all) starts without the server's modules.
      const [{ openContext }, { rotateMasterKey }] = await Promise.all([import('../../server.js'), import('../../auth/secrets.js')]);
      const ctx = await openContext(config, (await loadLogger()).createLogger('silent'));
      const keyFile = path.join(config.dataDir, KEY_FILE);
      // The new key file is written before the database commits and moved into place after it: whatever fails,
      // the key that decrypts the database is on disk (the old file, or the new one beside it).
      const staged = `${keyFile}.new`;
      try {
        if (config.masterKey === undefined) {
          fs.rmSync(staged, { force: true });
          fs.writeFileSync(staged, `${newKey.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
        }
        let count: number;
        try {
          count = await rotateMasterKey(ctx.db, ctx.keyring, new Keyring(newKey));
        } catch (error) {
          fs.rmSync(staged, { force: true });
          throw error;
        }
        if (config.masterKey === undefined) {
          fs.renameSync(staged, keyFile);
          process.stdout.write(`re-encrypted ${count} secret${count === 1 ? '' : 's'}; ${keyFile} now holds the new key\n`);
        } else {
          process.stdout.write(
            `re-encrypted ${count} secret${count === 1 ? '' : 's'}. Set MODELYARD_MASTER_KEY to the new key before starting Modelyard again:\n${newKey.toString('base64')}\n`,
          );
        }
      } finally {
        await ctx.close();
      }
    });
}
