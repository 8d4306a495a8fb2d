import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger('trace', stream), lines };
}

const SECRET = 'sk-live-9f8e7d6c5b4a';

describe('createLogger', () => {
  // [case, what a careless log call could pass]
  const mistakes: Array<[string, Record<string, unknown>]> = [
    ['request headers', { req: { method: 'POST', url: '/hook', headers: { authorization: `Bearer ${SECRET}`, cookie: `s=${SECRET}`, 'x-csrf-token': SECRET } } }],
    ['request body', { req: { method: 'POST', url: '/api/v1/teams/t/secrets', body: { name: 'TOKEN', value: SECRET } } }],
    ['response cookies', { res: { statusCode: 200, headers: { 'set-cookie': `s=${SECRET}` } } }],
    ['delivery headers', { delivery: { headers: { Authorization: `Bearer ${SECRET}`, 'x-wandb-signature': SECRET, 'webhook-signature': `v1,${SECRET}` } } }],
    ['headers at the top', { headers: { authorization: `Bearer ${SECRET}` } }],
    ['delivery body', { delivery: { id: 'r1', body: `{"token":"${SECRET}"}` } }],
    ['attempt bodies', { attempt: { requestBody: SECRET, responseBody: `echo ${SECRET}` } }],
    ['secret values', { secret: { name: 'TOKEN', value: SECRET, ciphertext: SECRET }, run: { secretValues: [SECRET], secrets: { TOKEN: SECRET } } }],
    ['webhook credentials', { webhook: { accessToken: SECRET, token: SECRET, secret: SECRET } }],
    ['passwords and keys', { user: { password: SECRET, apiKey: SECRET, key: SECRET } }],
  ];
  it.each(mistakes)('redacts %s', (_name, fields) => {
    const { logger, lines } = capture();
    logger.info(fields, 'something happened');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('[redacted]');
    expect(lines[0]).not.toContain(SECRET);
    expect(JSON.parse(lines[0]!).msg).toBe('something happened');
  });

  it('keeps what is not a credential', () => {
    const { logger, lines } = capture();
    logger.info({ req: { method: 'GET', url: '/api/v1/teams', headers: { 'user-agent': 'modelyard-cli' } }, runs: 3 }, 'listed');
    expect(JSON.parse(lines[0]!)).toMatchObject({ req: { method: 'GET', url: '/api/v1/teams', headers: { 'user-agent': 'modelyard-cli' } }, runs: 3 });
  });
});
