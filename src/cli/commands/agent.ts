// `modelyard agent --queue NAME [--team T] [--concurrency N] [--name AGENT] [--grace S] -- COMMAND [ARGS…]`
// Claims jobs from a queue and runs COMMAND for each (or, with --config, the allow-listed command a job names).
// Server and key come from MODELYARD_URL / MODELYARD_API_KEY, else from `modelyard login`; the team from --team,
// MODELYARD_TEAM, or the saved login.
import fs from 'node:fs';
import os from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { AppError } from '../../core/errors.js';
import type { AgentConfig } from '../agent/job-env.js';
import { loadSavedLogin } from './login.js';

interface AgentFlags {
  queue: string;
  team?: string;
  concurrency: number;
  name?: string;
  grace: number;
  killGrace: number;
  config?: string;
}

function positiveInteger(max: number) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw new InvalidArgumentError(`must be a whole number from 1 to ${max}`);
    return Number(raw);
  };
}

function seconds(raw: string): number {
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new InvalidArgumentError('must be a number of seconds');
  return Number(raw);
}

async function readAgentConfig(file: string): Promise<AgentConfig> {
  const { AgentConfigFile } = await import('../agent/job-env.js');
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new AppError('invalid_request', `--config ${file}: ${(error as Error).message}`);
  }
  const result = AgentConfigFile.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new AppError('invalid_request', `--config ${file}: ${issue.path.join('.') || 'file'}: ${issue.message} (expected { "commands": { "name": ["program", "arg", …] } })`);
  }
  return result.data;
}

export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description('claim jobs from a queue and run a command for each')
    .requiredOption('--queue <name>', 'the queue to take jobs from')
    .option('--team <team>', 'the team (default: MODELYARD_TEAM, then the saved login)')
    .option('--concurrency <n>', 'jobs run at the same time', positiveInteger(256), 1)
    .option('--name <agent>', 'the agent name shown on jobs (default: <host>-<pid>)')
    .option('--grace <seconds>', 'on SIGTERM, how long running jobs may finish before they are stopped and handed back', seconds, 30)
    .option('--kill-grace <seconds>', 'after SIGTERM to a job process, how long before SIGKILL', seconds, 10)
    .option('--config <file>', 'JSON allow-list { "commands": { "name": ["program", …] } } for jobs that name their command')
    .argument('[command...]', 'the command to run for every job (after --); omit it to use --config')
    .action(async (command: string[], flags: AgentFlags) => {
      const config = flags.config ? await readAgentConfig(flags.config) : undefined;
      if (command.length > 0 && config) {
        throw new AppError('invalid_request', 'give either a COMMAND (after --) or --config with an allow-list, not both');
      }
      if (command.length === 0 && !config) {
        throw new AppError('invalid_request', 'give the command to run after --, e.g. `modelyard agent --queue eval -- ./evaluate.sh`, or --config');
      }
      const saved = loadSavedLogin();
      const url = process.env.MODELYARD_URL || saved?.url;
      const apiKey = process.env.MODELYARD_API_KEY || saved?.apiKey;
      const team = flags.team || process.env.MODELYARD_TEAM || saved?.team;
      if (!url || !apiKey) throw new AppError('invalid_request', 'set MODELYARD_URL and MODELYARD_API_KEY, or run `modelyard login` first');
      if (!team) throw new AppError('invalid_request', 'name the team with --team or MODELYARD_TEAM');

      // The agent's modules (undici, zod) are loaded by the agent only: other commands start without them.
      const [{ AgentApi }, { CLAIM_WAIT_SECONDS, startAgent }] = await Promise.all([import('../agent/api-client.js'), import('../agent/agent.js')]);
      const name = flags.name ?? `${os.hostname()}-${process.pid}`;
      const log = (line: string) => process.stderr.write(`${new Date().toISOString()} modelyard agent ${name}: ${line}\n`);
      const agent = startAgent({
        api: new AgentApi(url, apiKey, team, CLAIM_WAIT_SECONDS),
        queue: flags.queue,
        name,
        concurrency: flags.concurrency,
        command: command.length > 0 ? command : undefined,
        config,
        graceMs: flags.grace * 1000,
        killGraceMs: flags.killGrace * 1000,
        log,
      });
      const onSignal = (signal: string) => {
        log(`${signal} received`);
        agent.stop();
      };
      process.on('SIGTERM', () => onSignal('SIGTERM'));
      process.on('SIGINT', () => onSignal('SIGINT'));
      log(`waiting for jobs on queue "${flags.queue}" of team "${team}" at ${url} (concurrency ${flags.concurrency})`);
      await agent.finished;
      log('stopped');
    });
}
