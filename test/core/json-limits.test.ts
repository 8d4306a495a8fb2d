// The NUL and nesting checks every request goes through (api/app.ts) and that JSON inside fields gets.
import { describe, expect, it } from 'vitest';
import { findTextProblem, jsonTextDepth, MAX_JSON_DEPTH } from '../../src/core/json-limits.js';

function nestedArrays(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('findTextProblem', () => {
  it.each([
    ['a clean body', { name: 'ok', list: [1, 'two', { three: null }] }, undefined],
    ['a scalar', 'plain', undefined],
    ['a NUL in a top-level string', { name: 'a\u0000' }, 'name'],
    ['a NUL in an array item', { payload: { list: ['ok', 'n\u0000'] } }, 'payload.list[1]'],
    ['a NUL in a key, made visible', { payload: { 'k\u0000': 1 } }, 'payload.k\\u0000'],
    ['a NUL in the value as a whole', 'a\u0000', 'body'],
  ])('%s → %s', (_label, value, field) => {
    expect(findTextProblem(value, 'body')?.field).toBe(field);
  });

  it(`allows ${MAX_JSON_DEPTH} levels and refuses one more, naming where`, () => {
    expect(findTextProblem(nestedArrays(MAX_JSON_DEPTH), 'body')).toBeUndefined();
    const problem = findTextProblem({ deep: nestedArrays(MAX_JSON_DEPTH) }, 'body');
    expect(problem?.field).toBe(`deep${'[0]'.repeat(MAX_JSON_DEPTH - 1)}`);
    expect(problem?.message).toContain(String(MAX_JSON_DEPTH));
  });

  it('walks 200,000 levels without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(200_000)}${']'.repeat(200_000)}`) as unknown;
    expect(findTextProblem(deep, 'body')?.message).toContain('nests deeper');
  });
});

describe('jsonTextDepth', () => {
  it.each([
    ['{}', 1],
    ['"[[["', 0],
    ['{"a":[{"b":"${x}"}]}', 3],
    ['{"a":"\\"[[[[", "b": [1]}', 2],
    ['[[[]],[[[]]]]', 4],
  ])('%s nests %i levels', (text, depth) => {
    expect(jsonTextDepth(text)).toBe(depth);
  });

  it('stops counting past the limit', () => {
    expect(jsonTextDepth('['.repeat(200_000))).toBe(MAX_JSON_DEPTH + 1);
  });
});
