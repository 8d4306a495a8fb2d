import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { BlobStore, ByteBudget } from '../../src/registry/blobs.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelyard-blobs-'));
const store = new BlobStore(dataDir);
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const chunks = (...parts: string[]) => Readable.from(parts.map((p) => Buffer.from(p)));
const tempFiles = () => (fs.existsSync(path.join(dataDir, 'tmp')) ? fs.readdirSync(path.join(dataDir, 'tmp')) : []);

describe('BlobStore', () => {
  it('hashes while staging, commits to a content address, and stores identical content once', async () => {
    const staged = await store.stage(chunks('hello ', 'world'), new ByteBudget(1000), 1000);
    expect(staged).toMatchObject({ size: 11, sha256: sha('hello world') });
    await store.commit(staged);
    const target = store.pathOf(staged.sha256);
    expect(target).toBe(path.join(dataDir, 'blobs', staged.sha256.slice(0, 2), staged.sha256.slice(2, 4), staged.sha256));
    expect(fs.readFileSync(target, 'utf8')).toBe('hello world');

    const again = await store.stage(chunks('hello world'), new ByteBudget(1000), 1000);
    await store.commit(again);
    expect(fs.existsSync(again.tempPath)).toBe(false);
    expect(tempFiles()).toEqual([]);

    const read: Buffer[] = [];
    for await (const chunk of store.open(staged.sha256)) read.push(chunk as Buffer);
    expect(Buffer.concat(read).toString()).toBe('hello world');
  });

  it('stops at the byte budget shared by an upload and removes the partial file', async () => {
    const budget = new ByteBudget(10);
    const first = await store.stage(chunks('12345'), budget, 10);
    let error: unknown;
    try {
      await store.stage(chunks('123', '456', '789'), budget, 10);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(413);
    expect(tempFiles()).toEqual([path.basename(first.tempPath)]);
    await store.discard(first.tempPath);
    expect(tempFiles()).toEqual([]);
  });

  it('removes the partial file when the source fails', async () => {
    const before = tempFiles().length;
    const failing = new Readable({
      read() {
        this.push(Buffer.from('partial'));
        this.destroy(new Error('client went away'));
      },
    });
    await expect(store.stage(failing, new ByteBudget(1000), 1000)).rejects.toThrow('client went away');
    expect(tempFiles()).toHaveLength(before);
  });

  it('sweeps only stale temp files of interrupted uploads', async () => {
    const stale = await store.stage(chunks('old'), new ByteBudget(100), 100);
    const fresh = await store.stage(chunks('new'), new ByteBudget(100), 100);
    const longAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    fs.utimesSync(stale.tempPath, longAgo, longAgo);
    expect(await store.sweepStaleUploads()).toBe(1);
    expect(fs.existsSync(stale.tempPath)).toBe(false);
    expect(fs.existsSync(fresh.tempPath)).toBe(true);
    await store.discard(fresh.tempPath);
  });
});
