// Naming rules shared by every resource, so a name valid in one place is valid everywhere.
import { invalid } from './errors.js';

/** A registry needs room for generated names (run ids, dataset slices): 128 is what the reference system allows. */
export const MAX_NAME_LENGTH = 128;

/** Letters, digits, `-`, `_`, `.`; starting with a letter or digit; at most MAX_NAME_LENGTH characters. */
export const NAME_PATTERN = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,${MAX_NAME_LENGTH - 1}}$`);
export const NAME_RULE = `use letters, digits, "-", "_" and "." (starting with a letter or digit, at most ${MAX_NAME_LENGTH} characters)`;

/**
 * The router refuses longer path parameters (414) before any route runs, so every name that can be created must
 * fit, in every spelling a client may send: a client that percent-encodes every character of a name (`%41` for
 * `A`) triples it. Ids (UUIDs, 36 characters) and `name:alias` references (257) fit as well.
 */
export const MAX_PATH_PARAM_LENGTH = 3 * MAX_NAME_LENGTH;

/** Every team's project of registered models (created with the team); it holds no logged artifacts. */
export const REGISTRY_PROJECT = 'model-registry';

export function checkName(field: string, value: string): string {
  if (!NAME_PATTERN.test(value)) throw invalid(field, `"${truncate(value)}" is not a valid name: ${NAME_RULE}`);
  return value;
}

/** Version references `v3`, or an alias. */
export const VERSION_PATTERN = /^v(0|[1-9]\d{0,8})$/;

export function parseVersionIndex(ref: string): number | undefined {
  const match = VERSION_PATTERN.exec(ref);
  return match ? Number(match[1]) : undefined;
}

/** Aliases follow the name rule but may not look like a version index (`v3`) nor be `latest` when set by hand. */
export function checkAlias(field: string, alias: string): string {
  checkName(field, alias);
  if (VERSION_PATTERN.test(alias)) throw invalid(field, `"${alias}" looks like a version index; aliases cannot be v<number>`);
  return alias;
}

export function truncate(value: string, max = 80): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
