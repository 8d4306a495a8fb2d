// The event catalog (src/automations/event-catalog.ts): every event type with its description, template variables,
// a JSON Schema of its variables and a realistic sample. Any signed-in user may read it: it holds no team data.
// The per-type variable objects are also part of the OpenAPI document (the `sample` of an item is one of them).
import { z } from 'zod';
import type { Api } from '../api.js';
import type { AppContext } from '../../context.js';
import { EVENT_SCHEMA_VERSION, eventCatalog, RECEIVER_RULE } from '../../automations/event-catalog.js';
import { EVENT_TYPES } from '../../registry/events.js';
import { requireUser } from '../auth.js';
import { UnpagedQuery } from '../schemas.js';

/** The variables of one event type as the OpenAPI document shows them (the JSON Schema in `schema` is the precise one). */
function variablesOf(type: (typeof EVENT_TYPES)[number]) {
  const entry = eventCatalog().find((e) => e.type === type)!;
  const shape: Record<string, z.ZodType> = { event_type: z.literal(type) };
  for (const v of entry.variables) if (v.name !== 'event_type') shape[v.name] = z.string().describe(`${v.description} (${v.filled === 'never' ? 'always empty for this type' : v.filled === 'sometimes' ? 'may be empty' : 'never empty'})`);
  shape.artifact_metadata = z.record(z.string(), z.unknown()).describe('The version\'s metadata; ${artifact_metadata.KEY} reads its top-level keys');
  return z.object(shape).describe(`${type}: ${entry.description}`);
}

const [firstType, ...otherTypes] = EVENT_TYPES;
const EventVariables = z.discriminatedUnion('event_type', [variablesOf(firstType), ...otherTypes.map(variablesOf)]);

const EventTypeResponse = z.object({
  type: z.enum(EVENT_TYPES),
  description: z.string(),
  automatable: z.boolean().describe('Whether an automation can be triggered by this event type'),
  variables: z.array(
    z.object({
      name: z.string().describe('Used in a payload template as ${name}'),
      description: z.string(),
      filled: z.enum(['always', 'sometimes', 'never']).describe('always: never empty for this type; sometimes: empty for some events; never: always ""'),
    }),
  ),
  schema: z.record(z.string(), z.unknown()).describe('JSON Schema (2020-12) of the variables of an event of this type'),
  sample: EventVariables.describe('The variables of a realistic event of this type'),
});

export default async function eventTypeRoutes(app: Api, _ctx: AppContext): Promise<void> {
  app.get(
    '/api/v1/event-types',
    {
      schema: {
        operationId: 'listEventTypes',
        tags: ['automations'],
        summary: 'The event catalog: every event type, its template variables and their JSON Schema',
        description: `Versioned by schemaVersion. ${RECEIVER_RULE}`,
        querystring: UnpagedQuery,
        response: {
          200: z.object({
            schemaVersion: z.literal(EVENT_SCHEMA_VERSION),
            rule: z.string().describe('What receivers must do with fields and event types they do not know'),
            items: z.array(EventTypeResponse),
            nextCursor: z.null(),
          }),
        },
      },
    },
    async (request) => {
      requireUser(request);
      return { schemaVersion: EVENT_SCHEMA_VERSION, rule: RECEIVER_RULE, items: eventCatalog() as Array<z.infer<typeof EventTypeResponse>>, nextCursor: null };
    },
  );
}
