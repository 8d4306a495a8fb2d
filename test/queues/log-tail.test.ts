import { describe, expect, it } from 'vitest';
import { keepTail, LOG_TAIL_BYTES } from '../../src/queues/log-tail.js';

describe('keepTail', () => {
  it.each([
    ['short text is kept whole', 'hello', 10, 'hello'],
    ['exactly the limit is kept', 'abcdefghij', 10, 'abcdefghij'],
    ['longer text keeps its end', 'abcdefghijkl', 10, 'cdefghijkl'],
    ['a cut inside a multi-byte character moves to the next character', 'xé€ab', 4, 'ab'],
    ['a cut on a character boundary keeps that character', 'xé€ab', 5, '€ab'],
    ['empty stays empty', '', 10, ''],
  ])('%s', (_name, text, max, expected) => {
    expect(keepTail(text, max)).toBe(expected);
  });

  it('defaults to 64 KiB', () => {
    const tail = keepTail('a'.repeat(LOG_TAIL_BYTES + 100) + 'END');
    expect(Buffer.byteLength(tail)).toBe(LOG_TAIL_BYTES);
    expect(tail.endsWith('END')).toBe(true);
  });
});
