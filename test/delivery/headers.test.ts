import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { buildDeliveryHeaders, DELIVERY_USER_AGENT, hideCustomHeaders, redactHeaders } from '../../src/delivery/headers.js';
import { wandbSignature } from '../../src/core/signatures.js';

const body = '{"event_type":"LINK_ARTIFACT","ref":"vision/model-registry/classifier:v3"}';
const timestamp = new Date('2026-11-26T12:00:00.000Z');

describe('buildDeliveryHeaders', () => {
  it('signs with the secret both ways and sends the access token as a bearer token', () => {
    const headers = buildDeliveryHeaders({ deliveryId: 'run_1', body, secret: 'shh', accessToken: 'tok-123', timestamp });
    expect(headers).toEqual({
      'Content-Type': 'application/json',
      'User-Agent': DELIVERY_USER_AGENT,
      Authorization: 'Bearer tok-123',
      'X-Wandb-Signature': wandbSignature('shh', body),
      'webhook-id': 'run_1',
      'webhook-timestamp': String(timestamp.getTime() / 1000),
      'webhook-signature': expect.stringMatching(/^v1,/),
    });
  });

  it('takes epoch seconds as well as a Date', () => {
    const fromDate = buildDeliveryHeaders({ deliveryId: 'd', body, secret: 's', accessToken: null, timestamp });
    const fromSeconds = buildDeliveryHeaders({ deliveryId: 'd', body, secret: 's', accessToken: null, timestamp: timestamp.getTime() / 1000 });
    expect(fromSeconds).toEqual(fromDate);
  });

  it('sends neither signature nor Authorization without a secret and a token, but keeps id and timestamp', () => {
    const headers = buildDeliveryHeaders({ deliveryId: 'd', body, secret: null, accessToken: null, timestamp });
    expect(Object.keys(headers).sort()).toEqual(['Content-Type', 'User-Agent', 'webhook-id', 'webhook-timestamp']);
  });

  it('verifies with standardwebhooks when the timestamp is current', () => {
    const now = new Date();
    const headers = buildDeliveryHeaders({ deliveryId: 'msg_1', body, secret: 'a secret with spaces', accessToken: null, timestamp: now });
    const payload = new Webhook(Buffer.from('a secret with spaces').toString('base64')).verify(body, {
      'webhook-id': headers['webhook-id']!,
      'webhook-timestamp': headers['webhook-timestamp']!,
      'webhook-signature': headers['webhook-signature']!,
    });
    expect(payload).toEqual(JSON.parse(body));
  });
});

describe('redactHeaders', () => {
  it('hides the access token and both signatures in any letter case', () => {
    const headers = buildDeliveryHeaders({ deliveryId: 'd', body, secret: 's', accessToken: 'tok', timestamp });
    const redacted = redactHeaders({ ...headers, authorization: 'Bearer other' });
    expect(redacted.Authorization).toBe('Bearer [redacted]');
    expect(redacted.authorization).toBe('Bearer [redacted]');
    expect(redacted['X-Wandb-Signature']).toBe('[redacted]');
    expect(redacted['webhook-signature']).toBe('[redacted]');
    expect(redactHeaders({ 'x-wandb-signature': 'abc', 'Webhook-Signature': 'v1,abc' })).toEqual({ 'x-wandb-signature': '[redacted]', 'Webhook-Signature': '[redacted]' });
    expect(redacted['webhook-id']).toBe('d');
    expect(JSON.stringify(redacted)).not.toContain('tok"');
  });
});

describe('custom headers', () => {
  it('are sent before the sender\'s own, which a stored list cannot replace', () => {
    const headers = buildDeliveryHeaders({ deliveryId: 'd', body, secret: 's', accessToken: null, timestamp, custom: { 'X-API-Key': 'k', 'Content-Type': 'text/plain' } });
    expect(headers['X-API-Key']).toBe('k');
    expect(headers['Content-Type']).toBe('application/json');
    expect(Object.keys(headers)[0]).toBe('X-API-Key');
  });

  it('are stored with the secrets they carry redacted; Authorization keeps its scheme unless a secret begins in it', () => {
    const secrets = ['vendor-key-123', 'user pass'];
    expect(
      redactHeaders({ 'Content-Type': 'application/json', 'X-API-Key': 'vendor-key-123', 'X-Auth': 'Token vendor-key-123; v=1', Accept: 'application/json' }, secrets),
    ).toEqual({ 'Content-Type': 'application/json', 'X-API-Key': '[redacted]', 'X-Auth': 'Token [redacted]; v=1', Accept: 'application/json' });
    expect(redactHeaders({ Authorization: 'Basic dXNlcjpwYXNz' }, secrets)).toEqual({ Authorization: 'Basic [redacted]' });
    expect(redactHeaders({ Authorization: 'user pass' }, secrets)).toEqual({ Authorization: '[redacted]' });
    expect(redactHeaders({ Authorization: 'opaque' }, secrets)).toEqual({ Authorization: '[redacted]' });
  });

  it('show members and viewers their names only, and take their literal text out of what the receiver answered', () => {
    const attempt = {
      requestHeaders: { 'Content-Type': 'application/json', Authorization: 'Bearer [redacted]', 'X-Route': 'route-key-42', 'X-Auth': 'Token [redacted]', 'X-Pin': '7' },
      responseHeaders: { 'x-echo': 'route-key-42' },
      responseBody: `{"seen": "${encodeURIComponent('route-key-42')}", "pin": "7"}`,
      error: null,
      number: 1,
    };
    expect(hideCustomHeaders(attempt)).toEqual({
      requestHeaders: { 'Content-Type': 'application/json', Authorization: 'Bearer [redacted]', 'X-Route': '[hidden]', 'X-Auth': '[hidden]', 'X-Pin': '[hidden]' },
      responseHeaders: { 'x-echo': '[redacted]' },
      // "Token " is literal text of a value too; values under 4 characters ("7") are not searched for.
      responseBody: '{"seen": "[redacted]", "pin": "7"}',
      error: null,
      number: 1,
    });
  });
});
