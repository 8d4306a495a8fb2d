// Every `modelyard <command>` that the UI, the docs or the README tells someone to run exists: each distinct command
// (and subcommand) they mention is run with --help through the real CLI.
//
// Commander answers `--help` with exit 0 even for an unknown command (it prints the parent's help instead), so the
// check is the help's own "Usage: modelyard <command> [<subcommand>]" line as well as the exit code.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_ARGS } from '../helpers/index.js';

const REPO = path.resolve(import.meta.dirname, '../..');

/**
 * `modelyard` and up to two following words that can name a command (not flags, paths, placeholders or values), and
 * not the Python package (`from modelyard import …`, `import modelyard`).
 */
const MENTION = /(?<![\w./-])(?<!from )(?<!import )modelyard(?![ \t]+import\b)((?:[ \t]+[a-z][a-z0-9-]*(?![\w./:=@-])){1,2})/g;

function filesUnder(dir: string, extensions: string[]): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...filesUnder(full, extensions));
    else if (extensions.some((ext) => entry.name.endsWith(ext))) found.push(full);
  }
  return found;
}

/** Markdown's code: fenced blocks and inline code spans (prose may say "the modelyard registry"). */
export function markdownCode(text: string): string[] {
  const code: string[] = [];
  const withoutBlocks = text.replace(/^(```|~~~)[^\n]*\n([\s\S]*?)^\1[ \t]*$/gm, (_block, _fence, body: string) => {
    code.push(body);
    return '';
  });
  for (const span of withoutBlocks.matchAll(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g)) code.push(span[2]!);
  return code;
}

/** Each mention as the words after `modelyard`: ["user", "create"], ["agent", "queue"]… (the second may be an argument). */
export function mentions(code: string): string[][] {
  return [...code.matchAll(MENTION)].map((m) => m[1]!.trim().split(/\s+/));
}

interface Mention {
  words: string[];
  where: string;
}

function collectMentions(): Mention[] {
  const sources: Array<{ file: string; code: string[] }> = [];
  // The UI: every file's whole text (a hint may sit in a <code> element, a string or a title), but not the generated
  // API types.
  for (const file of filesUnder(path.join(REPO, 'web/src'), ['.ts', '.tsx'])) {
    if (file.endsWith('schema.d.ts')) continue;
    sources.push({ file, code: [fs.readFileSync(file, 'utf8')] });
  }
  const markdown = [path.join(REPO, 'README.md'), ...filesUnder(path.join(REPO, 'docs'), ['.md']).filter((f) => path.dirname(f) === path.join(REPO, 'docs'))];
  for (const file of markdown) sources.push({ file, code: markdownCode(fs.readFileSync(file, 'utf8')) });
  return sources.flatMap(({ file, code }) => code.flatMap((c) => mentions(c).map((words) => ({ words, where: path.relative(REPO, file) }))));
}

function runCli(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI_ARGS, ...args], { cwd: REPO, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** The subcommands a command's help lists under "Commands:" (without commander's own `help`). */
function subcommandsIn(help: string): string[] {
  const section = /^Commands:\n((?:[ \t]+\S.*\n?)*)/m.exec(help);
  if (!section) return [];
  return section[1]!
    .split('\n')
    .map((line) => /^\s+([a-z][a-z0-9-]*)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name !== 'help');
}

describe('the modelyard commands that the UI and the docs mention', () => {
  it('finds mentions in markdown code only, and the words of a command', () => {
    expect(markdownCode('Run `modelyard agent --queue q` or\n\n```sh\nmodelyard user create NAME\n```\nthe modelyard registry')).toEqual([
      'modelyard user create NAME\n',
      'modelyard agent --queue q',
    ]);
    expect(mentions('modelyard serve --role api')).toEqual([['serve']]);
    expect(mentions('$ modelyard secrets rotate-master-key')).toEqual([['secrets', 'rotate-master-key']]);
    expect(mentions('modelyard log my-project/my-model ./dir')).toEqual([['log']]);
    expect(mentions('modelyard-artifact://_id/x, MODELYARD_URL, /usr/bin/modelyard x')).toEqual([]);
  });

  it('exist: each runs with --help, exit 0, and its help is its own', { timeout: 120_000 }, async () => {
    const found = collectMentions();
    // The docs do name commands: an empty list would mean the search is broken, not that all is well.
    expect(found.map((m) => m.words[0])).toEqual(expect.arrayContaining(['serve', 'agent', 'login', 'user']));

    const helps = new Map<string, Promise<{ code: number | null; output: string }>>();
    const help = (words: string[]) => {
      const key = words.join(' ');
      if (!helps.has(key)) helps.set(key, runCli([...words, '--help']));
      return helps.get(key)!;
    };
    // Start every command's help at once: each is a Node process, mostly waiting on start-up.
    for (const command of new Set(found.map((m) => m.words[0]!))) void help([command]);
    const problems: string[] = [];
    for (const { words, where } of found) {
      const [command, second] = words as [string, string | undefined];
      const top = await help([command]);
      if (top.code !== 0 || !top.output.includes(`Usage: modelyard ${command} `)) {
        problems.push(`${where}: \`modelyard ${command}\` is not a command (exit ${top.code}, help: ${top.output.split('\n')[0]})`);
        continue;
      }
      const subcommands = subcommandsIn(top.output);
      // A command with subcommands is always mentioned with one of them; for others the second word is an argument.
      if (subcommands.length === 0) continue;
      if (second === undefined || !subcommands.includes(second)) {
        problems.push(`${where}: \`modelyard ${words.join(' ')}\` names no subcommand of ${command} (${subcommands.join(', ')})`);
        continue;
      }
      const sub = await help([command, second]);
      if (sub.code !== 0 || !sub.output.includes(`Usage: modelyard ${command} ${second} `)) {
        problems.push(`${where}: \`modelyard ${command} ${second} --help\` failed (exit ${sub.code})`);
      }
    }
    expect(problems).toEqual([]);
  });
});
