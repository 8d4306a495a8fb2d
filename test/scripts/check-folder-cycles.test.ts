import { describe, expect, it } from 'vitest';
import { folderCycles } from '../../scripts/check-folder-cycles.js';

const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges).map(([from, to]) => [from, new Set(to)]));

describe('folderCycles', () => {
  it.each<{ name: string; edges: Record<string, string[]>; cycles: string[][] }>([
    { name: 'a chain has none', edges: { a: ['b'], b: ['c'], c: [] }, cycles: [] },
    { name: 'two folders importing each other', edges: { a: ['b'], b: ['a'] }, cycles: [['a', 'b']] },
    { name: 'a loop through three folders', edges: { a: ['b'], b: ['c'], c: ['a'], d: ['a'] }, cycles: [['a', 'b', 'c']] },
    { name: 'two separate loops', edges: { a: ['b'], b: ['a'], c: ['d'], d: ['c'] }, cycles: [['a', 'b'], ['c', 'd']] },
    { name: 'a diamond has none', edges: { a: ['b', 'c'], b: ['d'], c: ['d'], d: [] }, cycles: [] },
  ])('$name', ({ edges, cycles }) => {
    expect(folderCycles(graph(edges)).sort()).toEqual(cycles);
  });
});
