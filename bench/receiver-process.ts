// A minimal webhook receiver run as a separate process by the benchmarks, so the receiver does not share the
// sender's event loop: node:http on 127.0.0.1:0, answers every POST with 200, counts them.
// Protocol: prints `{"port":N}` on stdout once listening; `GET /stats` answers `{"received":N}`; exits on SIGTERM
// or when stdin closes (the parent died).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

let received = 0;
const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ received }));
    return;
  }
  req.on('data', () => {});
  req.on('end', () => {
    received += 1;
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
process.stdin.resume();
