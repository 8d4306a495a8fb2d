// Team secrets (admins only). Write-only: requests carry values in, no response ever carries one out.
import { z } from 'zod';
import type { Api } from '../api.js';
import type { AppContext } from '../../context.js';
import {
  createSecret,
  deleteSecret,
  listSecrets,
  MAX_SECRET_NAME_LENGTH,
  MAX_SECRET_VALUE_BYTES,
  SECRET_NAME_PATTERN,
  SECRET_NAME_RULE,
  updateSecret,
  type SecretView,
} from '../../auth/secrets.js';
import { teamAccess } from '../auth.js';
import { iso, TeamParams, UnpagedQuery } from '../schemas.js';

const SecretName = z.string().max(MAX_SECRET_NAME_LENGTH).regex(SECRET_NAME_PATTERN, SECRET_NAME_RULE);
// The service checks the length in UTF-8 bytes and refuses NUL, with messages naming the rule; the schema only
// describes it (a JSON Schema maxLength counts characters, not bytes).
const SecretValue = z.string().min(1).describe(`At most ${MAX_SECRET_VALUE_BYTES} bytes in UTF-8 (64 KiB); no NUL character`);

export const SecretResponse = z
  .object({
    id: z.string(),
    name: z.string(),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedBy: z.string(),
    updatedAt: z.string(),
    usedBy: z.array(z.string()).describe('Webhooks that sign with the secret or send it as their access token'),
  })
  .describe('A team secret. The value is write-only and never returned.');

function toResponse(view: SecretView): z.infer<typeof SecretResponse> {
  return { ...view, createdAt: iso(view.createdAt), updatedAt: iso(view.updatedAt) };
}

const SecretParams = TeamParams.extend({ name: z.string() });

export default async function secretRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.post(
    '/api/v1/teams/:team/secrets',
    {
      schema: {
        tags: ['secrets'],
        operationId: 'createSecret',
        errorResponses: { add: [409] },
        summary: 'Create a team secret (admins); its value can never be read back',
        params: TeamParams,
        body: z.object({ name: SecretName, value: SecretValue }),
        response: { 201: SecretResponse },
      },
    },
    async (request, reply) => {
      const { team, user } = await teamAccess(ctx, request, request.params.team, 'admin');
      const view = await createSecret(ctx.db, ctx.keyring, team.id, user.id, request.body);
      return reply.status(201).send(toResponse(view));
    },
  );

  app.get(
    '/api/v1/teams/:team/secrets',
    {
      schema: {
        tags: ['secrets'],
        operationId: 'listSecrets',
        errorResponses: { add: [403] },
        summary: "The team's secrets: names, who set them and when, which webhooks use them (admins)",
        params: TeamParams,
        querystring: UnpagedQuery,
        response: { 200: z.object({ items: z.array(SecretResponse), nextCursor: z.null() }) },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'admin');
      return { items: (await listSecrets(ctx.db, team.id)).map(toResponse), nextCursor: null };
    },
  );

  app.put(
    '/api/v1/teams/:team/secrets/:name',
    {
      schema: {
        tags: ['secrets'],
        operationId: 'updateSecret',
        summary: 'Replace a secret value (admins); deliveries sent afterwards use the new value',
        params: SecretParams,
        body: z.object({ value: SecretValue }),
        response: { 200: SecretResponse },
      },
    },
    async (request) => {
      const { team, user } = await teamAccess(ctx, request, request.params.team, 'admin');
      return toResponse(await updateSecret(ctx.db, ctx.keyring, team.id, user.id, request.params.name, request.body.value));
    },
  );

  app.delete(
    '/api/v1/teams/:team/secrets/:name',
    {
      schema: {
        tags: ['secrets'],
        operationId: 'deleteSecret',
        errorResponses: { add: [409] },
        summary: 'Delete a secret (admins); refused with 409 while a webhook uses it',
        params: SecretParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'admin');
      await deleteSecret(ctx.db, team.id, request.params.name);
      return reply.status(204).send(null);
    },
  );
}
