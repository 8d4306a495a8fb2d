// Property: a custom header value that holds a secret — inserted with `${NAME}` or typed literally — never shows the
// secret in what is kept of the attempt (issue 12.4): not in the stored request headers, and not in a receiver's
// answer that echoes the request headers in any encoding core/redact.ts covers (as they are, JSON inside JSON,
// percent-encoded, base64, base64url, hex).
//
// Headers are generated the way an admin writes them — text, `$`, `{`, `}`, escapes and URL syntax, placeholders of
// the attached secrets, a secret's value typed as it is — and prepared exactly as a delivery is (delivery/prepare.ts),
// then kept the way the worker keeps them (redactHeaders for the request, redactSecrets for the answer). Every secret
// holds one `§`, a character no generated text contains, so any occurrence of it in the kept text can only come from
// the secret. The oracle decodes the kept text itself (JSON.parse, decodeURIComponent, base64 and hex runs) rather
// than asking the redactor's own needles.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../src/core/redact.js';
import { prepareDelivery } from '../../src/delivery/prepare.js';
import { redactHeaders } from '../../src/delivery/headers.js';

const SENTINEL = '§';
/** What Node sends in a header byte for byte, without the sentinel. */
const headerChar = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
  fc.integer({ min: 0x80, max: 0xff }).filter((code) => code !== 0xa7).map((code) => String.fromCharCode(code)),
  fc.constant('\t'),
);
/** Text that looks like the encodings' own syntax. */
const tricky = fc.constantFrom('$', '{', '}', '\\', '"', '%', '%25', '+', '/', '=', '\\u0024', 'Bearer ', '[redacted]', 'AAAA', 'ff');
const text = fc.array(fc.oneof(fc.string({ unit: headerChar, maxLength: 6 }), tricky), { maxLength: 4 }).map((parts) => parts.join(''));

const secretValue = fc
  .tuple(fc.string({ unit: headerChar, minLength: 5, maxLength: 24 }), fc.nat())
  .map(([value, at]) => {
    const position = at % (value.length + 1);
    return value.slice(0, position) + SENTINEL + value.slice(position);
  })
  // Redaction covers a secret of any length; this bound only keeps the oracle's base64 check meaningful.
  .filter((value) => value.length >= 6);

type Part = { text: string } | { placeholder: 'SIGN_KEY' | 'API_TOKEN' } | { typed: 'SIGN_KEY' | 'API_TOKEN' };
const part: fc.Arbitrary<Part> = fc.oneof(
  text.map((t) => ({ text: t })),
  fc.constantFrom('SIGN_KEY', 'API_TOKEN').map((name) => ({ placeholder: name }) as Part),
  fc.constantFrom('SIGN_KEY', 'API_TOKEN').map((name) => ({ typed: name }) as Part),
);
const NAMES = ['X-API-Key', 'X-Custom', 'Authorization', 'X-Token', 'Accept'] as const;
const headerShapes = fc.uniqueArray(fc.record({ name: fc.constantFrom(...NAMES), parts: fc.array(part, { minLength: 1, maxLength: 5 }) }), {
  selector: (header) => header.name,
  minLength: 1,
  maxLength: NAMES.length,
});

type Echo = (headers: Record<string, string>) => string;
const ECHOES: Record<string, Echo> = {
  json: (headers) => JSON.stringify({ headers }),
  'json in json': (headers) => JSON.stringify({ data: JSON.stringify({ headers }) }),
  percent: (headers) => `received=${encodeURIComponent(JSON.stringify(headers))}`,
  'form encoded': (headers) => new URLSearchParams(headers).toString(),
  base64: (headers) => Buffer.from(JSON.stringify(headers), 'utf8').toString('base64'),
  base64url: (headers) => Buffer.from(JSON.stringify(headers), 'utf8').toString('base64url'),
  hex: (headers) => Buffer.from(JSON.stringify(headers), 'utf8').toString('hex'),
};

/** The texts a reader could get from `kept`: as it is, JSON-decoded (nested), and percent-decoded (twice). */
function decodedViews(kept: string): string[] {
  const views = new Set([kept]);
  const walk = (value: unknown): void => {
    if (typeof value === 'string') {
      views.add(value);
      try {
        walk(JSON.parse(value));
      } catch {
        // Not JSON text.
      }
    } else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        views.add(key);
        walk(inner);
      }
    }
  };
  walk(kept);
  for (const view of [...views]) {
    for (const decode of [(s: string) => decodeURIComponent(s), (s: string) => decodeURIComponent(s.replaceAll('+', ' '))]) {
      try {
        const once = decode(view);
        views.add(once);
        views.add(decode(once));
      } catch {
        // A malformed escape (or one cut by a redaction): its neighbours are still searched as they are.
      }
    }
  }
  return [...views];
}

/** The bytes of every base64, base64url and hex run in `text`, decoded from every starting offset. */
function decodedRuns(text: string): Buffer[] {
  const buffers: Buffer[] = [];
  for (const run of text.match(/[A-Za-z0-9+/_-]{8,}/g) ?? []) {
    for (let offset = 0; offset < 4; offset += 1) {
      const chars = run.slice(offset);
      buffers.push(Buffer.from(chars.replaceAll('-', '+').replaceAll('_', '/'), 'base64'));
    }
  }
  for (const run of text.match(/[0-9a-fA-F]{8,}/g) ?? []) {
    for (let offset = 0; offset < 2; offset += 1) buffers.push(Buffer.from(run.slice(offset, offset + 2 * Math.floor((run.length - offset) / 2)), 'hex'));
  }
  return buffers;
}

/** What of `secret` the kept text reveals, or undefined. Base64 leaves a few bits of the first and last byte (redact.ts). */
function revealed(kept: string, secret: string): string | undefined {
  for (const view of decodedViews(kept)) if (view.includes(secret)) return `"${secret}" in ${JSON.stringify(view)}`;
  const inner = Buffer.from(secret, 'utf8').subarray(1, -1);
  if (inner.length < 4) return undefined;
  for (const bytes of decodedRuns(kept)) if (bytes.includes(inner)) return `the bytes of "${secret}" in an encoded run of ${JSON.stringify(kept)}`;
  return undefined;
}

describe('custom headers holding a secret, kept after a delivery', () => {
  it('never reveal the secret in the stored request headers or in an echo of them, in any encoding the redactor covers', () => {
    fc.assert(
      fc.property(
        headerShapes,
        fc.record({ SIGN_KEY: secretValue, API_TOKEN: secretValue }),
        fc.boolean(),
        fc.constantFrom(...Object.keys(ECHOES)),
        (shapes, secrets, withToken, echoName) => {
          fc.pre(secrets.SIGN_KEY !== secrets.API_TOKEN);
          // As the API allows it: the access token's secret only when it is attached, Authorization only without it.
          const headers = shapes
            .filter((shape) => !(withToken && shape.name === 'Authorization'))
            .map((shape) => ({
              name: shape.name,
              value: shape.parts
                .map((p) => {
                  if ('text' in p) return p.text;
                  // Without an access token, only the signing secret is attached.
                  const name = withToken ? ('placeholder' in p ? p.placeholder : p.typed) : 'SIGN_KEY';
                  return 'placeholder' in p ? `\${${name}}` : secrets[name];
                })
                .join(''),
            }));
          const prepared = prepareDelivery({
            deliveryId: 'msg_property',
            rendered: '{"ping": true}',
            webhook: { url: 'https://hooks.example.com/x', secretName: 'SIGN_KEY', tokenName: withToken ? 'API_TOKEN' : null, headers },
            secrets: { values: { ...secrets }, missing: [] },
            timestamp: 1_800_000_000,
          });
          // Text next to text can form a `${…}` that is no attached secret: such a value is refused when saved.
          fc.pre(prepared.kind === 'prepared');
          const stored = JSON.stringify(redactHeaders(prepared.headers, prepared.secretValues));
          const answer = redactSecrets(ECHOES[echoName]!(prepared.headers), prepared.secretValues);
          for (const name of withToken ? (['SIGN_KEY', 'API_TOKEN'] as const) : (['SIGN_KEY'] as const)) {
            expect(revealed(stored, secrets[name]), 'stored request headers').toBeUndefined();
            expect(revealed(answer, secrets[name]), `${echoName} echo`).toBeUndefined();
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
