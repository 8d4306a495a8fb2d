// Property: a secret reaches the payload only where the template's author wrote its placeholder (issue 11.1).
//
// Templates are built from JSON string fragments the way an author types them — text, raw `$`, `{`, `}`, escapes
// such as `\u0024`, event placeholders and secret placeholders, in any order — and rendered with arbitrary event
// values (any unicode, including `${X}`, `{X}`, `$`, `\` and quotes). fillSecrets then gets EVERY secret of the
// team, attached or not. The oracle reads the author's text independently of the implementation: a placeholder is
// `${` up to the first `}` in the raw JSON text of a string value; substituted text is inserted as a value, never
// re-read.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { METADATA_PREFIX, fillSecrets, renderTemplate, secretPlaceholders, type TemplateValues } from '../../src/core/templates.js';

const SECRET_NAMES = ['API_TOKEN', 'SIGN', 'OTHER', '_', 'A1'] as const;
const EVENT_NAMES = ['event_author', 'alias', 'event_type'] as const;
const METADATA_KEYS = ['x', 'cost', 'a.b', 'ключ', '$', '{', 'A1'] as const;

/** Text that looks like the template's own syntax, mixed into generated text and event values. */
const tricky = fc.constantFrom('$', '{', '}', '${', '$$', '\\', '"', '\\u0024', '${API_TOKEN}', '{OTHER}', 'SIGN}', '${_}', '😀', '\u2028', '\u0000');
const anyText = fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), tricky), { maxLength: 5 }).map((parts) => parts.join(''));

/** A fragment of the raw JSON text between a string's quotes, as an author could write it. */
const fragment = fc.oneof(
  anyText.map((text) => JSON.stringify(text).slice(1, -1)),
  fc.constantFrom('$', '{', '}', '$$', '\\u0024', '\\u007b', '\\u007d', '\\\\', '\\"', '\\/', '\\n'),
  fc.constantFrom(...EVENT_NAMES).map((name) => `\${${name}}`),
  fc.constantFrom(...METADATA_KEYS).map((key) => `\${${METADATA_PREFIX}${key}}`),
  fc.constantFrom(...SECRET_NAMES).map((name) => `\${${name}}`),
  fc.constantFrom('${Unknown}', '${lower', '${API_TOKEN', '${}'),
);
const stringContent = fc.array(fragment, { maxLength: 8 }).map((parts) => parts.join(''));

/** Template: an object whose keys (fragments too) and values (strings, arrays of strings, numbers) are generated. */
const templateShape = fc.array(
  fc.record({
    key: stringContent,
    value: fc.oneof(stringContent.map((s) => [s]), fc.array(stringContent, { maxLength: 3 }).map((items) => ({ items })), fc.constant(7)),
  }),
  { minLength: 1, maxLength: 4 },
);

interface Shape {
  key: string;
  value: string[] | { items: string[] } | number;
}

function templateText(shape: Shape[]): string {
  const members = shape.map((member, i) => {
    const key = `"k${i}${member.key}"`;
    const value =
      typeof member.value === 'number'
        ? String(member.value)
        : Array.isArray(member.value)
          ? `"${member.value[0]}"`
          : `[${member.value.items.map((s) => `"${s}"`).join(', ')}]`;
    return `${key}: ${value}`;
  });
  return `{ ${members.join(',\n  ')} }`;
}

function decode(rawContent: string): string {
  return JSON.parse(`"${rawContent}"`) as string;
}

function metadataText(metadata: Record<string, unknown>, key: string): string {
  if (!Object.prototype.hasOwnProperty.call(metadata, key)) return '';
  const value = metadata[key];
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** What the author meant a string value to say, and which secrets it names. */
function meant(
  rawContent: string,
  values: TemplateValues,
  metadata: Record<string, unknown>,
  secrets: Record<string, string>,
  named: Set<string>,
): string {
  let out = '';
  let pending = '';
  let copied = 0;
  for (const match of rawContent.matchAll(/\$\{([^}]*)\}/g)) {
    const name = match[1]!;
    let inserted: string | undefined;
    if (/^[A-Z_][A-Z0-9_]*$/.test(name)) {
      named.add(name);
      inserted = secrets[name];
    } else if (name.startsWith(METADATA_PREFIX)) inserted = metadataText(metadata, name.slice(METADATA_PREFIX.length));
    else if (/^[a-z_][a-z0-9_]*$/.test(name)) inserted = values[name] ?? '';
    if (inserted === undefined) continue; // not a placeholder: stays as written
    pending += rawContent.slice(copied, match.index);
    out += decode(pending) + inserted;
    pending = '';
    copied = match.index + match[0].length;
  }
  return out + decode(pending + rawContent.slice(copied));
}

function expectedBody(shape: Shape[], values: TemplateValues, metadata: Record<string, unknown>, secrets: Record<string, string>, named: Set<string>) {
  const meaning = (raw: string) => meant(raw, values, metadata, secrets, named);
  return Object.fromEntries(
    shape.map((member, i) => [
      decode(`k${i}${member.key}`),
      typeof member.value === 'number' ? member.value : Array.isArray(member.value) ? meaning(member.value[0]!) : member.value.items.map(meaning),
    ]),
  );
}

function allStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) allStrings(item, out);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      out.push(key);
      allStrings(item, out);
    }
  }
  return out;
}

/** Every secret of the team, attached or not: a distinctive part plus characters that need escaping and template syntax. */
const secretValues = fc
  .tuple(...SECRET_NAMES.map(() => fc.stringMatching(/^[a-zA-Z0-9]{12}$/)), fc.constantFrom('', '"\\\n', '${OTHER}', '$', '}{', '😀\u2028'))
  .map(([...parts]) => {
    const suffix = parts.pop()!;
    return Object.fromEntries(SECRET_NAMES.map((name, i) => [name, `SECRET-${name}-${parts[i]}${suffix}`]));
  });

const metadataValue = fc.oneof(anyText, fc.integer(), fc.constant(null), fc.array(anyText, { maxLength: 2 }), fc.dictionary(anyText, anyText, { maxKeys: 2 }));

describe('templates: secrets only where the author put them', () => {
  it('renders to valid JSON that means exactly what the author wrote and holds only the secrets the template names', () => {
    fc.assert(
      fc.property(
        templateShape,
        fc.record({ event_author: anyText, alias: anyText, event_type: anyText }),
        fc.dictionary(fc.constantFrom(...METADATA_KEYS), metadataValue),
        secretValues,
        (shape, values, metadata, secrets) => {
          const template = templateText(shape);
          const named = new Set<string>();
          const expected = expectedBody(shape, values, metadata, secrets, named);

          const rendered = renderTemplate(template, values, metadata);
          // The phase-1 invariant: every raw `$` begins one of the author's secret placeholders.
          for (const match of rendered.matchAll(/\$/g)) expect(rendered.slice(match.index)).toMatch(/^\$\{[A-Z_][A-Z0-9_]*\}/);
          for (const name of secretPlaceholders(rendered)) expect(named.has(name)).toBe(true);

          // Text such as `$` `{` `ABC` `}` side by side is a placeholder the author wrote, for a secret the team lacks.
          if ([...named].some((name) => !Object.prototype.hasOwnProperty.call(secrets, name))) {
            expect(() => fillSecrets(rendered, secrets)).toThrow(/is not available/);
            return;
          }
          const sent = fillSecrets(rendered, secrets);
          const body: unknown = JSON.parse(sent); // (a) valid JSON
          expect(body).toEqual(expected); // (c) the author's meaning, event values verbatim
          const strings = allStrings(body);
          for (const name of SECRET_NAMES) {
            if (named.has(name)) continue;
            const distinctive = secrets[name]!.slice(0, `SECRET-${name}-`.length + 12);
            expect(sent).not.toContain(distinctive); // (b) on the wire…
            for (const text of strings) expect(text).not.toContain(distinctive); // …and once decoded
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('leaves a template without $ byte for byte as written', () => {
    fc.assert(
      fc.property(templateShape, (shape) => {
        // No escape sequence contains `$`: without it the text is still valid JSON, with no placeholder left.
        const template = templateText(shape).replaceAll('$', '');
        expect(renderTemplate(template, {}, {})).toBe(template);
      }),
    );
  });
});
