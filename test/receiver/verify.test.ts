// verifyDelivery (src/receiver/verify.ts) against the Standard Webhooks specification's test vector and the cases of
// its libraries' test suites, the standardwebhooks package's own signatures, and the X-Wandb-Signature recipe.
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { verifyDelivery } from '../../src/receiver/index.js';

// The Standard Webhooks test vector (the specification's libraries test with it).
const VECTOR = {
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

function vectorHeaders(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.timestamp), 'webhook-signature': VECTOR.signature, ...overrides };
}

const verifyVector = (headers: Record<string, string | undefined>, body: string | Uint8Array = VECTOR.body, nowSeconds = VECTOR.timestamp) =>
  verifyDelivery({ body, headers, secret: VECTOR.secret, nowSeconds });

describe('Standard Webhooks', () => {
  it('accepts the specification test vector, as a string, bytes, or a Fetch Headers object', () => {
    expect(verifyVector(vectorHeaders())).toEqual({ ok: true, scheme: 'standard-webhooks', id: VECTOR.id, timestamp: VECTOR.timestamp });
    expect(verifyVector(vectorHeaders(), Buffer.from(VECTOR.body)).ok).toBe(true);
    const fetchHeaders = new Headers(vectorHeaders() as Record<string, string>);
    expect(verifyDelivery({ body: VECTOR.body, headers: fetchHeaders, secret: VECTOR.secret, nowSeconds: VECTOR.timestamp }).ok).toBe(true);
    const upper = Object.fromEntries(Object.entries(vectorHeaders()).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifyVector(upper).ok).toBe(true);
  });

  it('accepts any v1 signature of several in one header, and ignores other versions', () => {
    const good = VECTOR.signature;
    const several = `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,${good.slice(3)} v1a,${good.slice(3)} ${good}`;
    expect(verifyVector(vectorHeaders({ 'webhook-signature': several })).ok).toBe(true);
    expect(verifyVector(vectorHeaders({ 'webhook-signature': `v2,${good.slice(3)}` }))).toEqual({ ok: false, reason: expect.stringContaining('no webhook-signature') });
    expect(verifyVector(vectorHeaders({ 'webhook-signature': good.slice(3) })).ok).toBe(false);
    expect(verifyVector(vectorHeaders({ 'webhook-signature': good.slice(0, -4) })).ok).toBe(false);
    expect(verifyVector(vectorHeaders({ 'webhook-signature': '' })).ok).toBe(false);
  });

  it('refuses a changed body, id or secret', () => {
    expect(verifyVector(vectorHeaders(), '{"test": 2432232315}').ok).toBe(false);
    expect(verifyVector(vectorHeaders({ 'webhook-id': 'msg_other' })).ok).toBe(false);
    const other = verifyDelivery({ body: VECTOR.body, headers: vectorHeaders(), secret: `whsec_${Buffer.from('other').toString('base64')}`, nowSeconds: VECTOR.timestamp });
    expect(other.ok).toBe(false);
  });

  it('refuses timestamps outside the tolerance (default five minutes, either way) and ones that are not whole seconds', () => {
    expect(verifyVector(vectorHeaders(), VECTOR.body, VECTOR.timestamp + 300).ok).toBe(true);
    expect(verifyVector(vectorHeaders(), VECTOR.body, VECTOR.timestamp + 301)).toEqual({ ok: false, reason: expect.stringContaining('300 seconds') });
    expect(verifyVector(vectorHeaders(), VECTOR.body, VECTOR.timestamp - 301).ok).toBe(false);
    const wide = verifyDelivery({ body: VECTOR.body, headers: vectorHeaders(), secret: VECTOR.secret, nowSeconds: VECTOR.timestamp + 3000, toleranceSeconds: 3600 });
    expect(wide.ok).toBe(true);
    for (const timestamp of ['soon', '1614265330.5', '-1614265330', '1_614_265_330', '']) {
      expect(verifyVector(vectorHeaders({ 'webhook-timestamp': timestamp })).ok, timestamp).toBe(false);
    }
    // Against the real clock the 2021 vector is stale.
    expect(verifyDelivery({ body: VECTOR.body, headers: vectorHeaders(), secret: VECTOR.secret }).ok).toBe(false);
  });

  it('verifies what the standardwebhooks package signs, keyed with a whsec_ key or with a plain secret as Modelyard does', () => {
    const now = new Date();
    for (const secret of ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 's3cr3t-ünïcode', 'whsec_not base64!']) {
      const key = secret.startsWith('whsec_') && !secret.includes(' ') ? secret : Buffer.from(secret, 'utf8').toString('base64');
      const signature = new Webhook(key).sign('msg_1', now, '{"a":"é"}');
      const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': signature };
      expect(verifyDelivery({ body: '{"a":"é"}', headers, secret }).ok, secret).toBe(true);
    }
  });

  it('decides alone when its headers are there: a valid X-Wandb-Signature does not rescue a stale timestamp', () => {
    const wandb = createHmac('sha256', VECTOR.secret).update(VECTOR.body).digest('base64');
    expect(verifyVector(vectorHeaders({ 'x-wandb-signature': wandb }), VECTOR.body, VECTOR.timestamp + 1000).ok).toBe(false);
  });
});

describe('X-Wandb-Signature', () => {
  const body = '{"event_type":"LINK_ARTIFACT"}';
  // echo -n "$PAYLOAD" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64
  const signature = createHmac('sha256', 's3cr3t').update(body).digest('base64');

  it('accepts the HMAC of the exact body bytes', () => {
    expect(verifyDelivery({ body, headers: { 'X-Wandb-Signature': signature }, secret: 's3cr3t' })).toEqual({ ok: true, scheme: 'wandb' });
    expect(verifyDelivery({ body: Buffer.from(body), headers: { 'x-wandb-signature': ` ${signature} ` }, secret: 's3cr3t' }).ok).toBe(true);
  });

  it('refuses another body, another secret, a malformed header, no header and no secret', () => {
    expect(verifyDelivery({ body: '{"event_type": "LINK_ARTIFACT"}', headers: { 'x-wandb-signature': signature }, secret: 's3cr3t' }).ok).toBe(false);
    expect(verifyDelivery({ body, headers: { 'x-wandb-signature': signature }, secret: 'other' }).ok).toBe(false);
    expect(verifyDelivery({ body, headers: { 'x-wandb-signature': 'not base64 ✓' }, secret: 's3cr3t' }).ok).toBe(false);
    expect(verifyDelivery({ body, headers: {}, secret: 's3cr3t' })).toEqual({ ok: false, reason: expect.stringContaining('no signature') });
    expect(verifyDelivery({ body, headers: { 'x-wandb-signature': signature }, secret: '' }).ok).toBe(false);
  });
});
