// Alias policies (admins manage them; every member reads them): who may move a governed alias and what a move needs.
import { z } from 'zod';
import type { Api } from '../api.js';
import type { AppContext } from '../../context.js';
import { teamAccess } from '../auth.js';
import { Name, TeamParams } from '../schemas.js';
import {
  createAliasPolicy,
  deleteAliasPolicy,
  listAliasPolicies,
  MAX_POLICY_APPROVALS,
  MAX_REQUIRED_CHECKS,
  updateAliasPolicy,
} from '../../registry/alias-policies.js';

const TAGS = ['registry'];

const PolicyFields = z.object({
  aliasPattern: z.string().min(1).max(256).describe('RE2 regular expression searched in the alias; anchor it (^production$) for one name'),
  model: Name.nullable().default(null).describe('one registered model, or null for every model of the team'),
  setBy: z.enum(['admin', 'member']).default('member').describe('the lowest role that may move the alias (or vote on its promotions)'),
  approvals: z.number().int().min(0).max(MAX_POLICY_APPROVALS).default(0),
  requiredChecks: z.array(Name).max(MAX_REQUIRED_CHECKS).default([]),
});

export const AliasPolicyView = z.object({
  id: z.string(),
  aliasPattern: z.string(),
  model: z.string().nullable(),
  setBy: z.enum(['admin', 'member']),
  approvals: z.number().int(),
  requiredChecks: z.array(z.string()),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const PolicyParams = TeamParams.extend({ id: z.string().max(64) });

export default async function aliasPolicyRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.post(
    '/api/v1/teams/:team/registry/alias-policies',
    {
      schema: {
        tags: TAGS,
        operationId: 'createAliasPolicy',
        summary: 'Govern aliases (admins): who may move them, how many approvals and which checks a move needs',
        description:
          'A direct change of a governed alias by a role below setBy is 403; when approvals > 0 or requiredChecks is not empty it is 409 `promotion_required` (a promotion request is the way). Several policies covering one alias combine to the strictest.',
        params: TeamParams,
        body: PolicyFields,
        response: { 201: AliasPolicyView },
      },
    },
    async (request, reply) => {
      const access = await teamAccess(ctx, request, request.params.team, 'admin');
      return reply.status(201).send(await createAliasPolicy(ctx, access, request.body));
    },
  );

  app.get(
    '/api/v1/teams/:team/registry/alias-policies',
    {
      schema: {
        tags: TAGS,
        operationId: 'listAliasPolicies',
        summary: "The team's alias policies",
        params: TeamParams,
        response: { 200: z.object({ items: z.array(AliasPolicyView), nextCursor: z.null() }) },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      return { items: await listAliasPolicies(ctx.db, team.id), nextCursor: null };
    },
  );

  app.patch(
    '/api/v1/teams/:team/registry/alias-policies/:id',
    {
      schema: {
        tags: TAGS,
        operationId: 'updateAliasPolicy',
        summary: 'Change an alias policy (admins); pending promotion requests are held to the new rules',
        params: PolicyParams,
        body: z.object({
          aliasPattern: PolicyFields.shape.aliasPattern.optional(),
          model: Name.nullable().optional(),
          setBy: z.enum(['admin', 'member']).optional(),
          approvals: z.number().int().min(0).max(MAX_POLICY_APPROVALS).optional(),
          requiredChecks: z.array(Name).max(MAX_REQUIRED_CHECKS).optional(),
        }),
        response: { 200: AliasPolicyView },
      },
    },
    async (request) => {
      const access = await teamAccess(ctx, request, request.params.team, 'admin');
      return updateAliasPolicy(ctx, access, request.params.id, request.body);
    },
  );

  app.delete(
    '/api/v1/teams/:team/registry/alias-policies/:id',
    {
      schema: { tags: TAGS, operationId: 'deleteAliasPolicy', summary: 'Delete an alias policy (admins)', params: PolicyParams, response: { 204: z.null() } },
    },
    async (request, reply) => {
      const access = await teamAccess(ctx, request, request.params.team, 'admin');
      await deleteAliasPolicy(ctx, access, request.params.id);
      return reply.status(204).send(null);
    },
  );
}
