// Conditions on automations: a small expression over a version's metadata and checks, e.g.
//
//   metadata.eval.auc >= 0.9 && checks.eval == "success"
//
// Grammar (lowest precedence first; parentheses group):
//   or         := and ( "||" and )*
//   and        := unary ( "&&" unary )*
//   unary      := "!" unary | comparison
//   comparison := operand ( ( "==" | "!=" | "<" | "<=" | ">" | ">=" ) operand )?
//   operand    := "(" or ")" | number | string | true | false | null | path
//   path       := ( "metadata" | "checks" ) ( "." segment )+      segment: letters, digits, _ and -
// Strings are double- or single-quoted with JSON's escapes. Parsed by hand (recursive descent with a depth limit):
// nothing is ever evaluated as code, and every error names its position.
//
// Meaning: `metadata.a.b` walks into nested metadata objects; `checks.NAME` is the check's state ("pending",
// "success", "failure"); anything absent is null. `==`/`!=` compare JSON values exactly (1 == "1" is false); `<`,
// `<=`, `>`, `>=` are false unless both sides are numbers or both strings. Used as a truth value, a value is true
// unless it is false, null, 0 or "" (so `metadata.approved` tests a flag and `!checks.eval` an unreported check).
// Pure: the caller gives the metadata and the checks.

export const MAX_CONDITION_LENGTH = 2000;
const MAX_DEPTH = 32;
const ROOTS = ['metadata', 'checks'] as const;

export class ConditionError extends Error {
  constructor(
    message: string,
    /** Offset in the condition text (0-based). */
    readonly position: number,
  ) {
    super(`position ${position + 1}: ${message}`);
    this.name = 'ConditionError';
  }
}

type Value = string | number | boolean | null;
type Comparison = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type ConditionNode =
  | { kind: 'literal'; value: Value }
  | { kind: 'path'; root: (typeof ROOTS)[number]; segments: string[] }
  | { kind: 'not'; operand: ConditionNode }
  | { kind: 'and' | 'or'; left: ConditionNode; right: ConditionNode }
  | { kind: 'compare'; op: Comparison; left: ConditionNode; right: ConditionNode };

type Token =
  | { type: 'op'; value: string; position: number }
  | { type: 'number'; value: number; position: number }
  | { type: 'string'; value: string; position: number }
  | { type: 'word'; value: string; position: number }
  | { type: 'end'; position: number };

const OPERATORS = ['&&', '||', '==', '!=', '<=', '>=', '<', '>', '!', '(', ')', '.'];
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WORD = /[A-Za-z0-9_-]+/y;

function describe(token: Token): string {
  switch (token.type) {
    case 'end':
      return 'the end of the condition';
    case 'string':
      return `the string ${JSON.stringify(token.value)}`;
    case 'number':
      return `the number ${token.value}`;
    default:
      return `"${token.value}"`;
  }
}

function readString(text: string, start: number): { value: string; end: number } {
  const quote = text[start]!;
  let i = start + 1;
  let raw = '';
  while (i < text.length) {
    const char = text[i]!;
    if (char === quote) {
      try {
        return { value: JSON.parse(`"${raw}"`) as string, end: i + 1 };
      } catch {
        throw new ConditionError('invalid escape in a string (use JSON escapes such as \\" or \\n)', start);
      }
    }
    if (char === '\\') {
      const next = text[i + 1];
      if (next === undefined) break;
      // A single-quoted string's \' is a plain ' (JSON has no such escape); an unescaped " inside it is kept.
      raw += next === "'" ? "'" : char + next;
      i += 2;
      continue;
    }
    raw += char === '"' ? '\\"' : char;
    i += 1;
  }
  throw new ConditionError('unterminated string', start);
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (/\s/.test(char)) {
      i += 1;
      continue;
    }
    if (char === '"' || char === "'") {
      const { value, end } = readString(text, i);
      tokens.push({ type: 'string', value, position: i });
      i = end;
      continue;
    }
    const previous = tokens[tokens.length - 1];
    // A number, unless it is a path segment right after "." (metadata.v1.auc, checks.0).
    if (/[-0-9]/.test(char) && !(previous?.type === 'op' && previous.value === '.')) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text);
      if (!match) throw new ConditionError(`unexpected ${JSON.stringify(char)}`, i);
      tokens.push({ type: 'number', value: Number(match[0]), position: i });
      i += match[0].length;
      continue;
    }
    const op = OPERATORS.find((candidate) => text.startsWith(candidate, i));
    if (op) {
      tokens.push({ type: 'op', value: op, position: i });
      i += op.length;
      continue;
    }
    WORD.lastIndex = i;
    const word = WORD.exec(text);
    if (word) {
      tokens.push({ type: 'word', value: word[0], position: i });
      i += word[0].length;
      continue;
    }
    const hint = char === '=' ? ' (compare with "==")' : char === '&' || char === '|' ? ` (write "${char}${char}")` : '';
    throw new ConditionError(`unexpected ${JSON.stringify(char)}${hint}`, i);
  }
  tokens.push({ type: 'end', position: text.length });
  return tokens;
}

class Parser {
  private index = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): ConditionNode {
    const node = this.or();
    const next = this.peek();
    if (next.type !== 'end') throw new ConditionError(`expected "&&", "||" or the end, found ${describe(next)}`, next.position);
    return node;
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private isOp(value: string): boolean {
    const token = this.peek();
    return token.type === 'op' && token.value === value;
  }

  private nested<T>(parse: () => T): T {
    if (++this.depth > MAX_DEPTH) throw new ConditionError(`nested more than ${MAX_DEPTH} levels deep`, this.peek().position);
    try {
      return parse();
    } finally {
      this.depth -= 1;
    }
  }

  private or(): ConditionNode {
    let left = this.and();
    while (this.isOp('||')) {
      this.index += 1;
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): ConditionNode {
    let left = this.unary();
    while (this.isOp('&&')) {
      this.index += 1;
      left = { kind: 'and', left, right: this.unary() };
    }
    return left;
  }

  private unary(): ConditionNode {
    if (this.isOp('!')) {
      this.index += 1;
      return this.nested(() => ({ kind: 'not', operand: this.unary() }));
    }
    return this.comparison();
  }

  private comparison(): ConditionNode {
    const left = this.operand();
    const token = this.peek();
    if (token.type === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(token.value)) {
      this.index += 1;
      const right = this.operand();
      return { kind: 'compare', op: token.value as Comparison, left, right };
    }
    return left;
  }

  private operand(): ConditionNode {
    const token = this.peek();
    if (token.type === 'op' && token.value === '(') {
      this.index += 1;
      const inner = this.nested(() => this.or());
      const close = this.peek();
      if (!(close.type === 'op' && close.value === ')')) throw new ConditionError(`expected ")" to close the "(" at position ${token.position + 1}, found ${describe(close)}`, close.position);
      this.index += 1;
      return inner;
    }
    if (token.type === 'number' || token.type === 'string') {
      this.index += 1;
      return { kind: 'literal', value: token.value };
    }
    if (token.type === 'word') {
      this.index += 1;
      if (token.value === 'true' || token.value === 'false') return { kind: 'literal', value: token.value === 'true' };
      if (token.value === 'null') return { kind: 'literal', value: null };
      if (!(ROOTS as readonly string[]).includes(token.value)) {
        throw new ConditionError(`unknown name "${token.value}": a path starts with metadata. or checks. (strings need quotes)`, token.position);
      }
      const segments: string[] = [];
      while (this.isOp('.')) {
        this.index += 1;
        const segment = this.peek();
        if (segment.type !== 'word') throw new ConditionError(`expected a name after ".", found ${describe(segment)}`, segment.position);
        segments.push(segment.value);
        this.index += 1;
      }
      if (segments.length === 0) throw new ConditionError(`"${token.value}" needs a key, e.g. ${token.value === 'checks' ? 'checks.eval' : 'metadata.eval.auc'}`, token.position);
      if (token.value === 'checks' && segments.length > 1) throw new ConditionError('a check is one name: checks.NAME', token.position);
      return { kind: 'path', root: token.value as (typeof ROOTS)[number], segments };
    }
    throw new ConditionError(`expected a value (a path, string, number, true, false or null), found ${describe(token)}`, token.position);
  }
}

/** Parses a condition; throws ConditionError with the position of the first problem. */
export function parseCondition(text: string): ConditionNode {
  if (text.length > MAX_CONDITION_LENGTH) throw new ConditionError(`a condition is at most ${MAX_CONDITION_LENGTH} characters`, MAX_CONDITION_LENGTH);
  if (text.trim() === '') throw new ConditionError('the condition is empty (use null for none)', 0);
  return new Parser(tokenize(text)).parse();
}

export interface ConditionContext {
  metadata: Record<string, unknown>;
  /** Check states by name. */
  checks: Record<string, string>;
}

function resolve(node: Extract<ConditionNode, { kind: 'path' }>, context: ConditionContext): unknown {
  if (node.root === 'checks') return Object.prototype.hasOwnProperty.call(context.checks, node.segments[0]!) ? context.checks[node.segments[0]!] : null;
  let value: unknown = context.metadata;
  for (const segment of node.segments) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.prototype.hasOwnProperty.call(value, segment)) return null;
    value = (value as Record<string, unknown>)[segment];
  }
  return value ?? null;
}

function valueOf(node: ConditionNode, context: ConditionContext): unknown {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'path':
      return resolve(node, context);
    default:
      return evaluate(node, context);
  }
}

function truthy(value: unknown): boolean {
  return !(value === false || value === null || value === undefined || value === 0 || value === '');
}

function compare(op: Comparison, left: unknown, right: unknown): boolean {
  if (op === '==') return left === right;
  if (op === '!=') return left !== right;
  const comparable = (typeof left === 'number' && typeof right === 'number') || (typeof left === 'string' && typeof right === 'string');
  if (!comparable) return false;
  const [a, b] = [left as number | string, right as number | string];
  return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
}

/** Whether the condition holds for the version's metadata and checks. */
export function evaluate(node: ConditionNode, context: ConditionContext): boolean {
  switch (node.kind) {
    case 'and':
      return evaluate(node.left, context) && evaluate(node.right, context);
    case 'or':
      return evaluate(node.left, context) || evaluate(node.right, context);
    case 'not':
      return !evaluate(node.operand, context);
    case 'compare':
      return compare(node.op, valueOf(node.left, context), valueOf(node.right, context));
    default:
      return truthy(valueOf(node, context));
  }
}

/** Whether the condition reads any check (dispatch then loads the version's checks). */
export function readsChecks(node: ConditionNode): boolean {
  switch (node.kind) {
    case 'path':
      return node.root === 'checks';
    case 'literal':
      return false;
    case 'not':
      return readsChecks(node.operand);
    default:
      return readsChecks(node.left) || readsChecks(node.right);
  }
}
