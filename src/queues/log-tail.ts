// The job log a server keeps is a tail: agents stream everything, the row holds the last LOG_TAIL_BYTES bytes —
// enough to see why a job failed, bounded so a chatty job cannot grow a row without limit.

export const LOG_TAIL_BYTES = 64 * 1024;

/**
 * The last `maxBytes` bytes of `text` in UTF-8, never starting inside a multi-byte character (the cut moves
 * forward to the next character boundary).
 */
export function keepTail(text: string, maxBytes = LOG_TAIL_BYTES): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let start = bytes.length - maxBytes;
  // UTF-8 continuation bytes are 10xxxxxx.
  while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start++;
  return bytes.subarray(start).toString('utf8');
}
