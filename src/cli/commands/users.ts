// `modelyard user create NAME [--admin] [--password-stdin] [--api-key]`: works directly on the database with the
// server's configuration, so an operator can create users (or recover access) without a running server.
import { Command } from 'commander';
import { loadConfig } from '../../config.js';
// Loaded by the commands that log, not at start-up: client commands stay small (see bench/cli-upload.bench.ts).
const loadLogger = () => import('../../logger.js');
import { generatePassword } from '../../auth/passwords.js';
import { AppError } from '../../core/errors.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('manage users');
  user
    .command('create')
    .argument('<name>', 'user name')
    .option('--admin', 'make the user an instance admin', false)
    .option('--password-stdin', 'read the password from standard input instead of generating one', false)
    .option('--api-key', 'create an API key for the user and print only the key', false)
    .description('create a user')
    .action(async (name: string, options: { admin: boolean; passwordStdin: boolean; apiKey: boolean }) => {
      const { MIN_PASSWORD_LENGTH, createApiKey, createUser } = await import('../../auth/users.js');
      const password = options.passwordStdin ? await readStdin() : generatePassword();
      if (password.length < MIN_PASSWORD_LENGTH) {
        throw new AppError('invalid_request', `password: must be at least ${MIN_PASSWORD_LENGTH} characters`);
      }
      const config = loadConfig();
      const { openContext } = await import('../../server.js');
      const ctx = await openContext(config, (await loadLogger()).createLogger('silent'));
      try {
        const created = await createUser(ctx.db, { name, password, isAdmin: options.admin });
        if (options.apiKey) {
          const { key } = await createApiKey(ctx.db, created.id, 'created by modelyard user create');
          process.stdout.write(`${key}\n`);
        } else if (options.passwordStdin) {
          process.stdout.write(`created user ${name}${options.admin ? ' (instance admin)' : ''}\n`);
        } else {
          process.stdout.write(`created user ${name}${options.admin ? ' (instance admin)' : ''} with password ${password}\n`);
        }
      } finally {
        await ctx.close();
      }
    });
}
