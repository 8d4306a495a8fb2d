// Raw HTTP baseline: the delivery worker's own WebhookClient POSTing prebuilt bodies to a receiver in another
// process, as fast as `concurrency` requests in flight allow. The end-to-end benchmark divides by this figure.
//
//   npx tsx bench/http-baseline.ts        32 in flight, 300-byte body, 5 s
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseCidrList } from '../src/core/ip.js';
import { WebhookClient } from '../src/delivery/http-client.js';

export interface BaselineResult {
  requests: number;
  perSecond: number;
  /** CPU time of the sending process per request. */
  cpuUsPerRequest: number;
  p50Ms: number;
  p99Ms: number;
}

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, index)]! * 100) / 100;
}

export async function runHttpBaseline(options: { url: string; concurrency: number; durationMs: number; body: string }): Promise<BaselineResult> {
  const client = new WebhookClient({ allow: parseCidrList('127.0.0.0/8') });
  const headers = { 'content-type': 'application/json', 'x-wandb-signature': 'x'.repeat(44), 'webhook-id': 'bench' };
  const latencies: number[] = [];
  let failures = 0;
  try {
    // Warm-up: open the keep-alive connections before measuring.
    await Promise.all(Array.from({ length: options.concurrency }, () => client.send({ url: options.url, headers, body: options.body, timeoutMs: 10_000 })));
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const deadline = started + options.durationMs;
    const worker = async () => {
      while (performance.now() < deadline) {
        const before = performance.now();
        const result = await client.send({ url: options.url, headers, body: options.body, timeoutMs: 10_000 });
        if (result.status !== 200) failures += 1;
        latencies.push(performance.now() - before);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    const elapsed = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    if (failures > 0) throw new Error(`${failures} of ${latencies.length} baseline requests failed`);
    const sorted = Float64Array.from(latencies).sort();
    return {
      requests: latencies.length,
      perSecond: Math.round((latencies.length / elapsed) * 1000),
      cpuUsPerRequest: Math.round(((cpu.user + cpu.system) / latencies.length) * 10) / 10,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
    };
  } finally {
    await client.close();
  }
}

export interface ReceiverProcess {
  url: string;
  /** Requests the receiver has answered so far. */
  received(): Promise<number>;
  /**
   * Ages on arrival of the bodies with an `"at"` time since the last call, in ms (see receiver-process.ts); `since`:
   * the next series counts only events committed from then on (epoch ms).
   */
  latency(since?: number): Promise<{ count: number; p50: number; p99: number; max: number }>;
  /** Resolves once the receiver has answered `count` requests in all (the receiver says so; nothing polls). */
  reached(count: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts bench/receiver-process.ts in a child process and waits until it listens. */
export async function startReceiverProcess(): Promise<ReceiverProcess> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'receiver-process.ts');
  const child: ChildProcess = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const reachedWaiters = new Map<number, Array<() => void>>();
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.once('exit', (code) => reject(new Error(`receiver process exited with ${code} before listening`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const lines = output.split('\n');
      output = lines.pop() ?? '';
      for (const line of lines) {
        const message = JSON.parse(line) as { port?: number; reached?: number };
        if (message.port !== undefined) resolve(message.port);
        if (message.reached !== undefined) {
          for (const wake of reachedWaiters.get(message.reached) ?? []) wake();
          reachedWaiters.delete(message.reached);
        }
      }
    });
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    url: `${base}/hook`,
    async received() {
      const response = await fetch(`${base}/stats`);
      return ((await response.json()) as { received: number }).received;
    },
    async latency(since) {
      const response = await fetch(`${base}/latency${since === undefined ? '' : `?since=${since}`}`);
      return (await response.json()) as { count: number; p50: number; p99: number; max: number };
    },
    reached: (count) =>
      new Promise<void>((resolve) => {
        reachedWaiters.set(count, [...(reachedWaiters.get(count) ?? []), resolve]);
        child.stdin!.write(`${count}\n`);
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A JSON body of exactly `bytes` bytes, shaped like a small webhook payload. */
export function sampleBody(bytes: number): string {
  const base = '{"event_type":"LINK_ARTIFACT","artifact_version_string":"acme/model-registry/classifier:v3","padding":""}';
  if (bytes <= base.length) return base;
  return base.replace('"padding":""', `"padding":"${'x'.repeat(bytes - base.length)}"`);
}

async function main(): Promise<void> {
  const receiver = await startReceiverProcess();
  try {
    const concurrency = 32;
    const durationMs = 5_000;
    const body = sampleBody(300);
    const result = await runHttpBaseline({ url: receiver.url, concurrency, durationMs, body });
    const received = await receiver.received();
    console.log(
      `http baseline (WebhookClient, node:http keep-alive): ${result.perSecond} req/s, ${result.requests} requests, ` +
        `p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms; ${concurrency} in flight, ${Buffer.byteLength(body)}-byte body, ` +
        `${durationMs / 1000} s; receiver counted ${received}`,
    );
  } finally {
    await receiver.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
