// Redaction of secret values from text that may echo a request back: a receiver's response body and headers, the
// webhook Test's answer, log lines. A receiver rarely echoes a value exactly as it was sent; it echoes the request
// it parsed, re-encoded. So each secret is searched for in every form in which a request can carry or re-encode it.
//
// Rather than enumerating encodings of the secret (their combinations explode, and a regular expression over them
// backtracks badly on hostile text), the text is decoded, and the plain value is searched for in each decoding:
//   - the text as it is;
//   - JSON-unescaped: every `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t` and `\uXXXX` (either hex case, surrogate
//     pairs included) replaced by its character — whichever characters the encoder chose to escape (JSON.stringify,
//     Python's ensure_ascii, PHP's escaped slashes, Go's and .NET's HTML-safe escaping);
//   - URL-decoded: `%XX` sequences (either hex case) decoded as UTF-8, `+` as a space (encodeURIComponent,
//     URLSearchParams and form encoding, RFC 3986 encoders);
//   - two of these layers nested, in any order (a JSON body echoed inside a JSON string, like httpbin's "data"; a
//     JSON body in a query string; a URL inside JSON; double URL-encoding).
// Decoding runs left to right like a JSON or URL decoder; each decoded character remembers the span of the text it
// came from, and a match is redacted over the original span.
// In each of these decodings the search also covers base64 and base64url (padded or not) of the secret's UTF-8
// bytes and of its JSON-escaped text, in each of the three byte alignments at which it can start inside a longer
// encoded message (an echoed body in base64, an `Authorization: Basic` header): only the characters that depend on
// the secret's bytes alone are searched, so the one character at each end that mixes in neighbouring bytes is left
// (a few bits of the first and last byte). And hex of the UTF-8 bytes, lower or upper case. Base64 and hex runs
// shorter than MIN_DERIVED_LENGTH characters are not searched: they would match ordinary text (every alignment is
// covered for secrets of 5 bytes or more). The value itself is redacted whatever its length — a one-character secret
// is still a secret. Empty values are ignored.
//
// Every occurrence of every secret is found (overlapping ones too) and the union of their spans is replaced, each
// connected span by one REDACTED: secrets that overlap or contain one another (the longest first, in effect) leave
// no fragment of either behind. Not recognised: mixed-case hex inside one base64-to-hex form, HTML entities, and
// encodings beyond two nested layers.

export const REDACTED = '[redacted]';
export const MIN_DERIVED_LENGTH = 6;
/** A value cut off at the end of a text is redacted when at least this many characters of one of its forms remain. */
export const MIN_CUT_PREFIX_LENGTH = 4;

/**
 * A decoding of the text: `text[i]` came from original characters `from[i]` up to (not including) `to[i]`.
 * `partialTail` counts the view's last characters that are an escape cut short at the end of the text.
 */
interface View {
  text: string;
  from: Int32Array;
  to: Int32Array;
  partialTail: number;
}

function rawView(text: string): View {
  const from = new Int32Array(text.length);
  const to = new Int32Array(text.length);
  for (let i = 0; i < text.length; i += 1) {
    from[i] = i;
    to[i] = i + 1;
  }
  return { text, from, to, partialTail: 0 };
}

/** Builds a decoding of `source`; a decoding is never longer than its source. */
class ViewBuilder {
  private text = '';
  private readonly from: Int32Array;
  private readonly to: Int32Array;
  private length = 0;

  constructor(private readonly source: View) {
    this.from = new Int32Array(source.text.length);
    this.to = new Int32Array(source.text.length);
  }

  /** Copies source[first..end) unchanged. */
  copy(first: number, end: number): void {
    if (end <= first) return;
    this.text += this.source.text.slice(first, end);
    this.from.set(this.source.from.subarray(first, end), this.length);
    this.to.set(this.source.to.subarray(first, end), this.length);
    this.length += end - first;
  }

  /** Appends `units` (one character, one or two UTF-16 code units) decoded from source[first..last]. */
  push(units: string, first: number, last: number): void {
    this.text += units;
    for (let k = 0; k < units.length; k += 1) {
      this.from[this.length] = this.source.from[first]!;
      this.to[this.length] = this.source.to[last]!;
      this.length += 1;
    }
  }

  build(partialTail: number): View {
    return { text: this.text, from: this.from.subarray(0, this.length), to: this.to.subarray(0, this.length), partialTail };
  }
}

const JSON_UNESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const HEX = /^[0-9a-fA-F]+$/;

function jsonDecoded(view: View): View {
  const src = view.text;
  const out = new ViewBuilder(view);
  let partialTail = 0;
  let i = 0;
  for (let escape = src.indexOf('\\'); escape !== -1; escape = src.indexOf('\\', i)) {
    out.copy(i, escape);
    i = escape;
    const next = src[i + 1];
    const digits = src.slice(i + 2, i + 6);
    if (next !== undefined && JSON_UNESCAPES[next] !== undefined) {
      out.push(JSON_UNESCAPES[next], i, i + 1);
      i += 2;
    } else if (next === 'u' && digits.length === 4 && HEX.test(digits)) {
      out.push(String.fromCharCode(parseInt(digits, 16)), i, i + 5);
      i += 6;
    } else {
      if (next === undefined || (next === 'u' && digits.length < 4 && (digits === '' || HEX.test(digits)))) partialTail = src.length - i;
      out.copy(i, i + 1);
      i += 1;
    }
  }
  out.copy(i, src.length);
  return out.build(partialTail);
}

/** Bytes in a UTF-8 sequence starting with `lead`; 0 for a byte that cannot start one. */
function utf8SequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

function urlDecoded(view: View): View {
  const src = view.text;
  const out = new ViewBuilder(view);
  let partialTail = 0;
  const byteAt = (i: number): number => (src[i] === '%' && i + 3 <= src.length && HEX.test(src.slice(i + 1, i + 3)) ? parseInt(src.slice(i + 1, i + 3), 16) : -1);
  const special = /[%+]/g;
  let i = 0;
  for (let match = special.exec(src); match !== null; special.lastIndex = i, match = special.exec(src)) {
    out.copy(i, match.index);
    i = match.index;
    if (src[i] === '+') {
      out.push(' ', i, i);
      i += 1;
      continue;
    }
    const lead = byteAt(i);
    const length = lead >= 0 ? utf8SequenceLength(lead) : 0;
    const bytes = [lead];
    for (let k = 1; k < length && byteAt(i + 3 * k) >= 0x80 && byteAt(i + 3 * k) <= 0xbf; k += 1) bytes.push(byteAt(i + 3 * k));
    if (length > 0 && bytes.length === length) {
      const char = Buffer.from(bytes).toString('utf8');
      // Overlong forms and surrogates decode to U+FFFD, which does not encode back to the same bytes.
      if (Buffer.from(char, 'utf8').equals(Buffer.from(bytes))) {
        out.push(char, i, i + 3 * length - 1);
        i += 3 * length;
        continue;
      }
    }
    if (length > 1 && i + 3 * bytes.length + 3 > src.length) partialTail = src.length - i;
    else if (lead < 0 && src.length - i < 3 && HEX.test(src.slice(i + 1) || '0')) partialTail = src.length - i;
    out.copy(i, i + 1);
    i += 1;
  }
  out.copy(i, src.length);
  return out.build(partialTail);
}

/** The text as it is and decoded by up to two layers of JSON and URL encoding (see the file header). */
function decodings(text: string): View[] {
  const raw = rawView(text);
  const views = [raw];
  const seen = new Set([text]);
  const add = (view: View): View | undefined => {
    if (seen.has(view.text) && view.partialTail === 0) return undefined;
    seen.add(view.text);
    views.push(view);
    return view;
  };
  const json = text.includes('\\') ? add(jsonDecoded(raw)) : undefined;
  const url = /[%+]/.test(text) ? add(urlDecoded(raw)) : undefined;
  for (const once of [json, url]) {
    if (once === undefined) continue;
    if (once.text.includes('\\')) add(jsonDecoded(once));
    if (/[%+]/.test(once.text)) add(urlDecoded(once));
  }
  return views;
}

/**
 * The base64 characters that depend only on `bytes` when they start at byte offset `alignment` (0–2) of a longer
 * message, in the standard alphabet without padding.
 */
function base64Core(bytes: Buffer, alignment: number): string {
  const encoded = Buffer.concat([Buffer.alloc(alignment), bytes]).toString('base64').replace(/=+$/, '');
  const total = alignment + bytes.length;
  // A 3-byte group gives 4 characters: the 1st depends on byte 0, the 2nd on bytes 0–1, the 3rd on 1–2, the 4th on 2.
  const start = [0, 2, 3][alignment]!;
  const end = 4 * Math.floor(total / 3) + [0, 1, 2][total % 3]!;
  return encoded.slice(start, end);
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Needles by secret value. A worker redacts every response it records (body and each header) with the same few
 * secrets, and deriving their base64 and hex forms cost more than searching for them; the cache is bounded (oldest
 * out first) so a process that sees many secrets keeps only the recent ones.
 */
const NEEDLE_CACHE_SIZE = 512;
const needleCache = new Map<string, string[]>();

function needlesFor(value: string): string[] {
  let needles = needleCache.get(value);
  if (needles === undefined) {
    needles = deriveNeedles(value);
    if (needleCache.size >= NEEDLE_CACHE_SIZE) needleCache.delete(needleCache.keys().next().value!);
    needleCache.set(value, needles);
  }
  return needles;
}

/** What to search for in every decoding: the value, and its base64 and hex texts that are long enough. */
function deriveNeedles(value: string): string[] {
  // A UTF-8 encoder writes a lone surrogate as U+FFFD: that is what comes back URL-encoded or in base64.
  const wellFormed = value.replace(LONE_SURROGATE, '\ufffd');
  const needles = new Set([value, wellFormed]);
  const derived = new Set<string>();
  for (const text of new Set([value, JSON.stringify(value).slice(1, -1)])) {
    const bytes = Buffer.from(text, 'utf8');
    for (const b64 of [bytes.toString('base64'), ...[0, 1, 2].map((alignment) => base64Core(bytes, alignment))]) {
      derived.add(b64);
      derived.add(b64.replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, ''));
    }
    const hex = bytes.toString('hex');
    derived.add(hex);
    derived.add(hex.toUpperCase());
  }
  for (const form of derived) if (form.length >= MIN_DERIVED_LENGTH) needles.add(form);
  return [...needles];
}

/** The length of the longest suffix of `text` that is a proper prefix of `needle` (Knuth–Morris–Pratt). */
function cutPrefixLength(text: string, needle: string): number {
  const pattern = needle.slice(0, -1);
  if (pattern.length === 0) return 0;
  const failure = new Int32Array(pattern.length);
  for (let i = 1, k = 0; i < pattern.length; i += 1) {
    while (k > 0 && pattern[i] !== pattern[k]) k = failure[k - 1]!;
    if (pattern[i] === pattern[k]) k += 1;
    failure[i] = k;
  }
  let state = 0;
  for (let i = Math.max(0, text.length - pattern.length); i < text.length; i += 1) {
    while (state > 0 && (state === pattern.length || text[i] !== pattern[state])) state = failure[state - 1]!;
    if (text[i] === pattern[state]) state += 1;
  }
  return state;
}

export interface RedactOptions {
  /**
   * The text was cut at a size limit (a response excerpt): also redact its end when it is the beginning of the
   * value or of one of its forms (at least MIN_CUT_PREFIX_LENGTH characters of it).
   */
  cutAtEnd?: boolean;
}

/** `text` with every form of every secret value (see the file header) replaced by REDACTED. */
export function redactSecrets(text: string, secretValues: readonly string[], options: RedactOptions = {}): string {
  if (text.length === 0 || secretValues.every((value) => value.length === 0)) return text;
  // The usual answer holds no escape of either kind and no secret: it is its only decoding, and nothing is found in
  // it (checked without building the decodings' position maps; this runs for every header of every delivery).
  if (!options.cutAtEnd && !/[\\%+]/.test(text) && secretValues.every((value) => value.length === 0 || needlesFor(value).every((needle) => !text.includes(needle)))) {
    return text;
  }
  const values = [...new Set(secretValues)].filter((value) => value.length > 0);
  const spans: Array<[number, number]> = [];
  const views = decodings(text);
  for (const value of values) {
    for (const needle of needlesFor(value)) {
      for (const view of views) {
        for (let at = view.text.indexOf(needle); at !== -1; at = view.text.indexOf(needle, at + 1)) {
          spans.push([view.from[at]!, view.to[at + needle.length - 1]!]);
        }
        if (options.cutAtEnd) {
          const complete = view.text.slice(0, view.text.length - view.partialTail);
          const cut = cutPrefixLength(complete, needle);
          if (cut >= MIN_CUT_PREFIX_LENGTH) spans.push([view.from[complete.length - cut]!, text.length]);
        }
      }
    }
  }
  if (spans.length === 0) return text;
  spans.sort((a, b) => a[0] - b[0]);
  let out = '';
  let copied = 0;
  let [start, end] = spans[0]!;
  for (const [nextStart, nextEnd] of spans.slice(1)) {
    if (nextStart <= end) {
      end = Math.max(end, nextEnd);
      continue;
    }
    out += text.slice(copied, start) + REDACTED;
    copied = end;
    [start, end] = [nextStart, nextEnd];
  }
  return out + text.slice(copied, start) + REDACTED + text.slice(end);
}

/** Header values with every form of every secret redacted (names are kept: they are the receiver's, not secrets). */
export function redactSecretsInHeaders(headers: Record<string, string>, secretValues: readonly string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, redactSecrets(value, secretValues)]));
}
