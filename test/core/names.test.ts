// The naming rule shared by every resource, and its fit with the router: every name that can be created can be
// put in a path, even fully percent-encoded.
import { describe, expect, it } from 'vitest';
import { checkAlias, checkName, MAX_NAME_LENGTH, MAX_PATH_PARAM_LENGTH, NAME_PATTERN, parseVersionIndex } from '../../src/core/names.js';

describe('names', () => {
  it.each([
    ['a', true],
    ['resnet-50_v2.1', true],
    ['0day', true],
    ['x'.repeat(MAX_NAME_LENGTH), true],
    ['x'.repeat(MAX_NAME_LENGTH + 1), false],
    ['', false],
    ['-leading-dash', false],
    ['.hidden', false],
    ['has space', false],
    ['slash/inside', false],
    ['colon:alias', false],
    ['nul\u0000', false],
    ['é', false],
  ])('%j valid: %s', (name, valid) => {
    expect(NAME_PATTERN.test(name)).toBe(valid);
    if (valid) expect(checkName('name', name)).toBe(name);
    else expect(() => checkName('name', name)).toThrow(/not a valid name/);
  });

  it('fits the router: a longest name fully percent-encoded, and a `name:alias` reference, are path parameters it takes', () => {
    const longest = 'x'.repeat(MAX_NAME_LENGTH);
    const encoded = [...longest].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
    expect(encoded.length).toBeLessThanOrEqual(MAX_PATH_PARAM_LENGTH);
    expect(`${longest}:${longest}`.length).toBeLessThanOrEqual(MAX_PATH_PARAM_LENGTH);
  });

  it('error messages cut long names', () => {
    expect(() => checkName('name', `${'x'.repeat(200)} `)).toThrow(/x{80}…/);
  });

  it.each([
    ['staging', undefined],
    ['v0', 0],
    ['v12', 12],
    ['v012', undefined],
    ['v1234567890', undefined],
  ])('version reference %s → index %s', (ref, index) => {
    expect(parseVersionIndex(ref)).toBe(index);
  });

  it('aliases follow the name rule and cannot look like a version index', () => {
    expect(checkAlias('alias', 'production')).toBe('production');
    expect(() => checkAlias('alias', 'v3')).toThrow(/version index/);
    expect(() => checkAlias('alias', 'a'.repeat(MAX_NAME_LENGTH + 1))).toThrow(/not a valid name/);
  });
});
