// A minimal webhook receiver run as a separate process by the benchmarks, so the receiver does not share the
// sender's event loop: node:http on 127.0.0.1:0, answers every POST with 200, counts them.
// Protocol: prints `{"port":N}` on stdout once listening; `GET /stats` answers `{"received":N}`; a line `N` on stdin
// asks to be told when N requests have been received: the answer is the line `{"reached":N}` on stdout (so the
// sender's process need not poll while it is being measured); exits on SIGTERM or when stdin closes (the parent
// died). A JSON body with an `"at"` field (an ISO time, e.g. the template variable `${timestamp}`: when the event was
// committed) has its age on arrival recorded; `GET /latency` answers their count, p50, p99 and max in ms and starts a
// new series — with `?since=T` (epoch ms), one of the events committed at T or later only (a benchmark's warm-up is
// left out of its figures: its deliveries may still be arriving when the measured part starts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

let received = 0;
let waits: number[] = [];
let ages: number[] = [];
let agesSince = 0;

function recordAge(body: string): void {
  const at = /"at":"([^"]+)"/.exec(body)?.[1];
  if (at === undefined) return;
  const committedAt = Date.parse(at);
  if (committedAt >= agesSince) ages.push(Date.now() - committedAt);
}

function latencyReport(): { count: number; p50: number; p99: number; max: number } {
  const sorted = ages.sort((a, b) => a - b);
  ages = [];
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 };
}

function answerWaits(): void {
  if (waits.length === 0 || waits[0]! > received) return;
  const reached = waits.filter((n) => n <= received);
  waits = waits.filter((n) => n > received);
  for (const n of reached) process.stdout.write(`${JSON.stringify({ reached: n })}\n`);
}
const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ received }));
    return;
  }
  if (req.method === 'GET' && req.url?.startsWith('/latency')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(latencyReport()));
    agesSince = Number(new URL(req.url, 'http://receiver').searchParams.get('since') ?? 0);
    return;
  }
  let body = '';
  req.on('data', (chunk: Buffer) => {
    if (body.length < 4096) body += chunk.toString('utf8');
  });
  req.on('end', () => {
    received += 1;
    recordAge(body);
    answerWaits();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' });
    res.end('{}');
  });
});
// Senders keep connections open for the whole run; Node's 5 s default would close idle ones mid-benchmark.
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
const stop = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
let input = '';
process.stdin.on('data', (chunk: Buffer) => {
  input += chunk.toString('utf8');
  const lines = input.split('\n');
  input = lines.pop() ?? '';
  for (const line of lines) if (line.trim()) waits.push(Number(line));
  waits.sort((a, b) => a - b);
  answerWaits();
});
