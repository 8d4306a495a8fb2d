// Promotion requests: ask for a version to get an alias, approve or reject (members; never one's own request), cancel
// (the requester or an admin). The alias moves in the transaction of the vote — or of the check — that completes it.
import { z } from 'zod';
import type { Api } from '../api.js';
import type { AppContext } from '../../context.js';
import { teamAccess } from '../auth.js';
import { decodeCursor, PageQuery, pageOf, TeamParams, toPage } from '../schemas.js';
import { cancelPromotion, getPromotion, listPromotions, MAX_COMMENT_LENGTH, requestPromotion, votePromotion } from '../../registry/promotions.js';

const TAGS = ['promotions'];
const STATES = ['pending', 'applied', 'rejected', 'cancelled'] as const;

const Vote = z.object({ by: z.string(), comment: z.string(), at: z.string() });

export const PromotionView = z.object({
  id: z.string(),
  model: z.string(),
  version: z.string(),
  alias: z.string(),
  state: z.enum(STATES),
  comment: z.string(),
  requestedBy: z.string(),
  approvals: z.array(Vote),
  rejections: z.array(Vote),
  required: z.object({ approvals: z.number().int(), checks: z.array(z.string()) }),
  checks: z.array(z.object({ name: z.string(), state: z.enum(['pending', 'success', 'failure', 'missing']), summary: z.string() })),
  waitingFor: z.array(z.string()).describe('why a pending request has not applied yet'),
  decidedBy: z.string().nullable(),
  decisionComment: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  decidedAt: z.string().nullable(),
});

const ModelParams = TeamParams.extend({ model: z.string() });
const PromotionParams = ModelParams.extend({ id: z.string().max(64) });
const Comment = z.object({ comment: z.string().max(MAX_COMMENT_LENGTH).default('') });
const ListQuery = PageQuery.extend({ state: z.enum(STATES).optional() });

export default async function promotionRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.post(
    '/api/v1/teams/:team/registry/models/:model/promotions',
    {
      schema: {
        tags: TAGS,
        operationId: 'requestPromotion',
        summary: 'Ask for a version to get an alias (members); emits PROMOTION_REQUESTED',
        description:
          "The request waits for the approvals and checks the alias's policies ask for, and applies (moves the alias) as soon as they are met — at once when nothing is asked. 409 when the version already holds the alias or the same request is pending.",
        params: ModelParams,
        body: z.object({
          version: z.string().min(1).max(128).describe('"v3" (or an alias naming the version)'),
          alias: z.string().min(1).max(128),
          comment: z.string().max(MAX_COMMENT_LENGTH).default(''),
        }),
        response: { 201: PromotionView },
      },
    },
    async (request, reply) => {
      const access = await teamAccess(ctx, request, request.params.team, 'member');
      return reply.status(201).send(await requestPromotion(ctx, access, request.params.model, request.body));
    },
  );

  app.get(
    '/api/v1/teams/:team/registry/models/:model/promotions',
    {
      schema: {
        tags: TAGS,
        operationId: 'listModelPromotions',
        summary: "The model's promotion requests, newest first; filter by state or version",
        params: ModelParams,
        querystring: ListQuery.extend({ version: z.string().max(128).optional() }),
        response: { 200: pageOf(PromotionView) },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      const { limit, cursor, state, version } = request.query;
      const rows = await listPromotions(ctx.db, team.id, { limit, beforeId: decodeCursor(cursor, 'id'), state, model: request.params.model, version });
      return toPage(rows, limit, (p) => p.id);
    },
  );

  app.get(
    '/api/v1/teams/:team/registry/promotions',
    {
      schema: {
        tags: TAGS,
        operationId: 'listTeamPromotions',
        summary: "The team's promotion requests across its models, newest first; filter by state",
        params: TeamParams,
        querystring: ListQuery,
        response: { 200: pageOf(PromotionView) },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      const { limit, cursor, state } = request.query;
      const rows = await listPromotions(ctx.db, team.id, { limit, beforeId: decodeCursor(cursor, 'id'), state });
      return toPage(rows, limit, (p) => p.id);
    },
  );

  app.get(
    '/api/v1/teams/:team/registry/models/:model/promotions/:id',
    {
      schema: { tags: TAGS, operationId: 'getPromotion', summary: 'One promotion request', params: PromotionParams, response: { 200: PromotionView } },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      return getPromotion(ctx.db, team.id, request.params.model, request.params.id);
    },
  );

  for (const decision of ['approve', 'reject'] as const) {
    app.post(
      `/api/v1/teams/:team/registry/models/:model/promotions/:id/${decision}`,
      {
        schema: {
          tags: TAGS,
          operationId: decision === 'approve' ? 'approvePromotion' : 'rejectPromotion',
          summary:
            decision === 'approve'
              ? 'Approve a promotion request (members, or admins when the policy says so; not the requester); may apply it'
              : 'Reject a promotion request (members, or admins when the policy says so; not the requester); emits PROMOTION_REJECTED',
          description: 'One vote per user (409 for a second one); 403 for the requester and for a role below the policy\'s setBy; 409 when the request is no longer pending.',
          params: PromotionParams,
          body: Comment,
          response: { 200: PromotionView },
        },
      },
      async (request) => {
        const access = await teamAccess(ctx, request, request.params.team, 'member');
        return votePromotion(ctx, access, request.params.model, request.params.id, decision, request.body.comment);
      },
    );
  }

  app.post(
    '/api/v1/teams/:team/registry/models/:model/promotions/:id/cancel',
    {
      schema: {
        tags: TAGS,
        operationId: 'cancelPromotion',
        summary: 'Withdraw a pending promotion request (its requester or an admin)',
        params: PromotionParams,
        body: Comment,
        response: { 200: PromotionView },
      },
    },
    async (request) => {
      const access = await teamAccess(ctx, request, request.params.team, 'member');
      return cancelPromotion(ctx, access, request.params.model, request.params.id, request.body.comment);
    },
  );
}
