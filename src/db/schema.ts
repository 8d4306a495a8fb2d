// Table types for Kysely. The same schema runs on SQLite and PostgreSQL, so column types stay portable:
// ids are text (UUIDv7, time-ordered), times are epoch milliseconds (bigint), flags are 0/1 integers,
// JSON documents are text. Nothing outside db/ needs to know which database it talks to.
import type { Insertable, Selectable, Updateable } from 'kysely';

export type TeamRole = 'admin' | 'member' | 'viewer';

export interface UsersTable {
  id: string;
  name: string;
  password_hash: string;
  is_admin: number;
  created_at: number;
  /** Set when an instance admin deactivated the user (migration 008); null while active. */
  deactivated_at: number | null;
}

export interface SessionsTable {
  /** sha256 of the cookie token; the token itself is never stored. */
  id: string;
  user_id: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  name: string;
  /** First characters of the key, shown in lists so a user can tell keys apart. */
  prefix: string;
  key_hash: string;
  created_at: number;
  last_used_at: number | null;
}

export interface TeamsTable {
  id: string;
  name: string;
  created_at: number;
  created_by: string;
}

export interface TeamMembersTable {
  team_id: string;
  user_id: string;
  role: TeamRole;
  created_at: number;
}

export interface ProjectsTable {
  id: string;
  team_id: string;
  name: string;
  description: string;
  created_by: string;
  created_at: number;
}

export interface ArtifactsTable {
  id: string;
  team_id: string;
  project_id: string;
  name: string;
  type: string;
  /** Index the next logged version gets; bumped in the same transaction (row lock on Postgres). */
  next_index: number;
  created_at: number;
}

export interface ArtifactVersionsTable {
  id: string;
  team_id: string;
  artifact_id: string;
  index: number;
  type: string;
  description: string;
  /** JSON object. */
  metadata: string;
  /** sha256 over the sorted manifest (path, sha256) plus type and metadata: identical content → same digest. */
  digest: string;
  size: number;
  file_count: number;
  created_by: string;
  created_at: number;
}

export interface ArtifactFilesTable {
  version_id: string;
  path: string;
  size: number;
  sha256: string;
}

export interface ArtifactAliasesTable {
  artifact_id: string;
  alias: string;
  version_id: string;
  created_at: number;
}

export interface RegisteredModelsTable {
  id: string;
  team_id: string;
  name: string;
  description: string;
  next_index: number;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export interface ModelVersionsTable {
  id: string;
  team_id: string;
  model_id: string;
  index: number;
  artifact_version_id: string;
  created_by: string;
  created_at: number;
}

export interface ModelAliasesTable {
  model_id: string;
  alias: string;
  model_version_id: string;
  created_by: string;
  created_at: number;
}

export type EventType =
  | 'LINK_ARTIFACT'
  | 'UNLINK_ARTIFACT'
  | 'ADD_ARTIFACT_ALIAS'
  | 'REMOVE_ARTIFACT_ALIAS'
  | 'CREATE_ARTIFACT'
  | 'AUTOMATION_FAILED';

export interface EventsTable {
  id: string;
  team_id: string;
  type: EventType;
  /** Project name (`model-registry` for registry events). */
  project: string;
  /** Artifact or registered-model name. */
  collection: string;
  /** Registered model id, for registry events; lets automations scoped to a model match by id. */
  model_id: string | null;
  artifact_version_id: string | null;
  version_index: number | null;
  alias: string | null;
  author: string;
  /** JSON object: the artifact's metadata as it was when the event happened. */
  metadata: string;
  /** JSON object with type-specific details (e.g. the failed run of AUTOMATION_FAILED). */
  details: string;
  created_at: number;
}

export type ActionType = 'webhook' | 'queue_job' | 'no_op';

export interface SecretsTable {
  id: string;
  team_id: string;
  name: string;
  /** `v1.<iv>.<tag>.<ciphertext>` (base64url), AES-256-GCM under the master key, bound to team and name. */
  ciphertext: string;
  created_by: string;
  created_at: number;
  updated_by: string;
  updated_at: number;
}

export interface WebhooksTable {
  id: string;
  team_id: string;
  name: string;
  url: string;
  secret_name: string | null;
  access_token_name: string | null;
  /** Set when a receiver answered 410 Gone (or an admin disabled it); deliveries to it fail at once. */
  disabled_at: number | null;
  disabled_reason: string | null;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export interface AutomationsTable {
  id: string;
  team_id: string;
  name: string;
  description: string;
  enabled: number;
  event_type: EventType;
  /** Scope: one registered model, or null for the whole registry (including models created later). */
  model_id: string | null;
  alias_pattern: string | null;
  action_type: ActionType;
  webhook_id: string | null;
  /** Payload template (webhook) or job template (queue_job). */
  template: string;
  queue_id: string | null;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export type RunState = 'pending' | 'succeeded' | 'failed';

export interface ActionRunsTable {
  id: string;
  team_id: string;
  automation_id: string;
  automation_name: string;
  event_id: string;
  event_type: EventType;
  action_type: ActionType;
  state: RunState;
  /** The webhook at creation, for history; each attempt reads the webhook's URL and secrets as they are then. */
  webhook_id: string | null;
  webhook_name: string | null;
  url: string | null;
  secret_name: string | null;
  access_token_name: string | null;
  /** Rendered body (secret placeholders still unresolved; they are filled in at send time only). */
  body: string;
  job_id: string | null;
  queue_name: string | null;
  attempts: number;
  next_attempt_at: number | null;
  lease_owner: string | null;
  lease_until: number | null;
  last_status: number | null;
  last_error: string | null;
  /** 1 when this run must not emit AUTOMATION_FAILED (it was itself triggered by one). */
  suppress_failure_event: number;
  /** 1 when an operator asked for a redelivery (bulk recover): the next attempt is recorded as manual, not retried. */
  manual_redelivery: number;
  created_at: number;
  finished_at: number | null;
}

export interface DeliveryAttemptsTable {
  id: string;
  run_id: string;
  team_id: string;
  number: number;
  trigger: 'automatic' | 'manual';
  started_at: number;
  duration_ms: number;
  url: string;
  /** JSON object of the request headers, secrets redacted. */
  request_headers: string;
  status: number | null;
  error: string | null;
  /** JSON object of response headers. */
  response_headers: string;
  response_body: string;
}

export interface QueuesTable {
  id: string;
  team_id: string;
  name: string;
  description: string;
  created_by: string;
  created_at: number;
}

export type JobState = 'queued' | 'claimed' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface JobsTable {
  id: string;
  team_id: string;
  queue_id: string;
  run_id: string | null;
  automation_id: string | null;
  event_id: string | null;
  /** The rendered job template (JSON object). */
  payload: string;
  /**
   * JSON object: the event an automation's job was created for (queues/job-event.ts, JobEvent); null for jobs
   * enqueued by hand. Stored with the job (migration 003 says why).
   */
  event: string | null;
  state: JobState;
  attempts: number;
  max_attempts: number;
  agent: string | null;
  lease_until: number | null;
  cancel_requested: number;
  exit_code: number | null;
  error: string | null;
  log_tail: string;
  created_by: string;
  created_at: number;
  claimed_at: number | null;
  started_at: number | null;
  finished_at: number | null;
}

/** Failed-login counters of the login limiter, one row per account name (`user:…`) and client address (`ip:…`). */
export interface LoginAttemptsTable {
  key: string;
  /** Attempts in the current window that did not succeed, counting those still being checked (reserved). */
  failures: number;
  /** Start of the current window (epoch ms); a window older than the limiter's window starts over. */
  first_at: number;
  /** No attempt may be made before this time (epoch ms); 0 when not locked. */
  locked_until: number;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  api_keys: ApiKeysTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
  projects: ProjectsTable;
  artifacts: ArtifactsTable;
  artifact_versions: ArtifactVersionsTable;
  artifact_files: ArtifactFilesTable;
  artifact_aliases: ArtifactAliasesTable;
  registered_models: RegisteredModelsTable;
  model_versions: ModelVersionsTable;
  model_aliases: ModelAliasesTable;
  events: EventsTable;
  secrets: SecretsTable;
  webhooks: WebhooksTable;
  automations: AutomationsTable;
  action_runs: ActionRunsTable;
  delivery_attempts: DeliveryAttemptsTable;
  queues: QueuesTable;
  jobs: JobsTable;
  instance_settings: { key: string; value: string };
  login_attempts: LoginAttemptsTable;
}

export type User = Selectable<UsersTable>;
export type Team = Selectable<TeamsTable>;
export type Event = Selectable<EventsTable>;
export type NewEvent = Insertable<EventsTable>;
export type NewModelVersion = Insertable<ModelVersionsTable>;
export type Automation = Selectable<AutomationsTable>;
export type ActionRun = Selectable<ActionRunsTable>;
export type NewActionRun = Insertable<ActionRunsTable>;
export type ActionRunUpdate = Updateable<ActionRunsTable>;
export type Webhook = Selectable<WebhooksTable>;
export type Job = Selectable<JobsTable>;
