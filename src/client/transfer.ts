// Artifact uploads and downloads that stream between disk and network: an upload of any size holds about one
// chunk of each file in memory (a multipart body generated from read streams, its Content-Length known in advance),
// a download writes each file as it arrives and checks its size and sha256 before moving it into place. Node only.
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { IncomingMessage } from 'node:http';
import { ApiError, asApiError } from './errors.js';
import { readText, send } from './http.js';
import type { ArtifactVersion, Json } from './core.js';

/** Read size of upload chunks: as fast as 1 MiB on loopback (bench/cli-upload.bench.ts), with less to collect. */
const CHUNK_SIZE = 256 * 1024;

export type LoggedVersion = Json<'/api/v1/teams/{team}/projects/{project}/artifacts/{name}/versions', 'post', 201>;

/** Where the transfer goes: the server, the key, the team. */
export interface Connection {
  baseUrl: string;
  apiKey: string;
  team: string;
}

/** Called as bytes move: `done` of `total` bytes of the whole transfer. */
export type OnProgress = (done: number, total: number) => void;

export interface LocalFile {
  /** Where the file is on disk. */
  localPath: string;
  /** Its path in the artifact (`weights.bin`, `config/train.yaml`). */
  name: string;
  /** Its size when the upload was planned. */
  size: number;
}

/** The rules the server applies to a file's path in an artifact, checked before any byte is sent or written. */
export function checkArtifactPath(name: string): string {
  if (name === '') throw new Error('a file needs a name (its path in the artifact)');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(name)) throw new Error(`${JSON.stringify(name)}: artifact paths may not contain control characters or backslashes`);
  if (name.startsWith('/') || name.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw new Error(`${JSON.stringify(name)}: artifact paths are relative, without empty, '.' or '..' segments`);
  }
  return name;
}

function walk(directory: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(directory, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const full = path.join(directory, entry.name);
    const stat = fs.statSync(full, { throwIfNoEntry: false });
    if (stat?.isDirectory()) found.push(...walk(full));
    else if (stat?.isFile()) found.push(full); // sockets, fifos, broken links: nothing to upload
  }
  return found;
}

/**
 * Files and directories as the artifact will hold them: a file under its own name, a directory's files under the
 * directory's name and their path inside it (`config/` → `config/train.yaml`, `config/data/a.json`) — the same
 * layout as the Python SDK's log_artifact.
 */
export function collectFiles(paths: string[]): LocalFile[] {
  const files: LocalFile[] = [];
  for (const given of paths) {
    const stat = fs.statSync(given, { throwIfNoEntry: false });
    if (stat?.isDirectory()) {
      const root = path.resolve(given);
      const prefix = path.basename(root);
      for (const full of walk(root)) {
        files.push({ localPath: full, name: `${prefix}/${path.relative(root, full).split(path.sep).join('/')}`, size: fs.statSync(full).size });
      }
    } else if (stat?.isFile()) {
      files.push({ localPath: path.resolve(given), name: path.basename(path.resolve(given)), size: stat.size });
    } else {
      throw new Error(`${given}: no such file or directory`);
    }
  }
  const seen = new Set<string>();
  for (const file of files) {
    checkArtifactPath(file.name);
    if (seen.has(file.name)) throw new Error(`${JSON.stringify(file.name)} would appear twice in the artifact; upload one of them under another directory`);
    seen.add(file.name);
  }
  if (files.length === 0) throw new Error('no files to upload (the directories given are empty)');
  return files;
}

const quote = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

/** Text fields first, then one `file` part per file whose filename is its path in the artifact. */
function multipartBody(fields: Array<[string, string]>, files: LocalFile[], onBytes: (n: number) => void) {
  const boundary = `modelyard-${randomUUID().replace(/-/g, '')}`;
  const fieldBytes = Buffer.concat(
    fields.map(([name, value]) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`, 'utf8')),
  );
  const fileHeader = (file: LocalFile) =>
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${quote(file.name)}"\r\nContent-Type: application/octet-stream\r\n\r\n`, 'utf8');
  const closing = Buffer.from(`--${boundary}--\r\n`);
  const length = fieldBytes.length + files.reduce((sum, f) => sum + fileHeader(f).length + f.size + 2, 0) + closing.length;
  async function* chunks(): AsyncGenerator<Buffer> {
    yield fieldBytes;
    for (const file of files) {
      yield fileHeader(file);
      let sent = 0;
      if (file.size > 0) {
        for await (const chunk of fs.createReadStream(file.localPath, { start: 0, end: file.size - 1, highWaterMark: CHUNK_SIZE })) {
          sent += (chunk as Buffer).length;
          onBytes((chunk as Buffer).length);
          yield chunk as Buffer;
        }
      }
      // The announced Content-Length is a promise: a file that changed size while uploading breaks it.
      if (sent !== file.size || fs.statSync(file.localPath).size !== file.size) {
        throw new Error(`${file.localPath} changed size during the upload (${file.size} bytes planned, ${sent} read)`);
      }
      yield Buffer.from('\r\n');
    }
    yield closing;
  }
  return { contentType: `multipart/form-data; boundary=${boundary}`, length, chunks };
}

const segment = encodeURIComponent;

function teamUrl(connection: Connection, ...parts: string[]): string {
  return [connection.baseUrl.replace(/\/+$/, ''), 'api/v1/teams', segment(connection.team), ...parts].join('/');
}

async function failure(response: IncomingMessage): Promise<ApiError> {
  const statusCode = response.statusCode ?? 0;
  const text = await readText(response).catch(() => '');
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: the text is the message
  }
  return ApiError.fromResponse(statusCode, parsed);
}

export interface UploadOptions {
  project: string;
  artifact: string;
  type: string;
  files: LocalFile[];
  description?: string;
  metadata?: Record<string, unknown>;
  aliases?: string[];
  onProgress?: OnProgress;
}

/**
 * Logs a new version of `project/artifact` from files on disk, streamed. `created` is false when the content was
 * identical to the latest version (the server answers 200 with that version).
 */
export async function uploadArtifactVersion(connection: Connection, options: UploadOptions): Promise<{ created: boolean; version: LoggedVersion }> {
  const fields: Array<[string, string]> = [
    ['type', options.type],
    ['description', options.description ?? ''],
    ['metadata', JSON.stringify(options.metadata ?? {})],
  ];
  if (options.aliases?.length) fields.push(['aliases', JSON.stringify(options.aliases)]);
  let done = 0;
  const body = multipartBody(fields, options.files, (n) => {
    done += n;
    options.onProgress?.(done, total);
  });
  const total = options.files.reduce((sum, f) => sum + f.size, 0);
  let response: IncomingMessage;
  try {
    response = await send(teamUrl(connection, 'projects', segment(options.project), 'artifacts', segment(options.artifact), 'versions'), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${connection.apiKey}`,
        accept: 'application/json',
        'content-type': body.contentType,
        'content-length': String(body.length),
      },
      body: Readable.from(body.chunks(), { objectMode: false }),
    });
  } catch (error) {
    throw asApiError(error);
  }
  if ((response.statusCode ?? 0) >= 400) throw await failure(response);
  return { created: response.statusCode === 201, version: JSON.parse(await readText(response)) as LoggedVersion };
}

/** Where a file of the artifact goes: inside `root` and nowhere else, whatever name the server sent. */
function localPathFor(root: string, name: string): string {
  try {
    checkArtifactPath(name);
  } catch (error) {
    throw new Error(`refusing to write a file the server named ${JSON.stringify(name)}: ${(error as Error).message}`, { cause: error });
  }
  const destination = path.resolve(root, ...name.split('/'));
  if (!destination.startsWith(root + path.sep)) throw new Error(`refusing to write ${JSON.stringify(name)} outside ${root}`);
  return destination;
}

export interface DownloadOptions {
  project: string;
  artifact: string;
  /** `v3`, an alias, or `latest`. */
  version: string;
  /** The directory to write into (default `./artifacts/<artifact>-<version>`). */
  to?: string;
  onProgress?: OnProgress;
}

/**
 * Downloads every file of an artifact version into a directory, each under its path in the artifact. A file is
 * written beside its destination and moved into place only after its size and sha256 match what the server listed.
 */
export async function downloadArtifactVersion(connection: Connection, options: DownloadOptions): Promise<{ directory: string; version: ArtifactVersion }> {
  const versionUrl = teamUrl(connection, 'projects', segment(options.project), 'artifacts', segment(options.artifact), 'versions', segment(options.version));
  const headers = { authorization: `Bearer ${connection.apiKey}` };
  let version: ArtifactVersion;
  try {
    const answer = await send(versionUrl, { headers: { ...headers, accept: 'application/json' } });
    if ((answer.statusCode ?? 0) >= 400) throw await failure(answer);
    version = JSON.parse(await readText(answer)) as ArtifactVersion;
  } catch (error) {
    throw asApiError(error);
  }
  const directory = options.to ?? path.join('artifacts', `${version.artifact}-${version.version}`);
  fs.mkdirSync(directory, { recursive: true });
  const root = fs.realpathSync(directory);
  // Every name is checked before the first byte is written: a bad one leaves nothing half-downloaded.
  const destinations = version.files.map((file) => localPathFor(root, file.path));
  let done = 0;
  for (const [index, file] of version.files.entries()) {
    const destination = destinations[index]!;
    fs.mkdirSync(path.dirname(destination), { recursive: true });
    const partial = `${destination}.${process.pid}.part`;
    const fileUrl = teamUrl(connection, 'projects', segment(version.project), 'artifacts', segment(version.artifact), 'versions', segment(version.version), 'files', ...file.path.split('/').map(segment));
    try {
      let response: IncomingMessage;
      try {
        response = await send(fileUrl, { headers });
      } catch (error) {
        throw asApiError(error);
      }
      if ((response.statusCode ?? 0) >= 400) throw await failure(response);
      const digest = createHash('sha256');
      let received = 0;
      await pipeline(
        response,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            digest.update(chunk);
            received += chunk.length;
            done += chunk.length;
            options.onProgress?.(done, version.size);
            yield chunk;
          }
        },
        fs.createWriteStream(partial),
      );
      if (received !== file.size || digest.digest('hex') !== file.sha256) {
        throw new Error(`${destination}: the download was incomplete or damaged (${received} of ${file.size} bytes, sha256 mismatch)`);
      }
      fs.renameSync(partial, destination);
    } finally {
      fs.rmSync(partial, { force: true });
    }
  }
  return { directory, version };
}
