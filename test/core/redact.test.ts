import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MIN_CUT_PREFIX_LENGTH, MIN_DERIVED_LENGTH, REDACTED, redactSecrets, redactSecretsInHeaders } from '../../src/core/redact.js';

/** JSON string content as JSON.stringify writes it. */
function jsonContent(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

/** JSON string content as ASCII-only encoders write it: `\uXXXX` for everything beyond ASCII, and `\/`. */
function asciiJsonContent(value: string, upper = false): string {
  return jsonContent(value)
    .replace(/[^\x20-\x7e]/g, (c) => {
      const hex = c.charCodeAt(0).toString(16).padStart(4, '0');
      return `\\u${upper ? hex.toUpperCase() : hex}`;
    })
    .replaceAll('/', '\\/');
}

/** RFC 3986 percent-encoding of the UTF-8 bytes (what encodeURIComponent writes, without throwing on lone surrogates). */
function percentEncoded(value: string, { lower = false, keep = "-_.!~*'()" } = {}): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9]/.test(char) || keep.includes(char)) out += char;
    else {
      const hex = byte.toString(16).toUpperCase().padStart(2, '0');
      out += `%${lower ? hex.toLowerCase() : hex}`;
    }
  }
  return out;
}

function formEncoded(value: string): string {
  return percentEncoded(value, { keep: '-_.*' }).replaceAll('%20', '+');
}

/** Every form of `value` a receiver could echo, that the redaction promises to remove. */
function formsOf(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const derived = [bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'), bytes.toString('hex').toUpperCase()];
  return [
    value,
    jsonContent(value),
    asciiJsonContent(value),
    asciiJsonContent(value, true),
    jsonContent(jsonContent(value)),
    percentEncoded(value),
    percentEncoded(value, { lower: true }),
    formEncoded(value),
    percentEncoded(jsonContent(value)),
    percentEncoded(percentEncoded(value)),
    ...derived.filter((form) => form.length >= MIN_DERIVED_LENGTH),
  ];
}

/** The text left visible: redaction markers split it, and no piece may hold a secret's form. */
function visiblePieces(text: string): string[] {
  return text.split(REDACTED);
}

function expectNoFormOf(redacted: string, value: string): void {
  const forms = formsOf(value);
  const leak = visiblePieces(redacted)
    .flatMap((piece) => forms.filter((form) => piece.includes(form)).map((form) => ({ form, piece })))
    .at(0);
  expect(leak).toBeUndefined();
}

/** What echoing receivers send back: the request body, headers and query string, re-encoded. */
function echoes(value: string): Array<[string, string]> {
  const body = JSON.stringify({ event: 'LINK_ARTIFACT', token: value, note: `Bearer ${value}` });
  const query = `token=${percentEncoded(value)}&alt=${formEncoded(value)}`;
  return [
    ['raw text', `received ${value} ok`],
    ['JSON body', body],
    ['JSON body, ASCII-only escaping', JSON.stringify({ token: value }).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).replaceAll('/', '\\/')],
    ['body echoed as a JSON string (httpbin "data")', JSON.stringify({ data: body, json: JSON.parse(body) })],
    ['headers echoed as JSON', JSON.stringify({ headers: { authorization: `Bearer ${value}`, 'x-token': value } })],
    ['query string', `GET /hook?${query}`],
    ['query string inside JSON', JSON.stringify({ url: `https://example.com/hook?${query}`, args: { token: value } })],
    ['JSON body in a query string', `next=${percentEncoded(body)}`],
    ['double URL-encoding', `redirect=${percentEncoded(`https://x/?t=${percentEncoded(value)}`)}`],
    ['base64 of the body', `body_b64=${Buffer.from(body).toString('base64')}`],
    ['base64url of the body', `body_b64url=${Buffer.from(body).toString('base64url')}`],
    ['Basic authorization', `authorization: Basic ${Buffer.from(`user:${value}`).toString('base64')}`],
    ['hex of the value', `digest-input=${Buffer.from(value).toString('hex')}`],
  ];
}

describe('redactSecrets', () => {
  const secret = 'p"a\\s/s\n\té✓😀 +%=x';
  it.each(echoes(secret))('removes every form of a secret from an echo: %s', (_name, echo) => {
    const redacted = redactSecrets(echo, [secret]);
    expect(redacted).toContain(REDACTED);
    expectNoFormOf(redacted, secret);
  });

  it('keeps the text around the secret and the structure of an echoed document', () => {
    const body = JSON.stringify({ data: JSON.stringify({ token: 'se"cret' }), ok: true });
    expect(redactSecrets(body, ['se"cret'])).toBe(JSON.stringify({ data: JSON.stringify({ token: '[redacted]' }), ok: true }));
    expect(JSON.parse(redactSecrets(body, ['se"cret']))).toEqual({ data: '{"token":"[redacted]"}', ok: true });
    expect(redactSecrets('Bearer tok_123; x-id: 7', ['tok_123'])).toBe('Bearer [redacted]; x-id: 7');
  });

  it('redacts short values and ignores empty ones', () => {
    expect(redactSecrets('a1b1c', ['1'])).toBe('a[redacted]b[redacted]c');
    expect(redactSecrets('nothing to hide', ['', ''])).toBe('nothing to hide');
    expect(redactSecrets('', ['x'])).toBe('');
  });

  it('leaves no fragment of overlapping or nested secrets, whatever their order', () => {
    const cases: Array<[string[], string]> = [
      [['abc', 'abcdef'], '<<xx[redacted]yy>>'],
      [['abcdef', 'abc'], '<<xx[redacted]yy>>'],
      [['xxabcdefyy', 'cdefyy>'], '<<[redacted]>'],
    ];
    for (const [secrets, expected] of cases) expect(redactSecrets('<<xxabcdefyy>>', secrets)).toBe(expected);
    expect(redactSecrets('aaaa', ['aa'])).toBe(REDACTED);
    expect(redactSecrets('[ xxabcyy ]', ['xxabc', 'abcyy'])).toBe('[ [redacted] ]');
  });

  it('redacts base64 of the secret at each of the three alignments in a longer message', () => {
    const value = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    for (const prefix of ['', 'a', 'ab', 'abc']) {
      const encoded = Buffer.from(`${prefix}${value}!`).toString('base64');
      const redacted = redactSecrets(`sig=${encoded}`, [value]);
      const [before, after] = redacted.slice('sig='.length).split(REDACTED) as [string, string];
      // At most the one character at each end that mixes in a neighbouring byte stays visible.
      expect(before.length).toBeLessThanOrEqual(Math.floor((4 * prefix.length) / 3) + 1);
      expect(after.length).toBeLessThanOrEqual(encoded.length - Math.ceil((4 * (prefix.length + value.length)) / 3) + 1);
    }
  });

  it('redacts the end of a text cut in the middle of a secret, when asked to', () => {
    const value = 'sk-live-0123456789abcdef';
    expect(redactSecrets(`{"echo":"${value.slice(0, 10)}`, [value], { cutAtEnd: true })).toBe('{"echo":"[redacted]');
    expect(redactSecrets(`{"echo":"${value.slice(0, 10)}`, [value])).toBe(`{"echo":"${value.slice(0, 10)}`);
    const quoted = 'ab"cd"ef"gh';
    expect(redactSecrets(`x=${jsonContent(quoted).slice(0, 6)}`, [quoted], { cutAtEnd: true })).toBe('x=[redacted]');
    expect(redactSecrets(`x=${percentEncoded('ab cd éf').slice(0, 11)}`, ['ab cd éf'], { cutAtEnd: true })).toBe('x=[redacted]');
    // Fewer characters than MIN_CUT_PREFIX_LENGTH say too little to hide.
    expect(redactSecrets(`x=${value.slice(0, MIN_CUT_PREFIX_LENGTH - 1)}`, [value], { cutAtEnd: true })).toBe(`x=${value.slice(0, MIN_CUT_PREFIX_LENGTH - 1)}`);
  });

  it('redacts header values and keeps header names', () => {
    expect(redactSecretsInHeaders({ 'x-echo': 'Bearer t%2Fk', 'content-type': 'text/plain' }, ['t/k'])).toEqual({
      'x-echo': 'Bearer [redacted]',
      'content-type': 'text/plain',
    });
  });

  it('stays linear on hostile text: long runs of backslashes, escapes and percent signs', () => {
    const value = '\\'.repeat(40) + '"'.repeat(40) + 'x';
    const hostile = '\\'.repeat(20_000) + '%5C'.repeat(5_000) + '\\u005c'.repeat(3_000) + 'y';
    expect(redactSecrets(hostile, [value])).toBe(hostile);
    const withIt = `${hostile}${JSON.stringify(value)}`;
    expectNoFormOf(redactSecrets(withIt, [value]), value);
  });
});

/** Secrets made of what breaks naive scrubbing: quotes, backslashes, line breaks, control characters, unicode. */
const awkwardSecret = fc.oneof(
  fc.string({
    unit: fc.constantFrom('"', '\\', '\n', '\r', '\t', '\u0000', '\u001f', '\u007f', '\u2028', 'é', '模', '😀', '/', '+', ' ', '%', '=', '&', '<', "'", 'a', 'Z', '0', '_'),
    minLength: 1,
    maxLength: 24,
  }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 16 }),
  fc.uint8Array({ minLength: 24, maxLength: 32 }).map((bytes) => `whsec_${Buffer.from(bytes).toString('base64')}`),
);

describe('redactSecrets, properties', () => {
  it('an echo of a request carrying the secret, in any encoding, never holds a form of it after redaction', () => {
    fc.assert(
      fc.property(awkwardSecret, fc.string({ maxLength: 8 }), (value, noise) => {
        for (const [, echo] of echoes(value)) {
          const redacted = redactSecrets(`${noise}${echo}${noise}`, [value, 'unrelated-secret-value']);
          expectNoFormOf(redacted, value);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('several secrets at once, in any order, are all removed', () => {
    fc.assert(
      fc.property(fc.array(awkwardSecret, { minLength: 2, maxLength: 4 }), (values) => {
        const echo = echoes(values.join('')).map(([, text]) => text).join('\n') + JSON.stringify(values);
        const redacted = redactSecrets(echo, values);
        for (const value of values) expectNoFormOf(redacted, value);
        expect(redactSecrets(echo, [...values].reverse())).toBe(redacted);
      }),
      { numRuns: 100 },
    );
  });

  it('leaves text without any secret unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        expect(redactSecrets(text, ['Zq9-unlikely-9qZ'])).toBe(text);
      }),
    );
  });
});
