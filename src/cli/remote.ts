// What every client-side command shares: where the server is (flags, then MODELYARD_URL / MODELYARD_API_KEY /
// MODELYARD_TEAM, then the login `modelyard login` saved), the typed client, and one way to print results — human
// text by default, `--json` for scripts — and errors, as the server stated them.
import { Command, Option } from 'commander';
import { createApi, nodeFetch, type Api, type Connection } from '../client/index.js';
import { loadSavedLogin } from './commands/login.js';

/** A command line the user got wrong (exit 2, like commander's own usage errors). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface RemoteFlags {
  url?: string;
  team?: string;
  json?: boolean;
}

export interface Remote {
  api: Api;
  connection: Connection;
  team: string;
  url: string;
  json: boolean;
}

/** Adds the flags every client-side command takes: --url, --team, --json. */
export function remoteCommand(parent: Command, nameAndArgs: string, description: string, example: string): Command {
  return parent
    .command(nameAndArgs)
    .description(description)
    .addOption(new Option('--team <team>', 'the team (default: MODELYARD_TEAM, then the saved login)'))
    .addOption(new Option('--url <url>', 'the Modelyard server (default: MODELYARD_URL, then the saved login)'))
    .option('--json', 'print JSON for scripts instead of text', false)
    .addHelpText('after', `\nExample:\n${example.replace(/^/gm, '  ')}\n`);
}

/** The server, key and team for a command: flags win, then the environment, then the saved login. */
/** The server, key and team a command works with; `teamless` commands (team create/ls) need no team. */
export function connect(flags: RemoteFlags, env: NodeJS.ProcessEnv = process.env, options: { teamless?: boolean } = {}): Remote {
  let url = flags.url || env.MODELYARD_URL || undefined;
  let apiKey = env.MODELYARD_API_KEY || undefined;
  let team = flags.team || env.MODELYARD_TEAM || undefined;
  if (!url || !apiKey || !team) {
    const saved = loadSavedLogin(env);
    url ||= saved?.url;
    apiKey ||= saved?.apiKey;
    team ||= saved?.team;
  }
  if (!url) throw new UsageError('no Modelyard server: pass --url, set MODELYARD_URL, or run `modelyard login --url … --api-key-stdin`');
  if (!/^https?:\/\/[^/]+/.test(url)) throw new UsageError(`the Modelyard URL must start with http:// or https://, not ${JSON.stringify(url.slice(0, 40))}`);
  if (!apiKey) throw new UsageError('no API key: set MODELYARD_API_KEY or run `modelyard login` (a key is never taken as a flag)');
  if (!team && !options.teamless) throw new UsageError('no team: pass --team, set MODELYARD_TEAM, or save one with `modelyard login --team`');
  team ??= '';
  url = url.replace(/\/+$/, '');
  // node:http rather than fetch (undici): a third less memory for the whole command (src/client/http.ts).
  const api = createApi({ baseUrl: url, apiKey, fetch: nodeFetch });
  return { api, connection: { baseUrl: url, apiKey, team }, team, url, json: flags.json === true };
}

/** Prints `value` as JSON with --json, else the human text (lines; nothing for an empty string). */
export function emit(remote: { json: boolean }, value: unknown, human: () => string): void {
  if (remote.json) {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    return;
  }
  const text = human();
  if (text !== '') process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Rows as aligned columns under a header; `empty` when there are none. */
export function table(headers: string[], rows: Array<Array<string | number | null | undefined>>, empty: string): string {
  if (rows.length === 0) return empty;
  const cells = [headers, ...rows.map((row) => row.map((cell) => (cell === null || cell === undefined || cell === '' ? '-' : String(cell))))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  return cells.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n');
}

/** `size` bytes for people: 1.2 MB. */
export function formatBytes(size: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let n = size;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${n.toFixed(1)} ${units[unit]}`;
}

/** A JSON object flag (--metadata), or a usage error naming the flag. */
export function parseJsonObject(flag: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${flag}: not JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`${flag}: must be a JSON object, e.g. '{"accuracy": 0.91}'`);
  return value as Record<string, unknown>;
}

/** Collects a repeatable flag (--alias a --alias b). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
