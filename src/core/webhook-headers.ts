// Custom request headers of a webhook (`X-API-Key: ${VENDOR_KEY}`, `Accept: application/vnd.github+json`): the rules a
// header must follow to be saved, and the filling of its `${SECRET_NAME}` placeholders at send time. Pure: the service
// (automations/webhooks.ts) checks the secrets exist and are attached, the delivery (delivery/prepare.ts) fills them.
//
// Rules, each refused with a message naming the header:
//   - a name is an RFC 9110 (RFC 7230) token: letters, digits and ! # $ % & ' * + - . ^ _ ` | ~, at most
//     MAX_HEADER_NAME_LENGTH characters; names are case-insensitive, so one name may be given once;
//   - a name is not one the sender sets itself or one that would break the HTTP exchange (RESERVED_HEADERS, any
//     `webhook-*`), nor `Authorization` when the webhook has an access token (that header carries it);
//   - a value is not empty, has no leading or trailing space or tab (receivers strip them, so what is shown would not
//     be what is compared), no CR, LF, NUL or other control character but tab, and no character beyond U+00FF (what
//     Node's HTTP client can send byte for byte), at most MAX_HEADER_VALUE_LENGTH characters;
//   - in a value, `${` always begins a placeholder `${SECRET_NAME}` (upper-case, like every secret name): a value
//     cannot hold a literal `${`; event variables (`${event_type}`) are payload-only.
//   - at most MAX_CUSTOM_HEADERS headers, and at most MAX_CUSTOM_HEADERS_SIZE characters of names and values together
//     (servers commonly refuse request headers beyond 8 KiB in all; the sender's own headers need about 300 bytes).

export interface CustomHeader {
  name: string;
  value: string;
}

export const MAX_CUSTOM_HEADERS = 20;
export const MAX_HEADER_NAME_LENGTH = 128;
export const MAX_HEADER_VALUE_LENGTH = 4096;
export const MAX_CUSTOM_HEADERS_SIZE = 6 * 1024;

/**
 * Lower-case names a webhook's custom headers may not use. Set by the sender on every request: `content-type` (the
 * body is always the JSON that the signatures cover), `user-agent` (receivers' allowlists and logs identify Modelyard
 * by it), `x-wandb-signature`, and everything `webhook-*` (Standard Webhooks: id, timestamp, signature). Set by the
 * HTTP client from the URL and the body, or hop-by-hop headers that would change how the message is framed or the
 * connection used: `host`, `content-length`, `transfer-encoding`, `connection`, `keep-alive`, `te`, `trailer`,
 * `upgrade`, `expect`, `proxy-connection`. And `content-encoding`: the body is sent as it is, never compressed.
 */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'user-agent',
  'x-wandb-signature',
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'proxy-connection',
  'content-encoding',
]);
export const RESERVED_HEADER_PREFIX = 'webhook-';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What Node's HTTP client sends unchanged in a header value: tab, visible ASCII and space, and U+0080–U+00FF. */
const SENDABLE_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const SECRET_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** A header that could not be saved: `index` is its position in the list, `header` its name as given. */
export interface HeaderProblem {
  index: number;
  header: string;
  message: string;
}

/** Why `value` (a secret's value, or a value with its secrets filled in) cannot be sent in a header, or undefined. */
export function headerValueProblem(value: string): string | undefined {
  if (/[\r\n]/.test(value)) return 'contains a line break (CR or LF)';
  if (value.includes('\u0000')) return 'contains a NUL character';
  if (!SENDABLE_VALUE.test(value)) return 'contains a control character other than tab, or a character beyond U+00FF';
  return undefined;
}

/** The text and placeholder parts of a value; throws a message when a `${` does not begin a valid placeholder. */
function parseValue(value: string): Array<{ text: string } | { secret: string }> {
  const parts: Array<{ text: string } | { secret: string }> = [];
  let at = 0;
  for (let open = value.indexOf('${'); open !== -1; open = value.indexOf('${', at)) {
    if (open > at) parts.push({ text: value.slice(at, open) });
    const close = value.indexOf('}', open + 2);
    if (close === -1) throw new Error('has a "${" without a closing "}" (a value cannot hold a literal "${")');
    const name = value.slice(open + 2, close);
    if (!SECRET_NAME.test(name)) {
      throw new Error(
        `uses \${${name.slice(0, 64)}}, which is not a secret name: header values can insert only the webhook's secrets, named in upper case like \${API_KEY}`,
      );
    }
    parts.push({ secret: name });
    at = close + 1;
  }
  if (at < value.length) parts.push({ text: value.slice(at) });
  return parts;
}

/** The secret names a valid header value uses, in order of first use. */
export function headerSecretNames(value: string): string[] {
  return [...new Set(parseValue(value).flatMap((part) => ('secret' in part ? [part.secret] : [])))];
}

/** The secret names all the headers use (the headers are valid). */
export function headersSecretNames(headers: readonly CustomHeader[]): string[] {
  return [...new Set(headers.flatMap((header) => headerSecretNames(header.value)))];
}

/**
 * Problems of a list of headers by the rules above (an empty list when it can be saved). `accessTokenSet`: the webhook
 * sends an access token, so `Authorization` is taken. Secret names are checked for form only; whether they are the
 * webhook's attached secrets is the caller's to check (headersSecretNames).
 */
export function headerProblems(headers: readonly CustomHeader[], options: { accessTokenSet: boolean }): HeaderProblem[] {
  const problems: HeaderProblem[] = [];
  if (headers.length > MAX_CUSTOM_HEADERS) {
    return [{ index: MAX_CUSTOM_HEADERS, header: headers[MAX_CUSTOM_HEADERS]!.name, message: `at most ${MAX_CUSTOM_HEADERS} headers` }];
  }
  const seen = new Map<string, number>();
  let size = 0;
  headers.forEach(({ name, value }, index) => {
    const problem = (message: string) => problems.push({ index, header: name, message });
    size += name.length + value.length;
    const lower = name.toLowerCase();
    if (name.length === 0) return problem('the name is empty');
    if (name.length > MAX_HEADER_NAME_LENGTH) return problem(`the name is longer than ${MAX_HEADER_NAME_LENGTH} characters`);
    if (!TOKEN.test(name)) {
      return problem("the name may use only letters, digits and ! # $ % & ' * + - . ^ _ ` | ~ (an HTTP token: no spaces, colons or quotes)");
    }
    // Headers travel as plain objects down to Node's HTTP client, where this name would set a prototype, not a header.
    if (lower === '__proto__') return problem('__proto__ cannot be sent as a header name');
    if (RESERVED_HEADERS.has(lower) || lower.startsWith(RESERVED_HEADER_PREFIX)) {
      return problem(`${name} is set by Modelyard itself (reserved: ${reservedHeaderList()})`);
    }
    if (lower === 'authorization' && options.accessTokenSet) {
      return problem('Authorization carries the webhook\'s access token ("Bearer …"); remove the access token to set Authorization yourself');
    }
    const first = seen.get(lower);
    if (first !== undefined) return problem(`${name} is given twice (header names are case-insensitive; the first is header ${first + 1})`);
    seen.set(lower, index);
    if (value.length === 0) return problem('the value is empty');
    if (value.length > MAX_HEADER_VALUE_LENGTH) return problem(`the value is longer than ${MAX_HEADER_VALUE_LENGTH} characters`);
    if (/^[ \t]|[ \t]$/.test(value)) return problem('the value begins or ends with a space or tab (receivers strip them)');
    const valueProblem = headerValueProblem(value);
    if (valueProblem !== undefined) return problem(`the value ${valueProblem}`);
    try {
      parseValue(value);
    } catch (error) {
      return problem(`the value ${(error as Error).message}`);
    }
    return undefined;
  });
  if (problems.length === 0 && size > MAX_CUSTOM_HEADERS_SIZE) {
    problems.push({ index: headers.length - 1, header: headers[headers.length - 1]!.name, message: `the headers' names and values together exceed ${MAX_CUSTOM_HEADERS_SIZE} characters` });
  }
  return problems;
}

/** The reserved names as a reader wants them listed in a message or the docs. */
export function reservedHeaderList(): string {
  return 'Content-Type, User-Agent, X-Wandb-Signature, webhook-*, Host, Content-Length, Transfer-Encoding, Connection, Keep-Alive, TE, Trailer, Upgrade, Expect, Proxy-Connection, Content-Encoding, and Authorization when an access token is set';
}

export type FilledHeaders =
  | { kind: 'filled'; headers: Record<string, string> }
  | { kind: 'refused'; error: string };

/**
 * The headers with their placeholders filled from `secrets` (a record without prototype, holding only the secrets the
 * headers may use). Refused, naming the header and the secret (never a value), when a secret is not offered or its
 * value cannot be sent in a header. A stored value that no longer follows the rules is refused too.
 */
export function fillHeaderSecrets(headers: readonly CustomHeader[], secrets: Record<string, string>): FilledHeaders {
  const filled: Record<string, string> = {};
  for (const { name, value } of headers) {
    let parts: ReturnType<typeof parseValue>;
    try {
      parts = parseValue(value);
    } catch (error) {
      return { kind: 'refused', error: `header ${name}: the value ${(error as Error).message}; the delivery was not sent` };
    }
    let out = '';
    for (const part of parts) {
      if ('text' in part) {
        out += part.text;
        continue;
      }
      if (!Object.prototype.hasOwnProperty.call(secrets, part.secret)) {
        return {
          kind: 'refused',
          error: `header ${name} uses secret ${part.secret}, which is not attached to the webhook (only its signing secret and access token can be used); the delivery was not sent`,
        };
      }
      const problem = headerValueProblem(secrets[part.secret]!);
      if (problem !== undefined) {
        return { kind: 'refused', error: `header ${name}: the value of secret ${part.secret} ${problem}, which cannot be sent in a header; the delivery was not sent` };
      }
      out += secrets[part.secret]!;
    }
    filled[name] = out;
  }
  return { kind: 'filled', headers: filled };
}

/** Parses the stored JSON list (the `headers` column); a row written before migration 004 holds `[]`. */
export function parseStoredHeaders(json: string | null): CustomHeader[] {
  if (json === null || json === '' || json === '[]') return [];
  const parsed = JSON.parse(json) as unknown;
  if (!Array.isArray(parsed)) return [];
  return parsed.map((item: { name: unknown; value: unknown }) => ({ name: String(item.name), value: String(item.value) }));
}
