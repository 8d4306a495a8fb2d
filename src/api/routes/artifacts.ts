// Artifacts in a project: logging versions (multipart upload, streamed to disk), reading them, downloading files.
// Viewers read and download; members and admins log versions.
import path from 'node:path';
import type { FastifyRequest } from 'fastify';
import type { Multipart } from '@fastify/multipart';
import { z } from 'zod';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type { FastifySchemaCompiler } from 'fastify';
import type { Api } from '../api.js';
import type { AppContext } from '../../context.js';
import { teamAccess } from '../auth.js';
import { decodeCursor, decodeIndexCursor, PageQuery, pageOf, TeamParams, toPage } from '../schemas.js';
import { AppError, invalid } from '../../core/errors.js';
import { findTextProblem, NUL } from '../../core/json-limits.js';
import { checkName } from '../../core/names.js';
import { BlobStore, ByteBudget, payloadTooLarge } from '../../registry/blobs.js';
import {
  checkFilePath,
  findArtifactFile,
  findLoggableProject,
  getArtifact,
  getArtifactVersion,
  listArtifacts,
  listArtifactVersions,
  logArtifactVersion,
  type NewArtifactVersion,
  type UploadedFile,
} from '../../registry/artifacts.js';
import { checkExplicitAliases } from '../../registry/refs.js';

const TAGS = ['artifacts'];

const FileView = z.object({ path: z.string(), size: z.number().int(), sha256: z.string() });
const VersionSummary = z.object({
  id: z.string(),
  version: z.string(),
  index: z.number().int(),
  aliases: z.array(z.string()),
  type: z.string(),
  description: z.string(),
  digest: z.string(),
  size: z.number().int(),
  fileCount: z.number().int(),
  createdBy: z.string(),
  createdAt: z.string(),
});
export const ArtifactVersionView = VersionSummary.extend({
  project: z.string(),
  artifact: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  files: z.array(FileView),
});
const ArtifactView = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  project: z.string(),
  versionCount: z.number().int(),
  latestVersion: z.string().nullable(),
  createdAt: z.string(),
});

const ProjectParams = TeamParams.extend({ project: z.string() });
const ArtifactParams = ProjectParams.extend({ name: z.string() });
const VersionParams = ArtifactParams.extend({ version: z.string() });

/** The multipart form, for the OpenAPI document only: readUpload parses and validates the stream itself. */
const UploadForm = z.object({
  type: z.string().describe('required: the artifact type, e.g. "model" or "dataset"'),
  description: z.string().optional(),
  metadata: z.string().optional().describe('a JSON object, e.g. {"accuracy": 0.93}'),
  aliases: z.string().optional().describe('a JSON array of aliases or a comma-separated list'),
  file: z
    .array(z.string().meta({ format: 'binary' }))
    .describe('one part per file (field `file` or `files`); the part\'s filename is its path in the artifact, e.g. weights/model.bin'),
});

/** The body is a stream consumed by the handler, so only path parameters go through zod before it runs. */
const skipBodyValidation: FastifySchemaCompiler<any> = (route) =>
  route.httpPart === 'body' ? () => ({ value: undefined }) : validatorCompiler(route);

const FILE_FIELDS = new Set(['file', 'files']);
const TEXT_FIELDS = new Set(['type', 'description', 'metadata', 'aliases']);
/** Versions shown inline with an artifact; the rest are paged through …/versions. */
const RECENT_VERSIONS = 20;

function parseMetadataField(text: string | undefined): Record<string, unknown> {
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid('metadata', 'must be a JSON object, e.g. {"accuracy": 0.93}');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid('metadata', 'must be a JSON object, not an array or a scalar');
  const problem = findTextProblem(value, 'metadata');
  if (problem) throw invalid(problem.field === 'metadata' ? 'metadata' : `metadata.${problem.field}`, problem.message);
  return value as Record<string, unknown>;
}

/** `["staging","best"]` or `staging, best`. */
function parseAliasesField(text: string | undefined): string[] {
  if (text === undefined || text.trim() === '') return [];
  let list: unknown;
  if (text.trim().startsWith('[')) {
    try {
      list = JSON.parse(text);
    } catch {
      throw invalid('aliases', 'must be a JSON array of names or a comma-separated list');
    }
    if (!Array.isArray(list) || list.some((a) => typeof a !== 'string')) throw invalid('aliases', 'must be an array of strings');
  } else {
    list = text.split(',').map((a) => a.trim()).filter((a) => a !== '');
  }
  return checkExplicitAliases('aliases', list as string[]);
}

/**
 * The multipart parser (busboy) reports a malformed or truncated body — no closing boundary, a broken part header,
 * a missing or oversized boundary — as a plain Error without a code; file-system errors carry one (ENOSPC…) and stay
 * 500s, as do our own AppErrors (which keep their status).
 */
function asClientError(error: unknown): unknown {
  if (error instanceof AppError || !(error instanceof Error)) return error;
  const { code, statusCode } = error as Error & { code?: unknown; statusCode?: unknown };
  if (code === 'ERR_STREAM_PREMATURE_CLOSE') return invalid('body', 'the upload ended before the multipart body was complete');
  if (code !== undefined || statusCode !== undefined) return error;
  return invalid('body', `is not a well-formed multipart/form-data body (${error.message})`);
}

/** Text fields hold no NUL, like every text the API reads (the JSON body check in api/app.ts cannot see them). */
function checkTextField(name: string, value: string): string {
  if (value.includes(NUL)) throw invalid(name, 'contains a NUL character (U+0000), which no text may hold');
  return value;
}

/**
 * Reads the multipart body: each file part is staged to disk while hashed; text fields are collected. Whatever
 * goes wrong, every staged file is removed before the error leaves (nothing half-written stays behind).
 */
async function readUpload(request: FastifyRequest, blobs: BlobStore, maxBytes: number): Promise<NewArtifactVersion> {
  if (!request.isMultipart()) throw invalid('body', 'must be multipart/form-data with file parts and the fields type, description, metadata, aliases');
  const files: UploadedFile[] = [];
  const fields = new Map<string, string>();
  const budget = new ByteBudget(maxBytes);
  try {
    // preservePath keeps sub-directories in file names (`weights/model.bin`); busboy keeps only the base name otherwise.
    for await (const part of request.parts({ preservePath: true }) as AsyncIterableIterator<Multipart>) {
      if (part.type === 'file') {
        if (!FILE_FIELDS.has(part.fieldname)) {
          part.file.resume();
          throw invalid(part.fieldname, 'unknown file field; send files as "file" or "files"');
        }
        const filePath = checkFilePath(`${part.fieldname}[${files.length}]`, part.filename);
        if (files.some((f) => f.path === filePath)) {
          part.file.resume();
          throw invalid(`${part.fieldname}[${files.length}]`, `"${filePath}" appears twice in this upload`);
        }
        const staged = await blobs.stage(part.file, budget, maxBytes);
        if (part.file.truncated) {
          await blobs.discard(staged.tempPath);
          throw payloadTooLarge(maxBytes);
        }
        files.push({ ...staged, path: filePath });
      } else {
        if (FILE_FIELDS.has(part.fieldname)) throw invalid(part.fieldname, 'must be a file part with a filename (its path in the artifact)');
        if (!TEXT_FIELDS.has(part.fieldname)) throw invalid(part.fieldname, 'unknown field; expected file(s), type, description, metadata, aliases');
        if (fields.has(part.fieldname)) throw invalid(part.fieldname, 'given more than once');
        if (part.valueTruncated) throw invalid(part.fieldname, 'is too long');
        fields.set(part.fieldname, checkTextField(part.fieldname, String(part.value)));
      }
    }
    const type = fields.get('type');
    if (type === undefined || type === '') throw invalid('type', 'is required (e.g. "model" or "dataset")');
    checkName('type', type);
    if (files.length === 0) throw invalid('file', 'at least one file is required');
    return {
      type,
      description: fields.get('description') ?? '',
      metadata: parseMetadataField(fields.get('metadata')),
      aliases: parseAliasesField(fields.get('aliases')),
      files,
    };
  } catch (error) {
    await Promise.all(files.map((f) => blobs.discard(f.tempPath)));
    throw asClientError(error);
  }
}

export default async function artifactRoutes(app: Api, ctx: AppContext): Promise<void> {
  const blobs = new BlobStore(ctx.config.dataDir);
  blobs.sweepStaleUploads().then(
    (removed) => removed > 0 && ctx.logger.info({ removed }, 'removed temp files of interrupted uploads'),
    (error: unknown) => ctx.logger.warn({ err: error }, 'could not sweep interrupted uploads'),
  );
  const base = '/api/v1/teams/:team/projects/:project/artifacts';

  app.post(
    `${base}/:name/versions`,
    {
      schema: {
        tags: TAGS,
        operationId: 'uploadArtifactVersion',
        summary: 'Log an artifact version (members): multipart files plus type, description, metadata, aliases',
        description:
          'multipart/form-data. File parts named `file` or `files`; each part\'s filename is its path in the artifact (sub-directories allowed). ' +
          'Fields: `type` (required), `description`, `metadata` (JSON object), `aliases` (JSON array or comma-separated). ' +
          'Content identical to the latest version (files, type, metadata) returns that version with 200; a new version is 201 and emits CREATE_ARTIFACT. ' +
          'Uploads larger than MODELYARD_MAX_UPLOAD_BYTES get 413.',
        consumes: ['multipart/form-data'],
        params: ArtifactParams,
        body: UploadForm,
        response: { 200: ArtifactVersionView, 201: ArtifactVersionView },
      },
      validatorCompiler: skipBodyValidation,
    },
    async (request, reply) => {
      const access = await teamAccess(ctx, request, request.params.team, 'member');
      checkName('name', request.params.name);
      await findLoggableProject(ctx.db, access.team.id, request.params.project);
      const upload = await readUpload(request, blobs, ctx.config.maxUploadBytes);
      try {
        const { created, version } = await logArtifactVersion(ctx, blobs, access, request.params.project, request.params.name, upload);
        return reply.status(created ? 201 : 200).send(version);
      } finally {
        // Committed files were moved away; this only removes what a failure left staged.
        await Promise.all(upload.files.map((f) => blobs.discard(f.tempPath)));
      }
    },
  );

  app.get(
    base,
    {
      schema: {
        tags: TAGS,
        operationId: 'listArtifacts',
        summary: "A project's artifacts by name",
        params: ProjectParams,
        querystring: PageQuery,
        response: { 200: pageOf(ArtifactView) },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      const { limit, cursor } = request.query;
      const rows = await listArtifacts(ctx.db, team.id, request.params.project, limit, decodeCursor(cursor, 'name'));
      return toPage(rows, limit, (a) => a.name);
    },
  );

  app.get(
    `${base}/:name`,
    {
      schema: {
        tags: TAGS,
        operationId: 'getArtifact',
        summary: `One artifact with its ${RECENT_VERSIONS} newest versions`,
        params: ArtifactParams,
        response: { 200: ArtifactView.extend({ versions: z.array(VersionSummary) }) },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      const { project, name } = request.params;
      const artifact = await getArtifact(ctx.db, team.id, project, name);
      const versions = await listArtifactVersions(ctx.db, team.id, project, name, { limit: RECENT_VERSIONS - 1 });
      return { ...artifact, versions: versions.slice(0, RECENT_VERSIONS) };
    },
  );

  app.get(
    `${base}/:name/versions`,
    {
      schema: {
        tags: TAGS,
        operationId: 'listArtifactVersions',
        summary: "An artifact's versions, newest first",
        params: ArtifactParams,
        querystring: PageQuery,
        response: { 200: pageOf(VersionSummary) },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      const { limit, cursor } = request.query;
      const rows = await listArtifactVersions(ctx.db, team.id, request.params.project, request.params.name, {
        limit,
        beforeIndex: decodeIndexCursor(cursor),
      });
      return toPage(rows, limit, (v) => String(v.index));
    },
  );

  app.get(
    `${base}/:name/versions/:version`,
    {
      schema: {
        tags: TAGS,
        operationId: 'getArtifactVersion',
        summary: 'One artifact version with its manifest, by version (v3) or alias',
        params: VersionParams,
        response: { 200: ArtifactVersionView },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      const { project, name, version } = request.params;
      return getArtifactVersion(ctx.db, team.id, project, name, version);
    },
  );

  app.get(
    `${base}/:name/versions/:version/files/*`,
    {
      schema: {
        tags: TAGS,
        operationId: 'downloadArtifactFile',
        summary: 'Download one file of an artifact version',
        params: VersionParams.extend({ '*': z.string() }),
        produces: ['application/octet-stream'],
      },
    },
    async (request, reply) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      const { project, name, version } = request.params;
      const file = await findArtifactFile(ctx.db, team.id, project, name, version, request.params['*']);
      const fileName = path.posix.basename(file.path).replace(/[^\w.-]/g, '_');
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', String(file.size))
        .header('etag', `"${file.sha256}"`)
        .header('x-checksum-sha256', file.sha256)
        .header('content-disposition', `attachment; filename="${fileName}"`)
        .send(blobs.open(file.sha256));
    },
  );
}
