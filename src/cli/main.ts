#!/usr/bin/env node
// The `modelyard` command. Server-side commands (serve, migrate, user, secrets) use the same configuration as the
// server (environment variables, see README); client-side commands (agent, the registry, team settings, automations)
// talk to a server over HTTP through the typed client (src/client). Exit codes: 0 ok, 1 failed, 2 usage.
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { KeyringError } from '../auth/keyring.js';
import { AppError } from '../core/errors.js';
import { registerServerCommands } from './commands/server.js';
import { registerUserCommands } from './commands/users.js';
import { registerAgentCommand } from './commands/agent.js';
import { registerLoginCommand } from './commands/login.js';
import { registerSecretsCommands } from './commands/secrets.js';
import { registerListenCommand } from './commands/listen.js';
import { registerRegistryCommands } from './commands/registry.js';
import { registerTeamCommands } from './commands/team.js';
import { registerAutomationsCommands } from './commands/automations.js';
import { ApiError } from '../client/index.js';
import { UsageError } from './remote.js';

/** Exit codes: what went wrong is told apart by scripts. */
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

export function buildProgram(): Command {
  const program = new Command('modelyard')
    .description('Self-hosted model registry with automations: signed webhooks and queued jobs on registry events')
    .version('0.1.0')
    .showHelpAfterError()
    // Usage errors are thrown (and exit 2 in reportFatal) instead of commander's own exit 1; subcommands inherit it.
    .exitOverride();
  registerServerCommands(program);
  registerUserCommands(program);
  registerLoginCommand(program);
  registerAgentCommand(program);
  registerSecretsCommands(program);
  registerRegistryCommands(program);
  registerTeamCommands(program);
  registerAutomationsCommands(program);
  registerListenCommand(program);
  return program;
}

/** One clear line for the errors a user can fix; a stack only for the unexpected. */
export function reportFatal(error: unknown): never {
  if (error instanceof CommanderError) {
    // Commander printed the problem (and the help); --help and --version end here with exit code 0.
    process.exit(error.exitCode === 0 ? 0 : EXIT_USAGE);
  }
  if (error instanceof UsageError) {
    process.stderr.write(`modelyard: ${error.message}\n`);
    process.exit(EXIT_USAGE);
  }
  if (error instanceof ApiError) {
    // As the server stated it; with --json also as JSON on stderr, for scripts.
    if (process.argv.includes('--json')) {
      process.stderr.write(`${JSON.stringify({ error: { status: error.status, code: error.code, message: error.message, details: error.details } })}\n`);
    } else {
      const reason = error.status === 0 ? 'cannot reach the server' : `HTTP ${error.status} ${error.code}`;
      process.stderr.write(`modelyard: ${error.message} (${reason})\n`);
    }
    process.exit(EXIT_FAILED);
  }
  if (error instanceof ConfigError || error instanceof KeyringError || error instanceof AppError) {
    process.stderr.write(`modelyard: ${error.message}\n`);
  } else {
    process.stderr.write(`modelyard: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(EXIT_FAILED);
}

buildProgram().parseAsync(process.argv).catch(reportFatal);
