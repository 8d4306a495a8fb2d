// The real `modelyard` CLI as a subprocess (CLI_ARGS: the build when fresh, else tsx), for client-side commands:
// the server, key and team in the environment, HOME pointed at an empty directory (no saved login leaks in).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { CLI_ARGS } from './index.js';

/** CLI_ARGS runnable from any working directory (`--import tsx` resolves from the cwd; the commands here run elsewhere). */
const ARGS = CLI_ARGS.map((arg, i) => (arg === 'tsx' && CLI_ARGS[i - 1] === '--import' ? pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href : arg));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json runs). */
  json<T = any>(): T;
}

export interface CliOptions {
  stdin?: string | Buffer;
  cwd?: string;
  env?: Record<string, string | undefined>;
}

/** A CLI bound to one server, key and team; `run(args)` spawns `modelyard …` and collects its output and exit code. */
export function cliFor(connection: { url: string; apiKey: string; team: string }) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'modelyard-cli-home-'));
  const run = (args: string[], options: CliOptions = {}): Promise<CliResult> => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      MODELYARD_URL: connection.url,
      MODELYARD_API_KEY: connection.apiKey,
      MODELYARD_TEAM: connection.team,
    };
    for (const [key, value] of Object.entries(options.env ?? {})) {
      if (value === undefined) delete env[key];
      else env[key] = value;
    }
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [...ARGS, ...args], { cwd: options.cwd ?? home, env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.on('error', reject);
      child.stdin.end(options.stdin ?? '');
      child.on('close', (code) =>
        resolve({
          code,
          stdout,
          stderr,
          json() {
            try {
              return JSON.parse(stdout);
            } catch {
              throw new Error(`modelyard ${args.join(' ')} printed no JSON (exit ${code}): ${stdout}${stderr}`);
            }
          },
        }),
      );
    });
  };
  return { run, home, cleanup: () => fs.rmSync(home, { recursive: true, force: true }) };
}
