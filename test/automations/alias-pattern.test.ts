import { describe, expect, it } from 'vitest';
import { aliasMatches, checkAliasPattern, MAX_ALIAS_PATTERN_LENGTH } from '../../src/automations/alias-pattern.js';
import { AppError } from '../../src/core/errors.js';

describe('alias patterns', () => {
  it.each([
    ['^production$', 'production', true],
    ['^production$', 'production-eu', false],
    ['^prod', 'production-eu', true],
    ['staging|production', 'staging', true],
    ['^v\\d+-rc$', 'v12-rc', true],
    [null, 'anything', true],
  ])('%s against %s → %s', (pattern, alias, expected) => {
    expect(aliasMatches(pattern, alias)).toBe(expected);
  });

  it('never matches an event without an alias when a pattern is set', () => {
    expect(aliasMatches('.*', null)).toBe(false);
  });

  it('refuses what RE2 cannot run in linear time or cannot parse, naming the field', () => {
    for (const pattern of ['(a)\\1', '(?=prod)', '(?<!x)y', '[unclosed', '', 'x'.repeat(MAX_ALIAS_PATTERN_LENGTH + 1)]) {
      let error: unknown;
      try {
        checkAliasPattern(pattern);
      } catch (e) {
        error = e;
      }
      expect(error, pattern).toBeInstanceOf(AppError);
      expect((error as AppError).details).toMatchObject({ field: 'event.aliasPattern' });
    }
  });

  it('matches a catastrophic-backtracking pattern against a hostile alias in linear time', () => {
    const pattern = checkAliasPattern('^(a+)+$');
    // With a backtracking engine this input takes longer than the age of the universe; RE2 answers at once.
    expect(aliasMatches(pattern, `${'a'.repeat(5000)}!`)).toBe(false);
  });
});
