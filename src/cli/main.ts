#!/usr/bin/env node
// The `modelyard` command. Server-side commands (serve, migrate, user, secrets) use the same configuration as the
// server (environment variables, see README); client-side commands (agent) talk to a server over HTTP.
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

export function buildProgram(): Command {
  const program = new Command('modelyard')
    .description('Self-hosted model registry with automations: signed webhooks and queued jobs on registry events')
    .version('0.1.0')
    .showHelpAfterError();
  registerServerCommands(program);
  registerUserCommands(program);
  registerLoginCommand(program);
  registerAgentCommand(program);
  registerSecretsCommands(program);
  registerListenCommand(program);
  return program;
}

/** One clear line for the errors a user can fix; a stack only for the unexpected. */
export function reportFatal(error: unknown): never {
  if (error instanceof ConfigError || error instanceof KeyringError || error instanceof AppError) {
    process.stderr.write(`modelyard: ${error.message}\n`);
  } else if (error instanceof CommanderError) {
    process.exit(error.exitCode);
  } else {
    process.stderr.write(`modelyard: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
}

buildProgram().parseAsync(process.argv).catch(reportFatal);
