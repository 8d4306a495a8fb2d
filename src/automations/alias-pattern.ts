// The alias filter of ADD_ARTIFACT_ALIAS automations: a regular expression compiled with RE2 (the `re2` package),
// whose matching time is linear in the input, so no pattern a user saves can backtrack catastrophically inside an
// event's transaction. RE2 rejects what it cannot run in linear time (backreferences, lookaround) at save time.
import RE2 from 're2';
import { invalid } from '../core/errors.js';

export const MAX_ALIAS_PATTERN_LENGTH = 256;
// Dispatch tests the same few patterns over and over; compiling once per pattern keeps matching per event cheap.
const COMPILED_LIMIT = 1000;
const compiled = new Map<string, RE2>();

export function compileAliasPattern(pattern: string): RE2 {
  const cached = compiled.get(pattern);
  if (cached) return cached;
  const regex = new RE2(pattern, 'u');
  if (compiled.size >= COMPILED_LIMIT) compiled.delete(compiled.keys().next().value!);
  compiled.set(pattern, regex);
  return regex;
}

/** Refuses (400, field `event.aliasPattern`) a pattern RE2 cannot compile or one that is too long. */
export function checkAliasPattern(pattern: string): string {
  if (pattern.length === 0) throw invalid('event.aliasPattern', 'must not be empty (use null to match every alias)');
  if (pattern.length > MAX_ALIAS_PATTERN_LENGTH) throw invalid('event.aliasPattern', `must be at most ${MAX_ALIAS_PATTERN_LENGTH} characters`);
  try {
    compileAliasPattern(pattern);
  } catch (error) {
    throw invalid('event.aliasPattern', `not a valid regular expression (RE2 syntax: no backreferences or lookaround): ${(error as Error).message}`);
  }
  return pattern;
}

/** True when the alias matches the pattern (searched anywhere, like RegExp.test: anchor with ^…$ for exact names). */
export function aliasMatches(pattern: string | null, alias: string | null): boolean {
  if (pattern === null) return true;
  if (alias === null) return false;
  try {
    return compileAliasPattern(pattern).test(alias);
  } catch {
    // Saved patterns were compiled at save time; one that no longer compiles matches nothing rather than failing the event.
    return false;
  }
}
