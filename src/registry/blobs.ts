// Artifact files on disk, content-addressed: `<dataDir>/blobs/ab/cd/<sha256>`. An upload streams into a temp file
// under `<dataDir>/tmp` while it is hashed (never held in memory whole), then is renamed into place — the same
// file system, so the rename is atomic and a reader never sees half a blob. Identical content is stored once.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { newId } from '../core/ids.js';
import { AppError } from '../core/errors.js';

/** An upload idle this long is certainly dead: even a multi-gigabyte file keeps writing (and touching) its temp file. */
export const STALE_UPLOAD_MS = 24 * 3600 * 1000;

export interface StagedBlob {
  tempPath: string;
  size: number;
  sha256: string;
}

/** Bytes an upload may still write; shared by all files of one request so the limit covers the whole upload. */
export class ByteBudget {
  constructor(private remaining: number) {}
  take(bytes: number): boolean {
    this.remaining -= bytes;
    return this.remaining >= 0;
  }
}

export function payloadTooLarge(limit: number): AppError {
  return new AppError('payload_too_large', `the upload is larger than this server accepts (${limit} bytes; MODELYARD_MAX_UPLOAD_BYTES)`);
}

export class BlobStore {
  private readonly root: string;
  private readonly tmp: string;

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'blobs');
    this.tmp = path.join(dataDir, 'tmp');
  }

  pathOf(sha256: string): string {
    return path.join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  /** Streams `source` to a temp file, hashing as it goes. On any failure the temp file is removed. */
  async stage(source: Readable, budget: ByteBudget, limit: number): Promise<StagedBlob> {
    await fsp.mkdir(this.tmp, { recursive: true });
    const tempPath = path.join(this.tmp, `${newId()}.part`);
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (!budget.take(chunk.length)) return callback(payloadTooLarge(limit));
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(source, meter, fs.createWriteStream(tempPath, { flags: 'wx', mode: 0o600 }));
    } catch (error) {
      await this.discard(tempPath);
      throw error;
    }
    return { tempPath, size, sha256: hash.digest('hex') };
  }

  /** Moves a staged file into its content address; if that content is already stored, the copy is dropped. */
  async commit(blob: StagedBlob): Promise<void> {
    const target = this.pathOf(blob.sha256);
    if (fs.existsSync(target)) {
      await this.discard(blob.tempPath);
      return;
    }
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await fsp.rename(blob.tempPath, target);
  }

  async discard(tempPath: string): Promise<void> {
    await fsp.rm(tempPath, { force: true });
  }

  /**
   * Removes temp files a crashed process left behind. Only old ones: another process sharing the data dir may be
   * streaming an upload into a fresh one right now.
   */
  async sweepStaleUploads(olderThanMs = STALE_UPLOAD_MS): Promise<number> {
    let names: string[];
    try {
      names = await fsp.readdir(this.tmp);
    } catch {
      return 0;
    }
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for (const name of names.filter((n) => n.endsWith('.part'))) {
      const file = path.join(this.tmp, name);
      const stat = await fsp.stat(file).catch(() => undefined);
      if (stat && stat.mtimeMs < cutoff) {
        await fsp.rm(file, { force: true });
        removed++;
      }
    }
    return removed;
  }

  open(sha256: string): fs.ReadStream {
    return fs.createReadStream(this.pathOf(sha256));
  }
}
