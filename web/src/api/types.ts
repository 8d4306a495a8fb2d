// The shapes the UI reads, taken from the OpenAPI document through the typed client's generated types
// (src/client/schema.d.ts, `npm run client:types`): when a route's response changes, the UI stops type-checking
// instead of breaking at run time.
import type { Body, Item, Json } from '../../../src/client/core';

export type { Body, Json };

export type Me = Json<'/api/v1/me', 'get'>;
export type Role = Me['teams'][number]['role'];
export type Member = Item<Json<'/api/v1/teams/{team}/members', 'get'>>;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type Model = Json<'/api/v1/teams/{team}/registry/models/{model}', 'get'>;
export type ModelVersion = Item<Json<'/api/v1/teams/{team}/registry/models/{model}/versions', 'get'>>;
export type AliasMove = Json<'/api/v1/teams/{team}/registry/models/{model}/aliases/{alias}', 'put'>;
export type Project = Item<Json<'/api/v1/teams/{team}/projects', 'get'>>;
export type Artifact = Item<Json<'/api/v1/teams/{team}/projects/{project}/artifacts', 'get'>>;
export type ArtifactVersionSummary = Item<Json<'/api/v1/teams/{team}/projects/{project}/artifacts/{name}/versions', 'get'>>;
export type ArtifactVersion = Json<'/api/v1/teams/{team}/projects/{project}/artifacts/{name}/versions/{version}', 'get'>;

export type Secret = Item<Json<'/api/v1/teams/{team}/secrets', 'get'>>;
export type Webhook = Item<Json<'/api/v1/teams/{team}/webhooks', 'get'>>;
export type WebhookHealth = Json<'/api/v1/teams/{team}/webhooks/{id}/health', 'get'>;
export type WebhookTestResult = Json<'/api/v1/teams/{team}/webhooks/{id}/test', 'post'>;

export type Automation = Json<'/api/v1/teams/{team}/automations/{id}', 'get'>;
export type AutomationInput = Body<'/api/v1/teams/{team}/automations', 'post'>;
export type EventType = Automation['event']['type'];
export type ActionType = Automation['action']['type'];
export type ModelAutomation = Item<Json<'/api/v1/teams/{team}/registry/models/{model}/automations', 'get'>>;
export type PreviewRequest = Body<'/api/v1/teams/{team}/automations/preview', 'post'>;
export type PreviewResult = Json<'/api/v1/teams/{team}/automations/preview', 'post'>;
export type Preset = Item<Json<'/api/v1/presets', 'get'>>;

export type Run = Item<Json<'/api/v1/teams/{team}/runs', 'get'>>;
export type RunState = Run['state'];
export type RunDetail = Json<'/api/v1/teams/{team}/runs/{runId}', 'get'>;
export type Attempt = RunDetail['attempts'][number];

export type Queue = Item<Json<'/api/v1/teams/{team}/queues', 'get'>>;
export type Job = Item<Json<'/api/v1/teams/{team}/queues/{queue}/jobs', 'get'>>;
export type JobDetail = Json<'/api/v1/teams/{team}/jobs/{jobId}', 'get'>;
