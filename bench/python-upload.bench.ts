// Python SDK memory benchmark: a 200 MB file logged through `Modelyard.log_artifact` in a child python3 process,
// then downloaded again, with the process's peak resident memory (VmHWM) read after each. The SDK streams both ways
// in 1 MiB chunks, so the peak should be the interpreter plus a few chunks — far below the file's size.
//
//   npx tsx bench/python-upload.bench.ts        (SQLite in a temp dir; writes bench/results/python-upload.json)
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

// Runs in the child: VmHWM (peak RSS) and VmRSS from /proc, in kB, at three points.
const SCRIPT = `
import json, sys, time
def status():
    fields = {}
    with open("/proc/self/status") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                fields[key] = int(value.split()[0])
    return fields
from modelyard import Modelyard
baseline = status()
my = Modelyard(progress=False)
started = time.monotonic()
av = my.log_artifact("bench/big", type="model", paths=[sys.argv[1]])
upload_seconds = time.monotonic() - started
after_upload = status()
started = time.monotonic()
my.download(av.ref, to=sys.argv[2])
download_seconds = time.monotonic() - started
after_download = status()
print(json.dumps({"ref": av.ref, "size": av.size, "baseline": baseline, "afterUpload": after_upload,
                  "afterDownload": after_download, "uploadSeconds": upload_seconds, "downloadSeconds": download_seconds}))
`;

interface ChildReport {
  ref: string;
  size: number;
  baseline: { VmHWM: number; VmRSS: number };
  afterUpload: { VmHWM: number; VmRSS: number };
  afterDownload: { VmHWM: number; VmRSS: number };
  uploadSeconds: number;
  downloadSeconds: number;
}

/** A file of FILE_BYTES written 1 MiB at a time (random content, so nothing downstream can compress it away). */
function writeBigFile(file: string): void {
  const block = crypto.randomBytes(1024 * 1024);
  const fd = fs.openSync(file, 'w');
  try {
    for (let written = 0; written < FILE_BYTES; written += block.length) fs.writeSync(fd, block);
  } finally {
    fs.closeSync(fd);
  }
}

function runPython(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', SCRIPT, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10;

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'modelyard-python-bench-'));
  const config = loadConfig({
    MODELYARD_DATA_DIR: path.join(work, 'data'),
    MODELYARD_PORT: '0',
    MODELYARD_HOST: '127.0.0.1',
    MODELYARD_LOG_LEVEL: 'silent',
  });
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
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PYTHONPATH: path.join(root, 'clients/python'),
      MODELYARD_URL: url,
      MODELYARD_API_KEY: admin.apiKey,
      MODELYARD_TEAM: 'bench',
    };
    const loadAverage = os.loadavg()[0]!;
    const result = await runPython([file, path.join(work, 'download')], env);
    if (result.code !== 0) throw new Error(`python exited with ${result.code}: ${result.stderr}`);
    const child = JSON.parse(result.stdout) as ChildReport;
    if (child.size !== FILE_BYTES) throw new Error(`uploaded ${child.size} bytes, expected ${FILE_BYTES}`);
    const peakUploadMb = mb(child.afterUpload.VmHWM);
    const peakDownloadMb = mb(child.afterDownload.VmHWM);
    const report = {
      benchmark: 'python-upload',
      target: TARGET,
      machine: { cpus: os.cpus().length, node: process.version, python: (await pythonVersion()).trim() },
      fileMb: FILE_BYTES / 1024 / 1024,
      result: {
        interpreterWithSdkRssMb: mb(child.baseline.VmRSS),
        peakRssAfterUploadMb: peakUploadMb,
        peakRssAfterDownloadMb: peakDownloadMb,
        uploadSeconds: Math.round(child.uploadSeconds * 100) / 100,
        downloadSeconds: Math.round(child.downloadSeconds * 100) / 100,
        uploadMbPerSecond: Math.round(FILE_BYTES / 1024 / 1024 / child.uploadSeconds),
        loadAverage: Math.round(loadAverage * 100) / 100,
      },
      met: peakUploadMb < TARGET.peakRssMb && peakDownloadMb < TARGET.peakRssMb,
    };
    fs.mkdirSync(path.join(root, 'bench/results'), { recursive: true });
    fs.writeFileSync(path.join(root, 'bench/results/python-upload.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.table([report.result]);
    console.log(
      `peak RSS of the python process: ${peakUploadMb} MB after a ${report.fileMb} MB upload, ${peakDownloadMb} MB after downloading it ` +
        `(target < ${TARGET.peakRssMb} MB: ${report.met ? 'met' : 'NOT met'}); results in bench/results/python-upload.json`,
    );
    if (!report.met) process.exitCode = 1;
  } finally {
    await server.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function pythonVersion(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
}

await main();
