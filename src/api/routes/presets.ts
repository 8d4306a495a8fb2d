// The payload presets (src/core/presets.ts), so the wizard, the CLI and scripts offer the same ones. Any signed-in user
// may read them: they hold no team data, only templates.
import { z } from 'zod';
import type { Api } from '../api.js';
import type { AppContext } from '../../context.js';
import { listPresets, PRESET_EVENT_TYPES } from '../../core/presets.js';
import { requireUser } from '../auth.js';
import { UnpagedQuery } from '../schemas.js';

const PresetEventType = z.enum(PRESET_EVENT_TYPES);

const PresetResponse = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().describe('What the preset is for and what the receiving side needs'),
    eventTypes: z.array(PresetEventType).describe('The event types the preset is written for'),
    template: z.string().describe('A payload template, as an automation\'s `action.payload` takes it'),
    example: z
      .object({ title: z.string(), language: z.string(), text: z.string() })
      .nullable()
      .describe('What goes with the preset on the receiving side (GitHub: the workflow file)'),
    suggestedHeaders: z
      .array(z.object({ name: z.string(), value: z.string() }))
      .describe("Custom headers the target's API asks for, to set on the webhook (GitHub: Accept and X-GitHub-Api-Version); empty when none"),
  })
  .describe('A ready-made payload template for a common target');

export default async function presetRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.get(
    '/api/v1/presets',
    {
      schema: {
        tags: ['automations'],
        operationId: 'listPresets',
        summary: 'Payload presets for webhooks (GitHub Actions, Slack, Microsoft Teams)',
        description:
          'Links into Modelyard (the Teams card\'s button) are included when the server has MODELYARD_PUBLIC_URL; they point at the registered model for registry events and at the artifact for CREATE_ARTIFACT, so pass the automation\'s eventType (default LINK_ARTIFACT).',
        querystring: UnpagedQuery.extend({ eventType: PresetEventType.optional() }),
        response: { 200: z.object({ items: z.array(PresetResponse), nextCursor: z.null() }) },
      },
    },
    async (request) => {
      requireUser(request);
      return { items: listPresets({ publicUrl: ctx.config.publicUrl, eventType: request.query.eventType }), nextCursor: null };
    },
  );
}
