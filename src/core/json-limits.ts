// Limits on the text and JSON a request may carry, checked once per request before any handler runs (see
// api/app.ts) and again for JSON that arrives inside a field (artifact metadata, payload templates).
//
// - NUL (U+0000): PostgreSQL refuses it in text columns, so a name, a description or a metadata key holding it
//   would fail the statement (a 500) on one database and be stored on the other. Refused everywhere instead.
// - Nesting: JSON.stringify and every recursive reader of a stored document (the UI, receivers, agents) overflow
//   the stack on deep nesting; no real metadata or payload comes close to the limit.
// Both walks are iterative, so the input that is refused cannot overflow the stack while being checked.

/** Levels of arrays and objects a JSON document may nest; the outermost object or array is level 1. */
export const MAX_JSON_DEPTH = 64;

export const NUL = '\u0000';

export interface TextProblem {
  /** Where, as the API names fields: `metadata.scores[2]`, `name`. */
  field: string;
  message: string;
}

interface Frame {
  value: unknown;
  depth: number;
  key: string | number;
  parent: Frame | undefined;
}

function fieldOf(frame: Frame, whole: string): string {
  const parts: Array<string | number> = [];
  for (let f: Frame | undefined = frame; f?.parent !== undefined; f = f.parent) parts.push(f.key);
  let field = '';
  for (const part of parts.reverse()) {
    if (typeof part === 'number') field += `[${part}]`;
    else field += field === '' ? visibleKey(part) : `.${visibleKey(part)}`;
  }
  return field === '' ? whole : field;
}

/** Keys appear in error messages: NULs made visible, long keys cut. */
function visibleKey(key: string): string {
  const shown = key.split(NUL).join('\\u0000');
  return shown.length > 64 ? `${shown.slice(0, 64)}…` : shown;
}

/**
 * The first NUL (in a string or a key) or the first container nested deeper than `maxDepth` in a parsed JSON
 * value, a path-parameter object or a query object. Fields are named from the value's top (`metadata.scores[2]`);
 * a problem with the value as a whole is named `whole`.
 */
export function findTextProblem(value: unknown, whole: string, maxDepth = MAX_JSON_DEPTH): TextProblem | undefined {
  const stack: Frame[] = [{ value, depth: 0, key: '', parent: undefined }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const current = frame.value;
    if (typeof current === 'string') {
      if (current.includes(NUL)) return { field: fieldOf(frame, whole), message: 'contains a NUL character (U+0000), which no text may hold' };
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    const depth = frame.depth + 1;
    if (depth > maxDepth) {
      return { field: fieldOf(frame, whole), message: `nests deeper than ${maxDepth} levels of arrays and objects (the limit for JSON in a request)` };
    }
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], depth, key: i, parent: frame });
      continue;
    }
    const keys = Object.keys(current);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const child: Frame = { value: (current as Record<string, unknown>)[key], depth, key, parent: frame };
      if (key.includes(NUL)) return { field: fieldOf(child, whole), message: 'this key contains a NUL character (U+0000), which no text may hold' };
      stack.push(child);
    }
  }
  return undefined;
}

/**
 * How deep the arrays and objects of JSON text nest, without parsing it (templates are JSON text with placeholders
 * and are stored as text); stops counting once past `maxDepth`. Brackets inside strings do not count.
 */
export function jsonTextDepth(text: string, maxDepth = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > maxDepth) return deepest;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}
