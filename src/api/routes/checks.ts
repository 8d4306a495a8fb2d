// Checks on model versions: members and agents (with a member's API key) report `pending`, `success` or `failure`.
import { z } from 'zod';
import type { Api } from '../api.js';
import type { AppContext } from '../../context.js';
import { teamAccess } from '../auth.js';
import { TeamParams } from '../schemas.js';
import { MAX_DETAILS_URL_LENGTH, MAX_SUMMARY_LENGTH, setCheck } from '../../registry/checks.js';
import { getModelVersion } from '../../registry/models.js';
import { ModelVersionView } from './registry.js';

const TAGS = ['registry'];

const CheckView = ModelVersionView.shape.checks.element;
const CheckParams = TeamParams.extend({ model: z.string(), version: z.string(), name: z.string() });

export default async function checkRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.put(
    '/api/v1/teams/:team/registry/models/:model/versions/:version/checks/:name',
    {
      schema: {
        tags: TAGS,
        operationId: 'setVersionCheck',
        summary: 'Report a check on a version (members and agents): pending, success or failure',
        description:
          'Reaching success or failure (from another state) emits CHECK_COMPLETED; success applies the pending promotion requests of the version whose requirements are then met.',
        params: CheckParams,
        body: z.object({
          state: z.enum(['pending', 'success', 'failure']),
          summary: z.string().max(MAX_SUMMARY_LENGTH).default(''),
          detailsUrl: z.string().max(MAX_DETAILS_URL_LENGTH).nullable().default(null).describe('an http(s) link to the details (logs, a report)'),
        }),
        response: { 200: CheckView },
      },
    },
    async (request) => {
      const access = await teamAccess(ctx, request, request.params.team, 'member');
      return setCheck(ctx, access, request.params.model, request.params.version, request.params.name, request.body);
    },
  );

  app.get(
    '/api/v1/teams/:team/registry/models/:model/versions/:version/checks',
    {
      schema: {
        tags: TAGS,
        operationId: 'listVersionChecks',
        summary: "A version's checks, by name",
        params: CheckParams.omit({ name: true }),
        response: { 200: z.object({ items: z.array(CheckView), nextCursor: z.null() }) },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      const version = await getModelVersion(ctx.db, team.id, request.params.model, request.params.version);
      return { items: version.checks, nextCursor: null };
    },
  );
}
