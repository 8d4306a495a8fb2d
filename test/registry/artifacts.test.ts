import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { checkFilePath, contentDigest } from '../../src/registry/artifacts.js';

describe('checkFilePath', () => {
  it.each(['model.bin', 'weights/model.bin', 'a/b/c/d.txt', '.hidden', 'dir.with.dots/x', 'with space.txt', 'ünïcode/ファイル'])('accepts %j', (p) => {
    expect(checkFilePath('file[0]', p)).toBe(p);
  });

  it.each(['', '/abs', '../up', 'a/../b', 'a/..', './a', 'a/./b', 'a//b', 'trailing/', 'back\\slash', 'nul\u0000byte', 'new\nline', 'x'.repeat(1025)])(
    'refuses %j naming the field',
    (p) => {
      let error: unknown;
      try {
        checkFilePath('file[3]', p);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).details?.field).toBe('file[3]');
    },
  );
});

describe('contentDigest', () => {
  const files = [
    { path: 'b.txt', size: 1, sha256: 'bb' },
    { path: 'a.txt', size: 1, sha256: 'aa' },
  ];

  it('ignores file order and metadata key order', () => {
    const one = contentDigest('model', { x: 1, nested: { p: 1, q: 2 } }, files);
    const two = contentDigest('model', { nested: { q: 2, p: 1 }, x: 1 }, [...files].reverse());
    expect(one).toBe(two);
    expect(one).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with the type, the metadata, a path or a file content', () => {
    const base = contentDigest('model', { x: 1 }, files);
    expect(contentDigest('dataset', { x: 1 }, files)).not.toBe(base);
    expect(contentDigest('model', { x: 2 }, files)).not.toBe(base);
    expect(contentDigest('model', { x: 1 }, [files[0]!, { ...files[1]!, path: 'c.txt' }])).not.toBe(base);
    expect(contentDigest('model', { x: 1 }, [files[0]!, { ...files[1]!, sha256: 'cc' }])).not.toBe(base);
    expect(contentDigest('model', { x: 1 }, files.slice(0, 1))).not.toBe(base);
  });
});
