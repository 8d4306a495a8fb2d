// `modelyard login --url U --api-key-stdin [--team T]`: checks the key against the server and saves it, so client
// commands (agent) need no environment variables. The key is read from stdin, never from argv (which other users
// of the machine can see in `ps`), and stored in a file only its owner can read.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { AppError } from '../../core/errors.js';

export interface SavedLogin {
  url: string;
  apiKey: string;
  team?: string;
}

/** The file's content when it is a saved login (checked by hand: every client command reads it, and zod costs memory). */
function asSavedLogin(value: unknown): SavedLogin | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { url, apiKey, team } = value as Record<string, unknown>;
  if (typeof url !== 'string' || typeof apiKey !== 'string' || (team !== undefined && typeof team !== 'string')) return undefined;
  return { url, apiKey, ...(team !== undefined ? { team } : {}) };
}

export function credentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  const configHome = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(configHome, 'modelyard', 'credentials.json');
}

/** The saved login, or undefined when there is none; a damaged file is an error naming it. */
export function loadSavedLogin(env: NodeJS.ProcessEnv = process.env): SavedLogin | undefined {
  const file = credentialsFile(env);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let saved: SavedLogin | undefined;
  try {
    saved = asSavedLogin(JSON.parse(text));
  } catch {
    saved = undefined;
  }
  if (!saved) throw new AppError('invalid_request', `${file} is not a saved login; run \`modelyard login\` again`);
  return saved;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

export function registerLoginCommand(program: Command): void {
  program
    .command('login')
    .description('save a server URL and API key (read from stdin) for client commands such as `modelyard agent`')
    .requiredOption('--url <url>', 'the Modelyard server, e.g. https://modelyard.example.com')
    .requiredOption('--api-key-stdin', 'read the API key from standard input')
    .option('--team <team>', 'the default team')
    .action(async (options: { url: string; team?: string }) => {
      if (!/^https?:\/\/[^/]+/.test(options.url)) throw new AppError('invalid_request', '--url: must be an http(s) URL');
      const url = options.url.replace(/\/+$/, '');
      const apiKey = await readStdin();
      if (apiKey === '') throw new AppError('invalid_request', 'no API key on standard input');
      const { request } = await import('undici');
      const me = await request(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${apiKey}` } });
      const body = (await me.body.json().catch(() => undefined)) as { user?: { name?: string } } | undefined;
      if (me.statusCode !== 200) {
        throw new AppError('unauthenticated', `the server at ${url} refused the key (HTTP ${me.statusCode})`);
      }
      const file = credentialsFile();
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      const saved: SavedLogin = { url, apiKey, ...(options.team ? { team: options.team } : {}) };
      // Written to a private temp file and renamed, so the key is never readable by others even for a moment.
      const temporary = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(temporary, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
      fs.renameSync(temporary, file);
      process.stdout.write(`logged in to ${url} as ${body?.user?.name ?? 'unknown'}; saved to ${file}\n`);
    });
}
