// Table types for Kysely. The same schema runs on SQLite and PostgreSQL, so column types stay portable:
// ids are text (UUIDv7, time-ordered), times are epoch milliseconds (bigint), flags are 0/1 integers,
// JSON documents are text. Nothing outside db/ needs to know which database it talks to.
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

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
  | 'AUTOMATION_FAILED'
  | 'PROMOTION_REQUESTED'
  | 'PROMOTION_APPROVED'
  | 'PROMOTION_REJECTED'
  | 'CHECK_COMPLETED'
  | 'WEBHOOK_DISABLED';

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

export type WebhookMode = 'push' | 'listen';

export interface WebhooksTable {
  id: string;
  team_id: string;
  name: string;
  /** '' for a listen webhook (it has no URL). */
  url: string;
  /** 'push': the worker sends to `url`; 'listen': a listener takes the runs from the team's stream (migration 007). */
  mode: Generated<WebhookMode>;
  secret_name: string | null;
  access_token_name: string | null;
  /** Custom request headers: a JSON list of { name, value }, secret placeholders unfilled (migration 004). */
  headers: Generated<string>;
  /** Set when a receiver answered 410 Gone, it failed for too long, or an admin disabled it; deliveries to it fail at once. */
  disabled_at: number | null;
  disabled_reason: string | null;
  /** Endpoint health (core/endpoint-health.ts): failed attempts in a row, and since when (null while healthy). */
  consecutive_failures: Generated<number>;
  failing_since: number | null;
  last_error: string | null;
  last_error_at: number | null;
  /** Set while the circuit is open: the earliest time the next probe may be sent. */
  probe_at: number | null;
  /** Consecutive failed attempts that open the circuit. */
  circuit_failures: Generated<number>;
  /** How long the endpoint may fail before the webhook is disabled; null: never. */
  disable_after_seconds: number | null;
  /** Flood control (core/endpoint-limits.ts, migration 010): requests in flight and sent per second; null: unlimited. */
  max_concurrency: number | null;
  max_per_second: number | null;
  /** The last turn handed out to a run waiting for a permit (later waiting runs are due after it); null: none. */
  permit_queue_until: number | null;
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
  /** An expression over the version's metadata and checks (core/conditions.ts); null runs on every event. */
  condition: string | null;
  /** queue_job only: the check on the event's version that the job's outcome sets (pending → success | failure). */
  check_name: string | null;
  /** Flood control (core/flood-control.ts): at most rate_limit_max runs per rate_limit_per_seconds; null: no limit. */
  rate_limit_max: number | null;
  rate_limit_per_seconds: number | null;
  /** Seconds after an admitted run during which later runs are skipped; null: none. */
  cooldown_seconds: number | null;
  /** Flood-control counters kept by dispatch. */
  rate_window_start: number | null;
  rate_window_count: Generated<number>;
  last_sent_at: number | null;
  /** Ordered delivery (core/delivery-order.ts, migration 009): 'none' or 'per_subject'. */
  delivery_order: Generated<DeliveryOrder>;
  /** 1: a newer event for a subject supersedes the older runs not yet sent. */
  delivery_supersede: Generated<number>;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export type DeliveryOrder = 'none' | 'per_subject';

/**
 * `skipped`: not sent because of the automation's rate limit or cooldown (last_error says which). `superseded`: never
 * sent, replaced by a newer run of its automation for the same subject (superseded_by).
 */
export type RunState = 'pending' | 'succeeded' | 'failed' | 'skipped' | 'superseded';

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
  /** The check this run's job reports on (its automation's `check` when the run was created); null for none. */
  check_name: string | null;
  created_at: number;
  finished_at: number | null;
  /** 1 for runs delivered through the team's stream (listen webhooks); they keep next_attempt_at null (migration 007). */
  stream: Generated<number>;
  /** When the run is (again) due on the stream: created, retry time, or the acknowledgement deadline once sent. */
  stream_due_at: number | null;
  /** When a stream last sent it; null once acknowledged. */
  stream_sent_at: number | null;
  /** The run this one is a copy of (forwarded to a listener), or null. */
  forwarded_from: string | null;
  /**
   * Ordered delivery (migration 009): the subject of a run whose automation orders deliveries, else null. A pending
   * ordered run with no next_attempt_at is waiting for the subject's active run to finish.
   */
  subject: string | null;
  /** The run's number among its automation's runs for the subject (${sequence}), or null. */
  sequence: number | null;
  /** A waiting run held by cooldown folding is due no earlier than this once activated. */
  not_before: number | null;
  /** The run that replaced this `superseded` one. */
  superseded_by: string | null;
}

/** Per (automation, subject): the last sequence given out and the run that may be due or in flight (migration 009). */
export interface DeliverySubjectsTable {
  automation_id: string;
  subject: string;
  sequence: number;
  active_run_id: string | null;
}

/** One automation's runs copied to a listen webhook while a listener keeps the forward alive (migration 007). */
export interface AutomationForwardsTable {
  automation_id: string;
  team_id: string;
  webhook_id: string;
  created_by: string;
  created_at: number;
  expires_at: number;
}

/**
 * A permit to send one run to a limited webhook (migration 010): in flight until expires_at (the lease's end, or the
 * moment the attempt was recorded), counted towards max_per_second while granted_at is within the last second.
 */
export interface WebhookPermitsTable {
  id: string;
  webhook_id: string;
  run_id: string;
  owner: string;
  granted_at: number;
  expires_at: number;
}

export interface DeliveryAttemptsTable {
  id: string;
  run_id: string;
  team_id: string;
  /** The run's webhook (for its health: index on webhook_id, started_at); null for attempts recorded before 006. */
  webhook_id: string | null;
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

export type AliasChangeReason = 'set' | 'promotion' | 'rollback' | 'removed' | 'unlink';

export interface ModelAliasHistoryTable {
  id: string;
  team_id: string;
  model_id: string;
  alias: string;
  /** The version holding the alias after the change (by index); null when the change took it away. */
  version_index: number | null;
  previous_index: number | null;
  reason: AliasChangeReason;
  promotion_id: string | null;
  comment: string;
  /** The user's name at the time (like an event's author). */
  author: string;
  created_at: number;
}

export interface AliasPoliciesTable {
  id: string;
  team_id: string;
  /** A regular expression matched against the whole alias (as automations' alias filters). */
  alias_pattern: string;
  /** One registered model, or null for every model of the team. */
  model_id: string | null;
  set_by: 'admin' | 'member';
  approvals: number;
  /** JSON array of check names. */
  required_checks: string;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export type PromotionState = 'pending' | 'applied' | 'rejected' | 'cancelled';

export interface PromotionsTable {
  id: string;
  team_id: string;
  model_id: string;
  model_version_id: string;
  version_index: number;
  alias: string;
  state: PromotionState;
  comment: string;
  requested_by: string;
  requested_by_name: string;
  /** Who rejected or cancelled it, and why (the applying approval is a vote like the others). */
  decided_by_name: string | null;
  decision_comment: string | null;
  created_at: number;
  updated_at: number;
  decided_at: number | null;
}

export interface PromotionVotesTable {
  promotion_id: string;
  user_id: string;
  user_name: string;
  decision: 'approve' | 'reject';
  comment: string;
  created_at: number;
}

export type CheckState = 'pending' | 'success' | 'failure';

export interface ModelVersionChecksTable {
  model_version_id: string;
  name: string;
  team_id: string;
  model_id: string;
  state: CheckState;
  summary: string;
  details_url: string | null;
  updated_by: string;
  created_at: number;
  updated_at: number;
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
  delivery_subjects: DeliverySubjectsTable;
  delivery_attempts: DeliveryAttemptsTable;
  webhook_permits: WebhookPermitsTable;
  queues: QueuesTable;
  jobs: JobsTable;
  instance_settings: { key: string; value: string };
  login_attempts: LoginAttemptsTable;
  automation_forwards: AutomationForwardsTable;
  model_alias_history: ModelAliasHistoryTable;
  alias_policies: AliasPoliciesTable;
  promotions: PromotionsTable;
  promotion_votes: PromotionVotesTable;
  model_version_checks: ModelVersionChecksTable;
}

export type User = Selectable<UsersTable>;
export type Team = Selectable<TeamsTable>;
export type Event = Selectable<EventsTable>;
export type NewEvent = Insertable<EventsTable>;
export type NewModelVersion = Insertable<ModelVersionsTable>;
export type Automation = Selectable<AutomationsTable>;
export type AliasPolicy = Selectable<AliasPoliciesTable>;
export type Promotion = Selectable<PromotionsTable>;
export type ActionRun = Selectable<ActionRunsTable>;
export type NewActionRun = Insertable<ActionRunsTable>;
export type ActionRunUpdate = Updateable<ActionRunsTable>;
export type Webhook = Selectable<WebhooksTable>;
export type Job = Selectable<JobsTable>;
