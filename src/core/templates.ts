// Payload templates: JSON text whose string values may contain `${variable}` placeholders.
//
// Rendering happens in two phases so that secrets are never stored in an action run:
//   phase 1 (renderTemplate, at event time)  fills every lower-case event variable and leaves `${SECRET_NAME}`;
//   phase 2 (fillSecrets, at send time)      fills the remaining `${SECRET_NAME}` placeholders.
// Substitution only ever happens inside JSON string values, and everything inserted is JSON-escaped, so no value can
// end the string, add a key or break the document.
//
// The invariant that keeps secrets where their author put them: every raw `$` in phase-1 output begins a
// `${SECRET_NAME}` placeholder that the template's author wrote in a string value. Phase 1 writes every other `$` as
// `\u0024` — the `$`s of inserted event values, and the template's own `$`s that do not begin a secret placeholder
// (a `$` just before an event variable, a `$` in a property name, an unknown `${name}`) — so the text still decodes to
// `$`. Phase 2 only recognises a raw `${`; an event value (an artifact's metadata is user input) therefore can never
// form a placeholder, alone or together with the template's characters around it: `"$${artifact_metadata.x}"` with
// x = "{API_TOKEN}" renders `\u0024{API_TOKEN}`. Templates without `$` render byte for byte as written.
//
// A literal "${" in the payload is written `\u0024{` in the template.
//
// JSON.parse reports neither the position of every problem nor where string values are, so the module carries a
// small JSON scanner (iterative, so deeply nested input cannot overflow the stack).

export const TEMPLATE_VARIABLES: ReadonlyArray<{ name: string; description: string }> = [
  { name: 'event_type', description: 'The event, e.g. LINK_ARTIFACT or ADD_ARTIFACT_ALIAS.' },
  { name: 'event_author', description: 'The user who caused the event.' },
  { name: 'artifact_version', description: 'URI of the artifact version, e.g. modelyard-artifact://_id/<id>.' },
  {
    name: 'artifact_version_string',
    description: '<team>/model-registry/<model>:<version or alias> — ends in :v<index> for LINK_ARTIFACT and :<alias> for ADD_ARTIFACT_ALIAS.',
  },
  { name: 'artifact_collection_name', description: 'The registered model (or artifact collection) name.' },
  { name: 'project_name', description: 'The project the event happened in (model-registry for the registry).' },
  { name: 'entity_name', description: 'The team.' },
  { name: 'alias', description: 'The alias added, for ADD_ARTIFACT_ALIAS; empty otherwise.' },
  { name: 'artifact_version_index', description: 'The version index as a number in text, e.g. 3.' },
  { name: 'automation_name', description: 'The name of the automation that fired.' },
  { name: 'event_id', description: 'The id of the event (stable across retries and redeliveries).' },
  { name: 'timestamp', description: 'When the event happened, ISO 8601 UTC.' },
  {
    name: 'previous_version',
    description: 'Alias events: the version that held the alias before (e.g. v2); empty when the alias was new.',
  },
  { name: 'promotion_id', description: 'Promotion events: the id of the promotion request.' },
  { name: 'promotion_url', description: 'Promotion events: a link to the request in Modelyard (needs MODELYARD_PUBLIC_URL); empty otherwise.' },
  { name: 'comment', description: "Promotion events: the requester's, approver's or rejecter's comment." },
  { name: 'check_name', description: 'CHECK_COMPLETED: the name of the check, e.g. eval.' },
  { name: 'check_state', description: 'CHECK_COMPLETED: success or failure.' },
  {
    name: 'sequence',
    description:
      'Link, unlink and alias events: the number of this delivery among its automation\'s deliveries for the same subject (the model, or the model and alias), 1, 2, 3, … in event order, as text. A receiver drops a delivery whose sequence is not above the last it applied for that subject. Empty for other events.',
  },
  {
    name: 'artifact_metadata.KEY',
    description:
      'A key of the version\'s metadata, dotted for nested objects (artifact_metadata.eval.auc): strings as they are, other values as their JSON text; empty when absent.',
  },
];

export const METADATA_PREFIX = 'artifact_metadata.';
/** Upper-case names are secrets attached to the webhook; lower-case names are event variables. */
export const SECRET_NAME_PATTERN = /^[A-Z_][A-Z0-9_]*$/;
const EVENT_VARIABLE_NAMES: ReadonlySet<string> = new Set(
  TEMPLATE_VARIABLES.map((v) => v.name).filter((name) => !name.startsWith(METADATA_PREFIX)),
);

export interface TemplateProblem {
  message: string;
  /** Offset in the template text (UTF-16 code units, as JavaScript strings count). */
  position: number;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/**
 * Event variables by name (`event_type`, …). Metadata is passed separately to renderTemplate, which reads
 * `artifact_metadata.KEY` from it (strings as is, other JSON values as their JSON text); an entry named
 * `artifact_metadata.KEY` here is used only when the key is absent from that metadata.
 */
export interface TemplateValues {
  [variable: string]: string;
}

export class TemplateError extends Error {
  constructor(readonly problems: TemplateProblem[]) {
    super(problems.map((p) => `line ${p.line}, column ${p.column}: ${p.message}`).join('; '));
    this.name = 'TemplateError';
  }
}

export function isEventVariable(name: string): boolean {
  return EVENT_VARIABLE_NAMES.has(name) || (name.startsWith(METADATA_PREFIX) && name.length > METADATA_PREFIX.length);
}

export function isSecretName(name: string): boolean {
  return SECRET_NAME_PATTERN.test(name);
}

// ---------------------------------------------------------------------------------------------------------------
// JSON scanner

interface StringToken {
  /** Offset of the opening quote. */
  start: number;
  /** Offset just past the closing quote. */
  end: number;
  isKey: boolean;
}

class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;
const SIMPLE_ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

function describeChar(text: string, position: number): string {
  if (position >= text.length) return 'end of the template';
  const char = text[position]!;
  if (char === '$' && text[position + 1] === '{') return 'a ${…} variable outside a string (put it inside double quotes)';
  return `${JSON.stringify(char)}`;
}

function scanString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === 0x22) return i + 1;
    if (code < 0x20) throw new JsonSyntaxError('control character (e.g. a raw line break) inside a string; write it as an escape such as \\n', i);
    if (code === 0x5c) {
      const next = text[i + 1];
      if (next === 'u') {
        if (!HEX4.test(text.slice(i + 2, i + 6))) throw new JsonSyntaxError('invalid \\u escape: expected 4 hexadecimal digits', i);
        i += 6;
        continue;
      }
      if (next === undefined || !SIMPLE_ESCAPES.has(next)) throw new JsonSyntaxError(`invalid escape \\${next ?? ''} inside a string`, i);
      i += 2;
      continue;
    }
    i += 1;
  }
  throw new JsonSyntaxError('unterminated string', start);
}

type ScanState = 'value' | 'valueOrEnd' | 'keyOrEnd' | 'key' | 'colon' | 'afterValue';

/** Checks `text` is one JSON value and returns its strings; throws JsonSyntaxError at the first problem. */
function scanJson(text: string): StringToken[] {
  const strings: StringToken[] = [];
  const stack: Array<'object' | 'array'> = [];
  let state: ScanState = 'value';
  let i = 0;
  const skipWhitespace = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      i += 1;
    }
  };
  for (;;) {
    skipWhitespace();
    if (state === 'afterValue' && stack.length === 0) {
      if (i < text.length) throw new JsonSyntaxError(`unexpected ${describeChar(text, i)} after the end of the JSON value`, i);
      return strings;
    }
    if (i >= text.length) throw new JsonSyntaxError('unexpected end of the template', i);
    const char = text[i]!;
    switch (state) {
      case 'valueOrEnd':
        if (char === ']') {
          stack.pop();
          i += 1;
          state = 'afterValue';
          break;
        }
        state = 'value';
        break;
      case 'keyOrEnd':
        if (char === '}') {
          stack.pop();
          i += 1;
          state = 'afterValue';
          break;
        }
        state = 'key';
        break;
      case 'key': {
        if (char !== '"') throw new JsonSyntaxError(`expected a property name in double quotes, found ${describeChar(text, i)}`, i);
        const end = scanString(text, i);
        strings.push({ start: i, end, isKey: true });
        i = end;
        state = 'colon';
        break;
      }
      case 'colon':
        if (char !== ':') throw new JsonSyntaxError(`expected ':' after the property name, found ${describeChar(text, i)}`, i);
        i += 1;
        state = 'value';
        break;
      case 'value': {
        state = 'afterValue';
        if (char === '{') {
          stack.push('object');
          i += 1;
          state = 'keyOrEnd';
        } else if (char === '[') {
          stack.push('array');
          i += 1;
          state = 'valueOrEnd';
        } else if (char === '"') {
          const end = scanString(text, i);
          strings.push({ start: i, end, isKey: false });
          i = end;
        } else if (text.startsWith('true', i)) i += 4;
        else if (text.startsWith('false', i)) i += 5;
        else if (text.startsWith('null', i)) i += 4;
        else {
          NUMBER.lastIndex = i;
          if (!NUMBER.test(text)) throw new JsonSyntaxError(`expected a value, found ${describeChar(text, i)}`, i);
          i = NUMBER.lastIndex;
        }
        break;
      }
      case 'afterValue': {
        const container = stack[stack.length - 1];
        const close = container === 'object' ? '}' : ']';
        if (char === ',') {
          i += 1;
          state = container === 'object' ? 'key' : 'value';
        } else if (char === close) {
          stack.pop();
          i += 1;
        } else {
          throw new JsonSyntaxError(`expected ',' or '${close}', found ${describeChar(text, i)}`, i);
        }
        break;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Placeholders inside a string token

interface Placeholder {
  /** Offset of `$` in the text. */
  start: number;
  /** Offset just past `}`; -1 when the placeholder is not closed inside its string. */
  end: number;
  name: string;
}

/** Placeholders in the raw text between `from` and `to` (a string's content). Escapes never contain `$`. */
function findPlaceholders(text: string, from: number, to: number): Placeholder[] {
  const found: Placeholder[] = [];
  let i = text.indexOf('${', from);
  while (i !== -1 && i < to) {
    const close = text.indexOf('}', i + 2);
    if (close === -1 || close >= to) {
      found.push({ start: i, end: -1, name: text.slice(i + 2, to) });
      break;
    }
    found.push({ start: i, end: close + 1, name: text.slice(i + 2, close) });
    i = text.indexOf('${', close + 1);
  }
  return found;
}

function locate(text: string, position: number, message: string): TemplateProblem {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < position && i < text.length; i += 1) {
    if (text.charCodeAt(i) === 0x0a) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { message, position, line, column: position - lineStart + 1 };
}

/** Problems of a template, in text order; empty when it can be saved. */
export function validateTemplate(template: string, options: { secrets: string[] }): TemplateProblem[] {
  let strings: StringToken[];
  try {
    strings = scanJson(template);
  } catch (error) {
    if (error instanceof JsonSyntaxError) return [locate(template, error.position, `invalid JSON: ${error.message}`)];
    throw error;
  }
  const attached = new Set(options.secrets);
  const problems: TemplateProblem[] = [];
  for (const token of strings) {
    for (const placeholder of findPlaceholders(template, token.start + 1, token.end - 1)) {
      const shown = placeholder.end === -1 ? `\${${placeholder.name}` : `\${${placeholder.name}}`;
      let message: string | undefined;
      if (placeholder.end === -1) message = `"${shown}" has no closing "}" (write a literal "\${" as "\\u0024{")`;
      else if (token.isKey) message = `variables are not allowed in property names (found ${shown})`;
      else if (isEventVariable(placeholder.name)) message = undefined;
      else if (isSecretName(placeholder.name)) {
        if (!attached.has(placeholder.name)) {
          message =
            attached.size === 0
              ? `secret ${placeholder.name} is not available here (no secrets are attached)`
              : `secret ${placeholder.name} is not attached to the webhook (attached: ${[...attached].join(', ')})`;
        }
      } else if (placeholder.name.startsWith(METADATA_PREFIX)) message = `"${shown}" needs a metadata key after "${METADATA_PREFIX}"`;
      else message = `unknown variable ${shown}`;
      if (message !== undefined) problems.push(locate(template, placeholder.start, message));
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering

/**
 * Compiled template: phase-1 text (every `$` except those beginning an authored secret placeholder already written
 * as `\u0024`) alternating with event variable names.
 */
type Part = { literal: string } | { variable: string };

const COMPILED_CACHE_LIMIT = 1000;
// Bounds the cache's memory (≤ 1000 × 64 Ki characters); larger templates are rare and simply scanned each time.
const CACHED_TEMPLATE_MAX_LENGTH = 64 * 1024;
// Event-time rendering runs inside the event's transaction, once per matching automation; the few distinct
// templates of a team are scanned once instead of once per event.
const compiledCache = new Map<string, Part[]>();

function compile(template: string): Part[] {
  const cached = compiledCache.get(template);
  if (cached) return cached;
  let strings: StringToken[];
  try {
    strings = scanJson(template);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new TemplateError([locate(template, error.position, `invalid JSON: ${error.message}`)]);
    throw error;
  }
  const parts: Part[] = [];
  let literal = '';
  let copied = 0;
  for (const token of strings) {
    if (token.isKey) continue;
    for (const placeholder of findPlaceholders(template, token.start + 1, token.end - 1)) {
      if (placeholder.end === -1) continue;
      // Secrets are phase 2's: the only `$` left raw. Names that are neither stay as written, their `$` escaped
      // (validation refuses them at save time).
      if (isSecretName(placeholder.name)) {
        literal += escapeDollars(template.slice(copied, placeholder.start)) + template.slice(placeholder.start, placeholder.end);
        copied = placeholder.end;
        continue;
      }
      if (!/^[a-z_][a-z0-9_]*$/.test(placeholder.name) && !placeholder.name.startsWith(METADATA_PREFIX)) continue;
      parts.push({ literal: literal + escapeDollars(template.slice(copied, placeholder.start)) }, { variable: placeholder.name });
      literal = '';
      copied = placeholder.end;
    }
  }
  parts.push({ literal: literal + escapeDollars(template.slice(copied)) });
  if (template.length <= CACHED_TEMPLATE_MAX_LENGTH) {
    if (compiledCache.size >= COMPILED_CACHE_LIMIT) compiledCache.delete(compiledCache.keys().next().value!);
    compiledCache.set(template, parts);
  }
  return parts;
}

/** The text of `value` as it goes between the quotes of a JSON string. */
function jsonStringContent(value: string): string {
  const quoted = JSON.stringify(value);
  return quoted.slice(1, -1);
}

/**
 * `$` as `\u0024` in JSON text that is inside a string (`$` cannot occur outside one, and no escape sequence contains
 * it, so the text decodes exactly as before).
 */
function escapeDollars(jsonText: string): string {
  return jsonText.includes('$') ? jsonText.replaceAll('$', '\\u0024') : jsonText;
}

/** Phase-1 escaping: JSON escaping plus `$` as `\u0024`, so inserted text never forms a `${SECRET}` for phase 2. */
function escapeEventValue(value: string): string {
  return escapeDollars(jsonStringContent(value));
}

/**
 * A top-level key as written wins (a key may itself contain dots); otherwise a dotted key walks into nested objects,
 * `eval.auc` → metadata.eval.auc.
 */
export function metadataValue(metadata: Record<string, unknown>, key: string): unknown {
  if (Object.prototype.hasOwnProperty.call(metadata, key)) return metadata[key];
  let value: unknown = metadata;
  for (const segment of key.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.prototype.hasOwnProperty.call(value, segment)) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function metadataText(metadata: Record<string, unknown>, key: string): string | undefined {
  const value = metadataValue(metadata, key);
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? '';
}

/**
 * Phase 1: the payload with every event variable filled in (absent or inapplicable ones as empty strings) and
 * `${SECRET_NAME}` placeholders left for fillSecrets. Whitespace and everything else of the template is kept byte
 * for byte, except that a `$` not beginning a secret placeholder is written `\u0024` (see the file header). Throws TemplateError when the template is not valid JSON (validateTemplate refuses such templates).
 */
export function renderTemplate(template: string, values: TemplateValues, metadata: Record<string, unknown>): string {
  const parts = compile(template);
  let out = '';
  for (const part of parts) {
    if ('literal' in part) {
      out += part.literal;
      continue;
    }
    let value: string | undefined;
    if (part.variable.startsWith(METADATA_PREFIX)) value = metadataText(metadata, part.variable.slice(METADATA_PREFIX.length));
    if (value === undefined && Object.prototype.hasOwnProperty.call(values, part.variable)) value = values[part.variable];
    out += escapeEventValue(value ?? '');
  }
  return out;
}

/** Secret names still to be filled in a phase-1 result (the template's own `${SECRET}` placeholders). */
export function secretPlaceholders(rendered: string): string[] {
  if (!rendered.includes('${')) return [];
  const names = new Set<string>();
  let strings: StringToken[];
  try {
    strings = scanJson(rendered);
  } catch (error) {
    // Not JSON: there are no string values to fill, and fillSecrets reports the problem.
    if (error instanceof JsonSyntaxError) return [];
    throw error;
  }
  for (const token of strings) {
    if (token.isKey) continue;
    for (const placeholder of findPlaceholders(rendered, token.start + 1, token.end - 1)) {
      if (placeholder.end !== -1 && isSecretName(placeholder.name)) names.add(placeholder.name);
    }
  }
  return [...names];
}

/**
 * Phase 2, at send time: replaces each literal `${SECRET_NAME}` left in string values by phase 1 with the secret,
 * JSON-escaped. Given phase-1 output, these are exactly the placeholders the template's author wrote. Throws when a placeholder's secret is not in `secrets` (the message names the secret only).
 */
export function fillSecrets(rendered: string, secrets: Record<string, string>): string {
  if (!rendered.includes('${')) return rendered;
  let strings: StringToken[];
  try {
    strings = scanJson(rendered);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new TemplateError([locate(rendered, error.position, `invalid JSON: ${error.message}`)]);
    throw error;
  }
  let out = '';
  let copied = 0;
  for (const token of strings) {
    if (token.isKey) continue;
    for (const placeholder of findPlaceholders(rendered, token.start + 1, token.end - 1)) {
      if (placeholder.end === -1 || !isSecretName(placeholder.name)) continue;
      if (!Object.prototype.hasOwnProperty.call(secrets, placeholder.name)) {
        throw new Error(`secret ${placeholder.name} used by the payload is not available (deleted or not attached to the webhook)`);
      }
      out += rendered.slice(copied, placeholder.start) + jsonStringContent(secrets[placeholder.name]!);
      copied = placeholder.end;
    }
  }
  return out + rendered.slice(copied);
}
