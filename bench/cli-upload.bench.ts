// CLI memory benchmark: a 200 MB file logged with `modelyard artifact log`, then fetched with `modelyard download`,
// each in its own process of the built CLI, with that process's peak resident memory (maxRSS from
// process.resourceUsage(), reported on exit by a one-line preload). The client streams the multipart body from read
// streams and the download to disk, so the peak should be Node plus a few chunks — far below the file's size.
//
//   npx tsc -p tsconfig.build.json && npx tsx bench/cli-upload.bench.ts   (SQLite in a temp dir; writes
//   bench/results/cli-upload.json)
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { bootstrapFirstAdmin, startServer } from '../src/server.js';

const FILE_BYTES = 200 * 1024 * 1024;
const TARGET = { peakRssMb: 100 };
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(root, 'dist/src/cli/main.js');

/** Loaded before the CLI: prints the process's peak RSS (kB) on stderr as it exits, however it exits. */
const PEAK_RSS_PRELOAD = `data:text/javascript,${encodeURIComponent(
  "import fs from 'node:fs'; process.on('exit', () => fs.writeSync(2, '\\nPEAK_RSS_KB ' + process.resourceUsage().maxRSS + '\\n'));",
)}`;

function writeBigFile(file: string): void {
  const block = crypto.randomBytes(1024 * 1024);
  const fd = fs.openSync(file, 'w');
  try {
    for (let written = 0; written < FILE_BYTES; written += block.length) fs.writeSync(fd, block);
  } finally {
    fs.closeSync(fd);
  }
}

async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string; peakRssKb: number; seconds: number }> {
  const started = process.hrtime.bigint();
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', PEAK_RSS_PRELOAD, CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peak = /PEAK_RSS_KB (\d+)/.exec(result.stderr);
  if (result.code !== 0 || !peak) throw new Error(`modelyard ${args.join(' ')} exited with ${result.code}: ${result.stderr}`);
  return { stdout: result.stdout, peakRssKb: Number(peak[1]), seconds };
}

const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10;

async function main(): Promise<void> {
  if (!fs.existsSync(CLI)) throw new Error(`build the CLI first: npx tsc -p tsconfig.build.json (${CLI} is missing)`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'modelyard-cli-bench-'));
  const config = loadConfig({ MODELYARD_DATA_DIR: path.join(work, 'data'), MODELYARD_PORT: '0', MODELYARD_HOST: '127.0.0.1', MODELYARD_LOG_LEVEL: 'silent' });
  const server = await startServer(config, createLogger('silent'), { role: 'api', ui: false });
  try {
    const admin = await bootstrapFirstAdmin(server.ctx);
    if (!admin) throw new Error('expected a fresh database');
    const url = server.url!.replace('0.0.0.0', '127.0.0.1');
    const team = await fetch(`${url}/api/v1/teams`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench' }),
    });
    if (team.status !== 201) throw new Error(`creating the team failed: ${team.status} ${await team.text()}`);
    const file = path.join(work, 'weights.bin');
    writeBigFile(file);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: work, MODELYARD_URL: url, MODELYARD_API_KEY: admin.apiKey, MODELYARD_TEAM: 'bench' };
    const loadAverage = os.loadavg()[0]!;
    const baseline = await runCli(['model', 'ls', '--json'], env);
    const upload = await runCli(['artifact', 'log', 'bench/big', '--type', 'model', file, '--json'], env);
    const logged = JSON.parse(upload.stdout) as { ref: string; size: number };
    if (logged.size !== FILE_BYTES) throw new Error(`uploaded ${logged.size} bytes, expected ${FILE_BYTES}`);
    const download = await runCli(['download', logged.ref, '--to', path.join(work, 'download'), '--json'], env);
    if (fs.statSync(path.join(work, 'download/weights.bin')).size !== FILE_BYTES) throw new Error('the download is incomplete');
    const report = {
      benchmark: 'cli-upload',
      target: TARGET,
      machine: { cpus: os.cpus().length, node: process.version },
      fileMb: FILE_BYTES / 1024 / 1024,
      result: {
        smallCommandPeakRssMb: mb(baseline.peakRssKb),
        peakRssUploadMb: mb(upload.peakRssKb),
        peakRssDownloadMb: mb(download.peakRssKb),
        uploadSeconds: Math.round(upload.seconds * 100) / 100,
        downloadSeconds: Math.round(download.seconds * 100) / 100,
        uploadMbPerSecond: Math.round(FILE_BYTES / 1024 / 1024 / upload.seconds),
        loadAverage: Math.round(loadAverage * 100) / 100,
      },
      met: mb(upload.peakRssKb) < TARGET.peakRssMb && mb(download.peakRssKb) < TARGET.peakRssMb,
    };
    fs.mkdirSync(path.join(root, 'bench/results'), { recursive: true });
    fs.writeFileSync(path.join(root, 'bench/results/cli-upload.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.table([report.result]);
    console.log(
      `peak RSS of the CLI process: ${report.result.peakRssUploadMb} MB for a ${report.fileMb} MB upload, ${report.result.peakRssDownloadMb} MB for its download ` +
        `(target < ${TARGET.peakRssMb} MB: ${report.met ? 'met' : 'NOT met'}); results in bench/results/cli-upload.json`,
    );
    if (!report.met) process.exitCode = 1;
  } finally {
    await server.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();
