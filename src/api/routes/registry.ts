// The team's model registry: registered models, linking artifact versions to them, unlinking, and aliases.
// Viewers read; members and admins change.
import { z } from 'zod';
import type { Api } from '../api.js';
import type { AppContext } from '../../context.js';
import { teamAccess } from '../auth.js';
import { decodeCursor, decodeIndexCursor, Name, PageQuery, pageOf, TeamParams, toPage } from '../schemas.js';
import {
  createModel,
  deleteModel,
  findModelId,
  getAliasAt,
  getModel,
  getModelVersion,
  linkVersion,
  listModels,
  listModelVersions,
  removeAlias,
  rollbackAlias,
  unlinkVersion,
  updateModel,
} from '../../registry/models.js';
import { aliasHistory } from '../../registry/aliases.js';
import { setAlias } from '../../registry/alias-move.js';
import { invalid } from '../../core/errors.js';

const TAGS = ['registry'];

export const ModelView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  versionCount: z.number().int(),
  latestVersion: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const ModelVersionView = z.object({
  id: z.string(),
  version: z.string(),
  index: z.number().int(),
  aliases: z.array(z.string()),
  source: z.object({ project: z.string(), artifact: z.string(), version: z.string(), index: z.number().int() }),
  artifactVersionId: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  checks: z.array(
    z.object({
      name: z.string(),
      state: z.enum(['pending', 'success', 'failure']),
      summary: z.string(),
      detailsUrl: z.string().nullable(),
      updatedBy: z.string(),
      updatedAt: z.string(),
    }),
  ),
  createdBy: z.string(),
  createdAt: z.string(),
});

export const AliasHistoryItem = z.object({
  version: z.string().nullable().describe('the version holding the alias after the change; null when it was taken away'),
  previousVersion: z.string().nullable(),
  by: z.string(),
  at: z.string(),
  reason: z.enum(['set', 'promotion', 'rollback', 'removed', 'unlink']),
  promotionId: z.string().nullable(),
  comment: z.string(),
});

const ModelParams = TeamParams.extend({ model: z.string() });
const VersionParams = ModelParams.extend({ version: z.string() });
const AliasParams = ModelParams.extend({ alias: z.string() });
const Description = z.string().max(10_000);


export default async function registryRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.post(
    '/api/v1/teams/:team/registry/models',
    {
      schema: {
        tags: TAGS,
        operationId: 'createModel',
        errorResponses: { add: [409] },
        summary: 'Create a registered model (members)',
        params: TeamParams,
        body: z.object({ name: Name, description: Description.default('') }),
        response: { 201: ModelView },
      },
    },
    async (request, reply) => {
      const access = await teamAccess(ctx, request, request.params.team, 'member');
      const model = await createModel(ctx, access, request.body);
      return reply.status(201).send(model);
    },
  );

  app.get(
    '/api/v1/teams/:team/registry/models',
    {
      schema: {
        tags: TAGS,
        operationId: 'listModels',
        summary: 'Registered models by name; `search` matches part of the name',
        params: TeamParams,
        querystring: PageQuery.extend({ search: z.string().max(128).optional() }),
        response: { 200: pageOf(ModelView) },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      const { limit, cursor, search } = request.query;
      const rows = await listModels(ctx.db, team.id, { limit, afterName: decodeCursor(cursor, 'name'), search });
      return toPage(rows, limit, (m) => m.name);
    },
  );

  app.get(
    '/api/v1/teams/:team/registry/models/:model',
    { schema: { tags: TAGS, operationId: 'getModel', summary: 'One registered model', params: ModelParams, response: { 200: ModelView } } },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      return getModel(ctx.db, team.id, request.params.model);
    },
  );

  app.patch(
    '/api/v1/teams/:team/registry/models/:model',
    {
      schema: {
        tags: TAGS,
        operationId: 'updateModel',
        summary: "Change a registered model's description (members)",
        params: ModelParams,
        body: z.object({ description: Description.optional() }),
        response: { 200: ModelView },
      },
    },
    async (request) => {
      const access = await teamAccess(ctx, request, request.params.team, 'member');
      return updateModel(ctx, access, request.params.model, request.body);
    },
  );

  app.delete(
    '/api/v1/teams/:team/registry/models/:model',
    {
      schema: {
        tags: TAGS,
        operationId: 'deleteModel',
        summary: 'Delete a registered model with its versions, aliases and the automations scoped to it (members)',
        params: ModelParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const access = await teamAccess(ctx, request, request.params.team, 'member');
      await deleteModel(ctx, access, request.params.model);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/teams/:team/registry/models/:model/versions',
    {
      schema: {
        tags: TAGS,
        operationId: 'linkModelVersion',
        summary: 'Link an artifact version to the model (members); linking a linked source returns its version (200)',
        description:
          'Creates the next version (v0, v1, …), moves `latest` to it and adds the given aliases (moving them from other versions). Emits LINK_ARTIFACT and one ADD_ARTIFACT_ALIAS per alias added.',
        params: ModelParams,
        body: z.object({
          source: z.string().min(1).max(400).describe('"project/artifact:v2" or "project/artifact:alias"'),
          aliases: z.array(z.string().max(128)).max(100).default([]),
        }),
        response: { 200: ModelVersionView, 201: ModelVersionView },
      },
    },
    async (request, reply) => {
      const access = await teamAccess(ctx, request, request.params.team, 'member');
      const { created, version } = await linkVersion(ctx, access, request.params.model, request.body);
      return reply.status(created ? 201 : 200).send(version);
    },
  );

  app.get(
    '/api/v1/teams/:team/registry/models/:model/versions',
    {
      schema: {
        tags: TAGS,
        operationId: 'listModelVersions',
        summary: "The model's versions, newest first",
        params: ModelParams,
        querystring: PageQuery,
        response: { 200: pageOf(ModelVersionView) },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      const { limit, cursor } = request.query;
      const rows = await listModelVersions(ctx.db, team.id, request.params.model, { limit, beforeIndex: decodeIndexCursor(cursor) });
      return toPage(rows, limit, (v) => String(v.index));
    },
  );

  app.get(
    '/api/v1/teams/:team/registry/models/:model/versions/:version',
    {
      schema: {
        tags: TAGS,
        operationId: 'getModelVersion',
        summary: 'One model version, by version (v3) or alias',
        params: VersionParams,
        response: { 200: ModelVersionView },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      return getModelVersion(ctx.db, team.id, request.params.model, request.params.version);
    },
  );

  app.delete(
    '/api/v1/teams/:team/registry/models/:model/versions/:version',
    {
      schema: {
        tags: TAGS,
        operationId: 'unlinkModelVersion',
        summary: 'Unlink a model version (members); its aliases go with it and `latest` falls back',
        params: VersionParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const access = await teamAccess(ctx, request, request.params.team, 'member');
      await unlinkVersion(ctx, access, request.params.model, request.params.version);
      return reply.status(204).send(null);
    },
  );

  app.put(
    '/api/v1/teams/:team/registry/models/:model/aliases/:alias',
    {
      schema: {
        tags: TAGS,
        operationId: 'setModelAlias',
        summary: 'Put an alias on a version, moving it from another version if one holds it (members)',
        description:
          'With `expectedVersion` the move is a compare-and-set: "v2" — the alias must be on v2; null — it must not exist; otherwise 409 `alias_moved` and nothing changes. An alias governed by a policy answers 403 (role below its setBy) or 409 `promotion_required` (it asks for approvals or checks). Emits ADD_ARTIFACT_ALIAS with previousVersion in its details — unless the alias was on that version already: `change` is then `unchanged`, and no event is raised and no automation runs.',
        params: AliasParams,
        body: z.object({
          version: z.string().min(1).max(128).describe('"v2" or another alias'),
          expectedVersion: z.string().min(1).max(128).nullable().optional().describe('compare-and-set: where the alias must be now (null: nowhere)'),
        }),
        response: {
          200: ModelVersionView.extend({
            change: z.enum(['added', 'moved', 'unchanged']).describe('added: the alias was new; moved: it left another version; unchanged: it was here already (no event)'),
          }),
        },
      },
    },
    async (request) => {
      const access = await teamAccess(ctx, request, request.params.team, 'member');
      const { version, expectedVersion } = request.body;
      const moved = await setAlias(ctx, access, request.params.model, request.params.alias, version, expectedVersion);
      return { ...moved.version, change: moved.change as 'added' | 'moved' | 'unchanged' };
    },
  );

  app.get(
    '/api/v1/teams/:team/registry/models/:model/aliases/:alias',
    {
      schema: {
        tags: TAGS,
        operationId: 'getAliasVersion',
        summary: 'The version an alias is on — now, or at the time `at` (from its history)',
        params: AliasParams,
        querystring: z.object({ at: z.string().max(64).optional().describe('ISO 8601 time, e.g. 2026-12-01T10:00:00Z') }),
        response: { 200: ModelVersionView },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      const { at } = request.query;
      if (at === undefined) return getModelVersion(ctx.db, team.id, request.params.model, request.params.alias);
      const time = Date.parse(at);
      if (!/^\d{4}-\d{2}-\d{2}T/.test(at) || Number.isNaN(time)) throw invalid('at', 'must be an ISO 8601 time such as 2026-12-01T10:00:00Z');
      return getAliasAt(ctx.db, team.id, request.params.model, request.params.alias, time);
    },
  );

  app.get(
    '/api/v1/teams/:team/registry/models/:model/aliases/:alias/history',
    {
      schema: {
        tags: TAGS,
        operationId: 'listAliasHistory',
        summary: "Every change of an alias, newest first: which version held it, from which, who, when and why",
        params: AliasParams,
        querystring: PageQuery,
        response: { 200: pageOf(AliasHistoryItem) },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      const { limit, cursor } = request.query;
      const modelId = await findModelId(ctx.db, team.id, request.params.model);
      const rows = await aliasHistory(ctx.db, modelId, request.params.alias, { limit, beforeId: decodeCursor(cursor, 'id') });
      const page = toPage(rows, limit, (row) => row.id);
      return { items: page.items.map(({ id: _id, ...item }) => item), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/api/v1/teams/:team/registry/models/:model/aliases/:alias/rollback',
    {
      schema: {
        tags: TAGS,
        operationId: 'rollbackAlias',
        summary: 'Move an alias back to the version that held it before its last change (members; policies apply)',
        description: 'Emits ADD_ARTIFACT_ALIAS with reason `rollback` in its details. 409 when there was no previous version or it has been unlinked.',
        params: AliasParams,
        body: z.object({ comment: z.string().max(4000).default('') }),
        response: { 200: ModelVersionView },
      },
    },
    async (request) => {
      const access = await teamAccess(ctx, request, request.params.team, 'member');
      return rollbackAlias(ctx, access, request.params.model, request.params.alias, request.body.comment);
    },
  );

  app.delete(
    '/api/v1/teams/:team/registry/models/:model/aliases/:alias',
    {
      schema: {
        tags: TAGS,
        operationId: 'removeModelAlias',
        summary: 'Remove an alias (members); emits REMOVE_ARTIFACT_ALIAS',
        params: AliasParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const access = await teamAccess(ctx, request, request.params.team, 'member');
      await removeAlias(ctx, access, request.params.model, request.params.alias);
      return reply.status(204).send(null);
    },
  );
}
