import { describe, expect, it } from 'vitest';
import {
  fillHeaderSecrets,
  headerProblems,
  headersSecretNames,
  MAX_CUSTOM_HEADERS,
  parseStoredHeaders,
  RESERVED_HEADERS,
  type CustomHeader,
} from '../../src/core/webhook-headers.js';

const ok = { accessTokenSet: false };
const first = (headers: CustomHeader[], options = ok) => headerProblems(headers, options)[0]?.message;

describe('headerProblems', () => {
  it.each<[string, CustomHeader[], string | undefined]>([
    ['a plain header', [{ name: 'Accept', value: 'application/vnd.github+json' }], undefined],
    ['every token character in a name', [{ name: "X-!#$%&'*+.^_`|~09az", value: 'v' }], undefined],
    ['a secret placeholder among text', [{ name: 'X-Auth', value: 'Token ${API_KEY}; realm=x' }], undefined],
    ['a lone $ and braces', [{ name: 'X-Price', value: '$5 {approx}' }], undefined],
    ['Latin-1 text', [{ name: 'X-Name', value: 'Zoë' }], undefined],
    ['an inner tab', [{ name: 'X-Tab', value: 'a\tb' }], undefined],
    ['a name with a space', [{ name: 'X Key', value: 'v' }], 'HTTP token'],
    ['a name with a colon', [{ name: 'X-Key:', value: 'v' }], 'HTTP token'],
    ['a name with a non-ASCII letter', [{ name: 'X-Clé', value: 'v' }], 'HTTP token'],
    ['an empty name', [{ name: '', value: 'v' }], 'the name is empty'],
    ['a name that is a prototype', [{ name: '__proto__', value: 'v' }], 'cannot be sent'],
    ['a long name', [{ name: 'X'.repeat(129), value: 'v' }], 'longer than 128'],
    ['CR LF in a value', [{ name: 'X-Key', value: 'a\r\nX-Evil: 1' }], 'line break'],
    ['a lone LF', [{ name: 'X-Key', value: 'a\nb' }], 'line break'],
    ['NUL', [{ name: 'X-Key', value: 'a\u0000b' }], 'NUL'],
    ['DEL', [{ name: 'X-Key', value: 'a\u007fb' }], 'control character'],
    ['beyond U+00FF', [{ name: 'X-Key', value: '€' }], 'beyond U+00FF'],
    ['an empty value', [{ name: 'X-Key', value: '' }], 'the value is empty'],
    ['a trailing space', [{ name: 'X-Key', value: 'v ' }], 'begins or ends'],
    ['a long value', [{ name: 'X-Key', value: 'v'.repeat(4097) }], 'longer than 4096'],
    ['an event variable', [{ name: 'X-Event', value: '${event_type}' }], 'not a secret name'],
    ['an unclosed placeholder', [{ name: 'X-Key', value: 'a ${KEY' }], 'without a closing'],
    ['an empty placeholder', [{ name: 'X-Key', value: '${}' }], 'not a secret name'],
    ['a name given twice in another case', [{ name: 'X-Key', value: 'a' }, { name: 'x-KEY', value: 'b' }], 'given twice'],
    ['too many', Array.from({ length: MAX_CUSTOM_HEADERS + 1 }, (_, i) => ({ name: `X-${i}`, value: 'v' })), `at most ${MAX_CUSTOM_HEADERS}`],
    ['too large together', Array.from({ length: 2 }, (_, i) => ({ name: `X-${i}`, value: 'v'.repeat(4000) })), 'together exceed'],
  ])('%s', (_case, headers, problem) => {
    if (problem === undefined) expect(headerProblems(headers, ok)).toEqual([]);
    else expect(first(headers)).toContain(problem);
  });

  it('refuses every reserved name in any case, and any webhook-* name, naming the header', () => {
    for (const name of [...RESERVED_HEADERS, 'webhook-id', 'webhook-whatever']) {
      for (const given of [name, name.toUpperCase()]) {
        expect(headerProblems([{ name: given, value: 'v' }], ok)).toEqual([{ index: 0, header: given, message: expect.stringContaining(`${given} is set by Modelyard itself`) }]);
      }
    }
  });

  it('refuses Authorization only while an access token is set', () => {
    expect(first([{ name: 'Authorization', value: 'Basic abc' }])).toBeUndefined();
    expect(first([{ name: 'authorization', value: 'Basic abc' }], { accessTokenSet: true })).toContain("carries the webhook's access token");
  });

  it('reports the index of the header at fault', () => {
    expect(headerProblems([{ name: 'X-A', value: 'a' }, { name: 'Host', value: 'h' }], ok)[0]).toMatchObject({ index: 1, header: 'Host' });
  });
});

describe('headersSecretNames and fillHeaderSecrets', () => {
  const headers = [
    { name: 'X-API-Key', value: '${API_KEY}' },
    { name: 'X-Both', value: '${API_KEY}:${SIGN}' },
    { name: 'Accept', value: 'application/json' },
  ];

  it('lists the secrets the headers use, once each', () => {
    expect(headersSecretNames(headers)).toEqual(['API_KEY', 'SIGN']);
  });

  it('fills placeholders with the values as they are (no escaping), literal text untouched', () => {
    const secrets = Object.assign(Object.create(null) as Record<string, string>, { API_KEY: 'k$y{1}"\\', SIGN: 's' });
    expect(fillHeaderSecrets(headers, secrets)).toEqual({
      kind: 'filled',
      headers: { 'X-API-Key': 'k$y{1}"\\', 'X-Both': 'k$y{1}"\\:s', Accept: 'application/json' },
    });
  });

  it('never fills a value inserted from a secret a second time', () => {
    const secrets = Object.assign(Object.create(null) as Record<string, string>, { API_KEY: '${SIGN}', SIGN: 'signing-value' });
    expect(fillHeaderSecrets([{ name: 'X-Key', value: '${API_KEY}' }], secrets)).toEqual({ kind: 'filled', headers: { 'X-Key': '${SIGN}' } });
  });

  it('refuses, naming header and secret but no value, a secret not offered or not sendable in a header', () => {
    expect(fillHeaderSecrets(headers, Object.assign(Object.create(null), { API_KEY: 'k' }))).toEqual({
      kind: 'refused',
      error: 'header X-Both uses secret SIGN, which is not attached to the webhook (only its signing secret and access token can be used); the delivery was not sent',
    });
    const refused = fillHeaderSecrets(headers, Object.assign(Object.create(null), { API_KEY: 'two\r\nlines', SIGN: 's' }));
    expect(refused).toEqual({
      kind: 'refused',
      error: 'header X-API-Key: the value of secret API_KEY contains a line break (CR or LF), which cannot be sent in a header; the delivery was not sent',
    });
    // Inherited properties are no secrets.
    expect(fillHeaderSecrets([{ name: 'X', value: '${__PROTO__}' }], Object.create(null)).kind).toBe('refused');
  });
});

describe('parseStoredHeaders', () => {
  it('reads the stored list, and nothing from an empty column', () => {
    expect(parseStoredHeaders('[{"name":"A","value":"b"}]')).toEqual([{ name: 'A', value: 'b' }]);
    expect(parseStoredHeaders('[]')).toEqual([]);
    expect(parseStoredHeaders(null)).toEqual([]);
  });
});
