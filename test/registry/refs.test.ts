import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { checkExplicitAlias, checkExplicitAliases, parseSource, parseVersionRef, versionLabel } from '../../src/registry/refs.js';

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(400);
    return (error as AppError).details?.field as string;
  }
  return undefined;
}

describe('parseVersionRef', () => {
  it.each([
    ['v0', { index: 0 }],
    ['v12', { index: 12 }],
    ['latest', { alias: 'latest' }],
    ['staging', { alias: 'staging' }],
    ['v01', { alias: 'v01' }],
  ])('%s', (ref, expected) => {
    expect(parseVersionRef('version', ref)).toEqual(expected);
  });

  it.each(['', 'has space', '-x', 'a/b'])('refuses %j', (ref) => {
    expect(fieldOf(() => parseVersionRef('version', ref))).toBe('version');
  });
});

describe('parseSource', () => {
  it.each([
    ['training/resnet:v2', { project: 'training', artifact: 'resnet', ref: { index: 2 } }],
    ['training/resnet:best', { project: 'training', artifact: 'resnet', ref: { alias: 'best' } }],
    ['my.proj/net_1:latest', { project: 'my.proj', artifact: 'net_1', ref: { alias: 'latest' } }],
  ])('%s', (source, expected) => {
    expect(parseSource('source', source)).toEqual(expected);
  });

  it.each(['resnet:v2', 'training/resnet', 'a/b/c:v1', 'training/resnet:', '/resnet:v1', 'bad name/resnet:v1', 'training/res net:v1', 'p/a:v1:v2'])(
    'refuses %j naming the field',
    (source) => {
      expect(fieldOf(() => parseSource('source', source))).toBe('source');
    },
  );
});

describe('explicit aliases', () => {
  it('accepts names and collapses duplicates', () => {
    expect(checkExplicitAliases('aliases', ['staging', 'prod', 'staging'])).toEqual(['staging', 'prod']);
  });

  it.each([
    [['ok', 'latest'], 'aliases[1]'],
    [['v3'], 'aliases[0]'],
    [['x', 'y', 'no good'], 'aliases[2]'],
    [[''], 'aliases[0]'],
  ])('refuses %j at %s', (aliases, field) => {
    expect(fieldOf(() => checkExplicitAliases('aliases', aliases))).toBe(field);
  });

  it('refuses latest by hand', () => {
    expect(fieldOf(() => checkExplicitAlias('alias', 'latest'))).toBe('alias');
  });
});

describe('versionLabel', () => {
  it('prefixes v', () => {
    expect(versionLabel(0)).toBe('v0');
    expect(versionLabel(42)).toBe('v42');
  });
});
