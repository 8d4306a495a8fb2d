// Redaction of secret values from text that may echo them back (a receiver's answer, the webhook Test response).
//
// Interim version on the delivery branch: the raw value only. The secrets engineer's version (same signature) also
// redacts the JSON-escaped, URL-encoded and base64 forms and replaces this file on merge.

export const REDACTED = '[redacted]';

/** `text` with every occurrence of each non-empty value in `secretValues` replaced by `[redacted]`. */
export function redactSecrets(text: string, secretValues: readonly string[]): string {
  let out = text;
  // Longest first, so a secret that contains another is redacted whole.
  for (const value of [...secretValues].sort((a, b) => b.length - a.length)) {
    if (value.length > 0 && out.includes(value)) out = out.split(value).join(REDACTED);
  }
  return out;
}
