import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { standardWebhookHeaders, standardWebhookSignature, wandbSignature } from '../../src/core/signatures.js';

function opensslRecipe(secret: string, payload: string): string {
  return execFileSync('bash', ['-c', 'echo -n "$PAYLOAD" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64'], {
    env: { ...process.env, PAYLOAD: payload, SECRET: secret },
    encoding: 'utf8',
  }).trim();
}

const payloads = [
  '{"event_type":"LINK_ARTIFACT","artifact_version_string":"acme/model-registry/classifier:v3"}',
  '{\n  "text": "héllo wörld ✓ 模型",\n  "n": 1\n}',
  '{"quote":"\\"","dollar":"\\u0024{X}","backslash":"\\\\"}',
];
const secrets = ['s3cr3t', "It's a Secret to Everybody", 'ünïcödé-κλειδί', 'with spaces and $dollar and "quotes"'];

describe('wandbSignature', () => {
  it('matches the GitHub HMAC-SHA256 vector (same key and message, base64 instead of hex)', () => {
    const expectedHex = '757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(Buffer.from(wandbSignature("It's a Secret to Everybody", 'Hello, World!'), 'base64').toString('hex')).toBe(expectedHex);
  });

  it('equals the openssl shell recipe for every payload and secret', () => {
    for (const secret of secrets) {
      for (const payload of payloads) {
        expect(wandbSignature(secret, payload), `${secret} / ${payload}`).toBe(opensslRecipe(secret, payload));
      }
    }
  });

  it('signs the UTF-8 bytes of the body', () => {
    const body = payloads[1]!;
    expect(wandbSignature('k', body)).toBe(createHmac('sha256', 'k').update(Buffer.from(body, 'utf8')).digest('base64'));
  });
});

describe('standardWebhookHeaders', () => {
  it('reproduces the Standard Webhooks test vector', () => {
    const key = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64');
    expect(standardWebhookSignature(key, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('is verified by the standardwebhooks package keyed with base64(secret)', () => {
    const now = Math.floor(Date.now() / 1000);
    for (const secret of secrets) {
      for (const payload of payloads) {
        const headers = standardWebhookHeaders(secret, 'delivery-01', now, payload);
        const webhook = new Webhook(Buffer.from(secret, 'utf8').toString('base64'));
        expect(webhook.verify(payload, headers)).toEqual(JSON.parse(payload));
      }
    }
  });

  it('is refused by the package when the body or the secret differs', () => {
    const now = Math.floor(Date.now() / 1000);
    const headers = standardWebhookHeaders('right', 'delivery-02', now, payloads[0]!);
    expect(() => new Webhook(Buffer.from('wrong').toString('base64')).verify(payloads[0]!, headers)).toThrow();
    expect(() => new Webhook(Buffer.from('right').toString('base64')).verify(payloads[0]! + ' ', headers)).toThrow();
  });

  it('sends id and timestamp but no signature without a secret', () => {
    expect(standardWebhookHeaders(null, 'delivery-03', 1700000000, '{}')).toEqual({
      'webhook-id': 'delivery-03',
      'webhook-timestamp': '1700000000',
    });
  });

  it('signs "id.timestamp.body" with the secret\'s UTF-8 bytes', () => {
    const headers = standardWebhookHeaders('κλειδί', 'id-1', 1700000000, '{"a":1}');
    const expected = createHmac('sha256', Buffer.from('κλειδί', 'utf8')).update('id-1.1700000000.{"a":1}').digest('base64');
    expect(headers['webhook-signature']).toBe(`v1,${expected}`);
  });
});
