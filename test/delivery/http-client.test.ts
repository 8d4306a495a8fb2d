import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseCidrList } from '../../src/core/ip.js';
import { checkWebhookUrl } from '../../src/core/urls.js';
import { WebhookClient, describeNetworkError, type Resolver } from '../../src/delivery/http-client.js';
import { Receiver } from '../helpers/index.js';

const loopbackAllowed = parseCidrList('127.0.0.0/8');

/** A TCP listener that only counts connections: proof that a blocked send never connected. */
class ConnectionCounter {
  connections = 0;
  private server = net.createServer((socket) => {
    this.connections += 1;
    socket.destroy();
  });
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }
  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function fixedResolver(answers: Record<string, string[]>, asked: string[] = []): Resolver {
  return async (hostname) => {
    asked.push(hostname);
    const addresses = answers[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const post = { headers: { 'content-type': 'application/json' }, body: '{"event_type":"LINK_ARTIFACT"}', timeoutMs: 5_000 };

describe('WebhookClient against real receivers (127.0.0.0/8 allowed)', () => {
  let receiver: Receiver;
  let other: Receiver;
  let client: WebhookClient;

  beforeAll(async () => {
    receiver = await new Receiver().start();
    other = await new Receiver().start();
    client = new WebhookClient({ allow: loopbackAllowed });
  });
  afterAll(async () => {
    await client.close();
    await receiver.close();
    await other.close();
  });
  afterEach(() => {
    receiver.requests.length = 0;
    other.requests.length = 0;
    receiver.respondWith(() => ({ status: 200, body: '{"ok":true}' }));
  });

  it('posts the exact body and headers and returns the answer', async () => {
    receiver.respondWith(() => ({ status: 202, headers: { 'x-receiver': 'yes' }, body: 'accepted ✓' }));
    const body = '{\n  "text": "héllo ✓",\n  "n": 1\n}';
    const result = await client.send({ ...post, url: receiver.url('/hook?x=1'), body, headers: { 'X-Wandb-Signature': 'sig', 'webhook-id': 'd-1' } });
    expect(result).toMatchObject({ status: 202, body: 'accepted ✓', error: null, blocked: false, retryAfter: null });
    expect(result.headers['x-receiver']).toBe('yes');
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(receiver.requests).toHaveLength(1);
    const received = receiver.requests[0]!;
    expect(received).toMatchObject({ method: 'POST', url: '/hook?x=1', body });
    expect(received.headers['x-wandb-signature']).toBe('sig');
    expect(received.headers['webhook-id']).toBe('d-1');
    expect(received.headers['content-type']).toBe('application/json');
    expect(received.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(received.headers['user-agent']).toMatch(/Modelyard/);
    expect(received.headers.host).toBe(`127.0.0.1:${receiver.port}`);
  });

  it('sends many requests over kept-alive connections', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => client.send({ ...post, url: receiver.url(`/n/${i}`) })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(receiver.requests).toHaveLength(50);
    const again = await client.send({ ...post, url: receiver.url() });
    expect(again.status).toBe(200);
  });

  it('reads at most 64 KiB of the response body', async () => {
    receiver.respondWith(() => ({ status: 200, body: 'x'.repeat(300 * 1024) }));
    const result = await client.send({ ...post, url: receiver.url() });
    expect(result.status).toBe(200);
    expect(result.body).toHaveLength(64 * 1024);
    const small = new WebhookClient({ allow: loopbackAllowed, maxResponseBytes: 10 });
    try {
      expect((await small.send({ ...post, url: receiver.url() })).body).toBe('xxxxxxxxxx');
    } finally {
      await small.close();
    }
  });

  it('gives up on a hanging receiver after the timeout', async () => {
    receiver.respondWith(() => ({ hang: true }));
    const result = await client.send({ ...post, url: receiver.url(), timeoutMs: 300 });
    expect(result).toMatchObject({ status: null, error: 'timed out after 300 ms', blocked: false });
    expect(receiver.requests).toHaveLength(1);
  });

  it('returns a redirect as it is and does not follow it', async () => {
    receiver.respondWith(() => ({ status: 302, headers: { location: other.url('/elsewhere') } }));
    const result = await client.send({ ...post, url: receiver.url() });
    expect(result.status).toBe(302);
    expect(result.headers.location).toBe(other.url('/elsewhere'));
    expect(other.requests).toHaveLength(0);
  });

  it('reports Retry-After and error statuses', async () => {
    receiver.respondWith(() => ({ status: 429, headers: { 'retry-after': '30' }, body: 'slow down' }));
    expect(await client.send({ ...post, url: receiver.url() })).toMatchObject({ status: 429, retryAfter: '30', body: 'slow down', error: null });
    receiver.respondWith(() => ({ status: 410 }));
    expect((await client.send({ ...post, url: receiver.url() })).status).toBe(410);
  });

  it('reports a refused connection in plain words', async () => {
    const port = await freePort();
    const result = await client.send({ ...post, url: `http://127.0.0.1:${port}/hook` });
    expect(result).toMatchObject({ status: null, error: 'connection refused', blocked: false });
  });

  it('connects a name to exactly the address the resolver vetted, keeping the name in Host', async () => {
    const asked: string[] = [];
    const pinned = new WebhookClient({ allow: loopbackAllowed, resolver: fixedResolver({ 'hooks.example.test': ['127.0.0.1'] }, asked) });
    try {
      const result = await pinned.send({ ...post, url: `http://hooks.example.test:${receiver.port}/named` });
      expect(result.status).toBe(200);
      expect(asked).toEqual(['hooks.example.test']);
      expect(receiver.requests[0]!.headers.host).toBe(`hooks.example.test:${receiver.port}`);
    } finally {
      await pinned.close();
    }
  });

  it('refuses a request whose header would break the request line, without throwing', async () => {
    const result = await client.send({ ...post, url: receiver.url(), headers: { 'x-bad': 'a\r\nInjected: 1' } });
    expect(result.status).toBeNull();
    expect(result.error).toMatch(/invalid request/);
    expect(receiver.requests).toHaveLength(0);
  });
});

describe('WebhookClient against misbehaving servers', () => {
  let server: http.Server;
  let port: number;
  let behaviour: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  const client = new WebhookClient({ allow: loopbackAllowed });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => behaviour(req, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reports a connection closed in the middle of the response body', async () => {
    behaviour = (_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 20);
    };
    const result = await client.send({ ...post, url: `http://127.0.0.1:${port}/` });
    expect(result).toMatchObject({ status: null, error: 'connection closed while reading the response', blocked: false });
  });

  it('reports a connection closed before any response', async () => {
    behaviour = (req) => req.socket.destroy();
    const result = await client.send({ ...post, url: `http://127.0.0.1:${port}/` });
    expect(result).toMatchObject({ status: null, error: 'connection reset by the server', blocked: false });
  });

  it('reports an answer that is not HTTP', async () => {
    behaviour = (req) => {
      req.socket.end('SSH-2.0-OpenSSH_9.6\r\n');
    };
    const result = await client.send({ ...post, url: `http://127.0.0.1:${port}/` });
    expect(result).toMatchObject({ status: null, error: 'invalid HTTP response' });
  });

  it('keeps sending while the server drops idle keep-alive connections quickly', async () => {
    behaviour = (_req, res) => res.end('{}');
    server.keepAliveTimeout = 5;
    const statuses: Array<number | null> = [];
    for (let i = 0; i < 20; i += 1) {
      statuses.push((await client.send({ ...post, url: `http://127.0.0.1:${port}/` })).status);
      await new Promise((resolve) => setTimeout(resolve, i % 5));
    }
    expect(statuses).toEqual(Array(20).fill(200));
  });
});

describe('describeNetworkError', () => {
  const table: Array<[string | undefined, string]> = [
    ['ECONNREFUSED', 'connection refused'],
    ['ECONNRESET', 'connection reset by the server'],
    ['EHOSTUNREACH', 'host unreachable'],
    ['ENETUNREACH', 'network unreachable'],
    ['ENOTFOUND', 'the host name does not resolve'],
    ['EAI_AGAIN', 'temporary DNS failure'],
    ['CERT_HAS_EXPIRED', 'TLS certificate has expired'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'TLS certificate does not match the host name'],
    ['HPE_INVALID_CONSTANT', 'invalid HTTP response'],
    ['EWEIRD', 'network error (EWEIRD)'],
    [undefined, 'network error'],
  ];
  it.each(table)('%s → %s', (code, message) => {
    expect(describeNetworkError(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:80 secret details'), { code }))).toBe(message);
  });
});

describe('WebhookClient over TLS to a pinned address', () => {
  let server: https.Server;
  let port: number;
  let cert: string;
  const servernames: Array<string | false | null> = [];

  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelyard-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=hooks.example.test', '-addext', 'subjectAltName=DNS:hooks.example.test',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    cert = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
    const key = fs.readFileSync(path.join(dir, 'key.pem'), 'utf8');
    fs.rmSync(dir, { recursive: true });
    server = https.createServer({ key, cert }, (req, res) => {
      servernames.push((req.socket as TLSSocket).servername);
      req.resume();
      req.on('end', () => res.end(`{"host":${JSON.stringify(req.headers.host)}}`));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends SNI and checks the certificate against the name while connecting to the vetted address', async () => {
    const client = new WebhookClient({ allow: loopbackAllowed, extraCa: [cert], resolver: fixedResolver({ 'hooks.example.test': ['127.0.0.1'] }) });
    try {
      const result = await client.send({ ...post, url: `https://hooks.example.test:${port}/hook` });
      expect(result).toMatchObject({ status: 200, error: null });
      expect(JSON.parse(result.body)).toEqual({ host: `hooks.example.test:${port}` });
      expect(servernames.at(-1)).toBe('hooks.example.test');
    } finally {
      await client.close();
    }
  });

  it('refuses a certificate for another name, and an untrusted one', async () => {
    const client = new WebhookClient({ allow: loopbackAllowed, extraCa: [cert], resolver: fixedResolver({ 'other.example.test': ['127.0.0.1'] }) });
    const untrusting = new WebhookClient({ allow: loopbackAllowed, resolver: fixedResolver({ 'hooks.example.test': ['127.0.0.1'] }) });
    try {
      expect(await client.send({ ...post, url: `https://other.example.test:${port}/hook` })).toMatchObject({
        status: null,
        error: 'TLS certificate does not match the host name',
      });
      expect(await untrusting.send({ ...post, url: `https://hooks.example.test:${port}/hook` })).toMatchObject({
        status: null,
        error: 'TLS certificate is self-signed',
      });
    } finally {
      await client.close();
      await untrusting.close();
    }
  });
});

describe('SSRF', () => {
  // Every one is refused when saved (no allow list) and again when sent.
  const hostileUrls = [
    'http://127.0.0.1/',
    'https://127.0.0.1/',
    'https://127.0.0.1:8443/admin',
    'https://2130706433/',
    'https://0x7f000001/',
    'https://0177.0.0.1/',
    'https://0x7f.1/',
    'https://127.1/',
    'https://127.0.1/',
    'https://0/',
    'https://0.0.0.0/',
    'https://10.0.0.1/',
    'https://012.0.0.1/',
    'https://172.16.0.1/',
    'https://192.168.0.1/',
    'https://3232235521/',
    'https://169.254.169.254/latest/meta-data/',
    'https://0xa9fea9fe/',
    'https://100.100.100.200/',
    'https://100.64.0.1/',
    'https://127.0.0.1./',
    'https://%31%32%37.0.0.1/',
    'https://１２７.０.０.１/',
    'https://[::1]/',
    'https://[0:0:0:0:0:0:0:1]/',
    'https://[::]/',
    'https://[::ffff:127.0.0.1]/',
    'https://[::ffff:7f00:1]/',
    'https://[::ffff:169.254.169.254]/',
    'https://[64:ff9b::7f00:1]/',
    'https://[2002:7f00:1::]/',
    'https://[fe80::1]/',
    'https://[fd00:ec2::254]/',
    'https://[fc00::1]/',
    'https://8.8.8.8/',
    'https://[2606:4700:4700::1111]/',
    'https://localhost/',
    'https://LocalHost:3000/',
    'https://localhost./',
    'https://admin.localhost/',
    'https://localhost.localdomain/',
    'https://ip6-localhost/',
    'https://user:password@example.com/',
    'https://token@example.com/',
    'http://example.com/',
    'ftp://example.com/',
    'file:///etc/passwd',
    'gopher://example.com:70/',
    'data:text/plain,hello',
    'javascript:alert(1)',
    '//example.com/',
    'example.com',
  ];

  it(`refuses ${hostileUrls.length} hostile URLs at save time`, () => {
    expect(hostileUrls.length).toBeGreaterThanOrEqual(40);
    const accepted = hostileUrls.filter((url) => checkWebhookUrl(url, []).ok);
    expect(accepted).toEqual([]);
  });

  it('refuses the same URLs at send time without resolving or connecting', async () => {
    const asked: string[] = [];
    const client = new WebhookClient({ allow: [], resolver: fixedResolver({}, asked) });
    try {
      for (const url of hostileUrls) {
        const result = await client.send({ ...post, url });
        expect(result, url).toMatchObject({ status: null, blocked: true });
        expect(result.error, url).toBeTruthy();
      }
      expect(asked).toEqual([]);
    } finally {
      await client.close();
    }
  });

  const hostileAnswers: Array<[string, string[]]> = [
    ['loopback', ['127.0.0.1']],
    ['loopback elsewhere in 127/8', ['127.0.0.2']],
    ['IPv6 loopback', ['::1']],
    ['private 10/8', ['10.0.0.5']],
    ['private 172.16/12', ['172.20.1.1']],
    ['private 192.168/16', ['192.168.1.10']],
    ['cloud metadata', ['169.254.169.254']],
    ['AWS IPv6 metadata', ['fd00:ec2::254']],
    ['Alibaba metadata', ['100.100.100.200']],
    ['CGNAT', ['100.64.1.1']],
    ['unspecified', ['0.0.0.0']],
    ['this network', ['0.1.2.3']],
    ['IPv4-mapped loopback', ['::ffff:127.0.0.1']],
    ['IPv4-mapped metadata', ['::ffff:169.254.169.254']],
    ['NAT64 loopback', ['64:ff9b::7f00:1']],
    ['6to4 private', ['2002:a00:1::1']],
    ['link-local IPv6', ['fe80::1']],
    ['unique local', ['fd12::1']],
    ['multicast', ['224.0.0.251']],
    ['one public and one private address', ['93.184.215.14', '127.0.0.1']],
    ['one private address after public ones', ['2606:2800:21f:cb07:6820:80da:af6b:8b2c', '93.184.215.14', '10.1.1.1']],
  ];

  it.each(hostileAnswers)('blocks a public-looking name resolving to %s, without connecting', async (_case, addresses) => {
    const counter = await new ConnectionCounter().start();
    const client = new WebhookClient({ allow: [], resolver: fixedResolver({ 'hooks.example.com': addresses }) });
    try {
      const result = await client.send({ ...post, url: `https://hooks.example.com:${counter.port}/hook` });
      expect(result).toMatchObject({ status: null, blocked: true, body: '' });
      expect(result.error).toMatch(/^the target resolves to /);
      for (const address of addresses) expect(result.error).not.toContain(address);
      expect(counter.connections).toBe(0);
    } finally {
      await client.close();
      await counter.close();
    }
  });

  it('would have connected if the network were allowed (the counter sees connections)', async () => {
    const counter = await new ConnectionCounter().start();
    const client = new WebhookClient({ allow: loopbackAllowed, resolver: fixedResolver({ 'hooks.example.com': ['127.0.0.1'] }) });
    try {
      const result = await client.send({ ...post, url: `https://hooks.example.com:${counter.port}/hook` });
      expect(result.blocked).toBe(false);
      expect(result.status).toBeNull();
      expect(counter.connections).toBe(1);
    } finally {
      await client.close();
      await counter.close();
    }
  });

  it('refuses plain http to a name unless every address is allow-listed', async () => {
    const counter = await new ConnectionCounter().start();
    const client = new WebhookClient({ allow: loopbackAllowed, resolver: fixedResolver({ 'ci.example.com': ['93.184.215.14'] }) });
    try {
      const result = await client.send({ ...post, url: `http://ci.example.com:${counter.port}/hook` });
      expect(result).toMatchObject({ blocked: true, error: expect.stringMatching(/http is only allowed/) });
      expect(counter.connections).toBe(0);
    } finally {
      await client.close();
      await counter.close();
    }
  });

  it('reports a name that does not resolve as a network error, not a block', async () => {
    const client = new WebhookClient({ allow: [], resolver: fixedResolver({}) });
    try {
      expect(await client.send({ ...post, url: 'https://nowhere.example.com/' })).toMatchObject({
        status: null,
        blocked: false,
        error: 'the host name does not resolve',
      });
    } finally {
      await client.close();
    }
  });

  it('applies the timeout to a resolver that never answers', async () => {
    const client = new WebhookClient({ allow: [], resolver: () => new Promise(() => {}) });
    try {
      expect(await client.send({ ...post, url: 'https://slow-dns.example.com/', timeoutMs: 200 })).toMatchObject({
        error: 'timed out after 200 ms',
        blocked: false,
      });
    } finally {
      await client.close();
    }
  });
});
