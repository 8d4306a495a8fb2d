// The initial schema. Portable column types only (see db/schema.ts); Kysely's schema builder writes the dialect.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const id = (name = 'id') => [name, 'varchar(64)', (c: any) => c.notNull()] as const;
  const time = (name: string, nullable = false) =>
    [name, 'bigint', (c: any) => (nullable ? c : c.notNull())] as const;

  await db.schema
    .createTable('instance_settings')
    .addColumn('key', 'varchar(128)', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('users')
    .addColumn(...id())
    .addColumn('name', 'varchar(128)', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('is_admin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn(...time('created_at'))
    .addPrimaryKeyConstraint('users_pk', ['id'])
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn(...id())
    .addColumn(...id('user_id'))
    .addColumn('csrf_token', 'varchar(128)', (c) => c.notNull())
    .addColumn(...time('created_at'))
    .addColumn(...time('expires_at'))
    .addPrimaryKeyConstraint('sessions_pk', ['id'])
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

  await db.schema
    .createTable('api_keys')
    .addColumn(...id())
    .addColumn(...id('user_id'))
    .addColumn('name', 'varchar(128)', (c) => c.notNull())
    .addColumn('prefix', 'varchar(32)', (c) => c.notNull())
    .addColumn('key_hash', 'varchar(128)', (c) => c.notNull().unique())
    .addColumn(...time('created_at'))
    .addColumn(...time('last_used_at', true))
    .addPrimaryKeyConstraint('api_keys_pk', ['id'])
    .execute();
  await db.schema.createIndex('api_keys_user').on('api_keys').column('user_id').execute();

  await db.schema
    .createTable('teams')
    .addColumn(...id())
    .addColumn('name', 'varchar(128)', (c) => c.notNull().unique())
    .addColumn(...time('created_at'))
    .addColumn(...id('created_by'))
    .addPrimaryKeyConstraint('teams_pk', ['id'])
    .execute();

  await db.schema
    .createTable('team_members')
    .addColumn(...id('team_id'))
    .addColumn(...id('user_id'))
    .addColumn('role', 'varchar(16)', (c) => c.notNull())
    .addColumn(...time('created_at'))
    .addPrimaryKeyConstraint('team_members_pk', ['team_id', 'user_id'])
    .execute();
  await db.schema.createIndex('team_members_user').on('team_members').column('user_id').execute();

  await db.schema
    .createTable('projects')
    .addColumn(...id())
    .addColumn(...id('team_id'))
    .addColumn('name', 'varchar(128)', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn(...id('created_by'))
    .addColumn(...time('created_at'))
    .addPrimaryKeyConstraint('projects_pk', ['id'])
    .addUniqueConstraint('projects_team_name', ['team_id', 'name'])
    .execute();

  await db.schema
    .createTable('artifacts')
    .addColumn(...id())
    .addColumn(...id('team_id'))
    .addColumn(...id('project_id'))
    .addColumn('name', 'varchar(128)', (c) => c.notNull())
    .addColumn('type', 'varchar(64)', (c) => c.notNull())
    .addColumn('next_index', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn(...time('created_at'))
    .addPrimaryKeyConstraint('artifacts_pk', ['id'])
    .addUniqueConstraint('artifacts_project_name', ['project_id', 'name'])
    .execute();

  await db.schema
    .createTable('artifact_versions')
    .addColumn(...id())
    .addColumn(...id('team_id'))
    .addColumn(...id('artifact_id'))
    .addColumn('index', 'integer', (c) => c.notNull())
    .addColumn('type', 'varchar(64)', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('digest', 'varchar(64)', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('file_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn(...id('created_by'))
    .addColumn(...time('created_at'))
    .addPrimaryKeyConstraint('artifact_versions_pk', ['id'])
    .addUniqueConstraint('artifact_versions_index', ['artifact_id', 'index'])
    .execute();

  await db.schema
    .createTable('artifact_files')
    .addColumn(...id('version_id'))
    .addColumn('path', 'varchar(1024)', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('artifact_files_pk', ['version_id', 'path'])
    .execute();

  await db.schema
    .createTable('artifact_aliases')
    .addColumn(...id('artifact_id'))
    .addColumn('alias', 'varchar(128)', (c) => c.notNull())
    .addColumn(...id('version_id'))
    .addColumn(...time('created_at'))
    .addPrimaryKeyConstraint('artifact_aliases_pk', ['artifact_id', 'alias'])
    .execute();
  await db.schema.createIndex('artifact_aliases_version').on('artifact_aliases').column('version_id').execute();

  await db.schema
    .createTable('registered_models')
    .addColumn(...id())
    .addColumn(...id('team_id'))
    .addColumn('name', 'varchar(128)', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('next_index', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn(...id('created_by'))
    .addColumn(...time('created_at'))
    .addColumn(...time('updated_at'))
    .addPrimaryKeyConstraint('registered_models_pk', ['id'])
    .addUniqueConstraint('registered_models_team_name', ['team_id', 'name'])
    .execute();

  await db.schema
    .createTable('model_versions')
    .addColumn(...id())
    .addColumn(...id('team_id'))
    .addColumn(...id('model_id'))
    .addColumn('index', 'integer', (c) => c.notNull())
    .addColumn(...id('artifact_version_id'))
    .addColumn(...id('created_by'))
    .addColumn(...time('created_at'))
    .addPrimaryKeyConstraint('model_versions_pk', ['id'])
    .addUniqueConstraint('model_versions_index', ['model_id', 'index'])
    .addUniqueConstraint('model_versions_source', ['model_id', 'artifact_version_id'])
    .execute();

  await db.schema
    .createTable('model_aliases')
    .addColumn(...id('model_id'))
    .addColumn('alias', 'varchar(128)', (c) => c.notNull())
    .addColumn(...id('model_version_id'))
    .addColumn(...id('created_by'))
    .addColumn(...time('created_at'))
    .addPrimaryKeyConstraint('model_aliases_pk', ['model_id', 'alias'])
    .execute();
  await db.schema.createIndex('model_aliases_version').on('model_aliases').column('model_version_id').execute();

  await db.schema
    .createTable('events')
    .addColumn(...id())
    .addColumn(...id('team_id'))
    .addColumn('type', 'varchar(32)', (c) => c.notNull())
    .addColumn('project', 'varchar(128)', (c) => c.notNull())
    .addColumn('collection', 'varchar(128)', (c) => c.notNull())
    .addColumn('model_id', 'varchar(64)')
    .addColumn('artifact_version_id', 'varchar(64)')
    .addColumn('version_index', 'integer')
    .addColumn('alias', 'varchar(128)')
    .addColumn('author', 'varchar(128)', (c) => c.notNull())
    .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn(...time('created_at'))
    .addPrimaryKeyConstraint('events_pk', ['id'])
    .execute();
  await db.schema.createIndex('events_team').on('events').columns(['team_id', 'id']).execute();

  await db.schema
    .createTable('secrets')
    .addColumn(...id())
    .addColumn(...id('team_id'))
    .addColumn('name', 'varchar(128)', (c) => c.notNull())
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn(...id('created_by'))
    .addColumn(...time('created_at'))
    .addColumn(...id('updated_by'))
    .addColumn(...time('updated_at'))
    .addPrimaryKeyConstraint('secrets_pk', ['id'])
    .addUniqueConstraint('secrets_team_name', ['team_id', 'name'])
    .execute();

  await db.schema
    .createTable('webhooks')
    .addColumn(...id())
    .addColumn(...id('team_id'))
    .addColumn('name', 'varchar(64)', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('secret_name', 'varchar(128)')
    .addColumn('access_token_name', 'varchar(128)')
    .addColumn(...time('disabled_at', true))
    .addColumn('disabled_reason', 'text')
    .addColumn(...id('created_by'))
    .addColumn(...time('created_at'))
    .addColumn(...time('updated_at'))
    .addPrimaryKeyConstraint('webhooks_pk', ['id'])
    .addUniqueConstraint('webhooks_team_name', ['team_id', 'name'])
    .execute();

  await db.schema
    .createTable('automations')
    .addColumn(...id())
    .addColumn(...id('team_id'))
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('event_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('model_id', 'varchar(64)')
    .addColumn('alias_pattern', 'text')
    .addColumn('action_type', 'varchar(16)', (c) => c.notNull())
    .addColumn('webhook_id', 'varchar(64)')
    .addColumn('template', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('queue_id', 'varchar(64)')
    .addColumn(...id('created_by'))
    .addColumn(...time('created_at'))
    .addColumn(...time('updated_at'))
    .addPrimaryKeyConstraint('automations_pk', ['id'])
    .addUniqueConstraint('automations_team_name', ['team_id', 'name'])
    .execute();
  // Matching looks up (team, event type, scope): its cost follows the matches, not the number of automations.
  await db.schema
    .createIndex('automations_match')
    .on('automations')
    .columns(['team_id', 'event_type', 'model_id'])
    .execute();

  await db.schema
    .createTable('action_runs')
    .addColumn(...id())
    .addColumn(...id('team_id'))
    .addColumn(...id('automation_id'))
    .addColumn('automation_name', 'varchar(255)', (c) => c.notNull())
    .addColumn(...id('event_id'))
    .addColumn('event_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('action_type', 'varchar(16)', (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('webhook_id', 'varchar(64)')
    .addColumn('webhook_name', 'varchar(64)')
    .addColumn('url', 'text')
    .addColumn('secret_name', 'varchar(128)')
    .addColumn('access_token_name', 'varchar(128)')
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('job_id', 'varchar(64)')
    .addColumn('queue_name', 'varchar(128)')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn(...time('next_attempt_at', true))
    .addColumn('lease_owner', 'varchar(64)')
    .addColumn(...time('lease_until', true))
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('suppress_failure_event', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('manual_redelivery', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn(...time('created_at'))
    .addColumn(...time('finished_at', true))
    .addPrimaryKeyConstraint('action_runs_pk', ['id'])
    .execute();
  // The worker's claim query: pending runs by due time.
  await db.schema.createIndex('action_runs_due').on('action_runs').columns(['state', 'next_attempt_at']).execute();
  await db.schema.createIndex('action_runs_automation').on('action_runs').columns(['automation_id', 'id']).execute();
  await db.schema.createIndex('action_runs_team').on('action_runs').columns(['team_id', 'id']).execute();

  await db.schema
    .createTable('delivery_attempts')
    .addColumn(...id())
    .addColumn(...id('run_id'))
    .addColumn(...id('team_id'))
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('trigger', 'varchar(16)', (c) => c.notNull())
    .addColumn(...time('started_at'))
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('request_headers', 'text', (c) => c.notNull())
    .addColumn('status', 'integer')
    .addColumn('error', 'text')
    .addColumn('response_headers', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('response_body', 'text', (c) => c.notNull().defaultTo(''))
    .addPrimaryKeyConstraint('delivery_attempts_pk', ['id'])
    .execute();
  await db.schema.createIndex('delivery_attempts_run').on('delivery_attempts').columns(['run_id', 'number']).execute();

  await db.schema
    .createTable('queues')
    .addColumn(...id())
    .addColumn(...id('team_id'))
    .addColumn('name', 'varchar(128)', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn(...id('created_by'))
    .addColumn(...time('created_at'))
    .addPrimaryKeyConstraint('queues_pk', ['id'])
    .addUniqueConstraint('queues_team_name', ['team_id', 'name'])
    .execute();

  await db.schema
    .createTable('jobs')
    .addColumn(...id())
    .addColumn(...id('team_id'))
    .addColumn(...id('queue_id'))
    .addColumn('run_id', 'varchar(64)')
    .addColumn('automation_id', 'varchar(64)')
    .addColumn('event_id', 'varchar(64)')
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('agent', 'varchar(255)')
    .addColumn(...time('lease_until', true))
    .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('exit_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('log_tail', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn(...id('created_by'))
    .addColumn(...time('created_at'))
    .addColumn(...time('claimed_at', true))
    .addColumn(...time('started_at', true))
    .addColumn(...time('finished_at', true))
    .addPrimaryKeyConstraint('jobs_pk', ['id'])
    .execute();
  await db.schema.createIndex('jobs_queue_state').on('jobs').columns(['queue_id', 'state', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'jobs', 'queues', 'delivery_attempts', 'action_runs', 'automations', 'webhooks', 'secrets', 'events',
    'model_aliases', 'model_versions', 'registered_models', 'artifact_aliases', 'artifact_files',
    'artifact_versions', 'artifacts', 'projects', 'team_members', 'teams', 'api_keys', 'sessions', 'users',
    'instance_settings',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
