// Governed promotion (issue 15): the history of every alias change, alias policies, promotion requests with their
// votes, checks on model versions, and the columns automations need for conditions and `check`.
//
// History rows name versions by index, not by row id: a version can be unlinked later and its history must stay
// readable. Existing aliases (except `latest`, which moves on every link and is not governed) get one `set` row at
// the time they were placed, so `GET …/aliases/{alias}?at=…` answers for them too.
import type { Kysely } from 'kysely';
import { newId } from '../../core/ids.js';

export async function up(db: Kysely<any>): Promise<void> {
  const id = (name = 'id') => [name, 'varchar(64)', (c: any) => c.notNull()] as const;
  const time = (name: string) => [name, 'bigint', (c: any) => c.notNull()] as const;

  await db.schema
    .createTable('model_alias_history')
    .addColumn(...id())
    .addColumn(...id('team_id'))
    .addColumn(...id('model_id'))
    .addColumn('alias', 'varchar(128)', (c) => c.notNull())
    // The index of the version that holds the alias after the change; null when the change removed it.
    .addColumn('version_index', 'integer')
    .addColumn('previous_index', 'integer')
    .addColumn('reason', 'varchar(16)', (c) => c.notNull())
    .addColumn('promotion_id', 'varchar(64)')
    .addColumn('comment', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('author', 'varchar(128)', (c) => c.notNull())
    .addColumn(...time('created_at'))
    .addPrimaryKeyConstraint('model_alias_history_pk', ['id'])
    .execute();
  await db.schema.createIndex('model_alias_history_alias').on('model_alias_history').columns(['model_id', 'alias', 'created_at']).execute();

  await db.schema
    .createTable('alias_policies')
    .addColumn(...id())
    .addColumn(...id('team_id'))
    .addColumn('alias_pattern', 'text', (c) => c.notNull())
    .addColumn('model_id', 'varchar(64)')
    .addColumn('set_by', 'varchar(16)', (c) => c.notNull())
    .addColumn('approvals', 'integer', (c) => c.notNull())
    // JSON array of check names.
    .addColumn('required_checks', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn(...id('created_by'))
    .addColumn(...time('created_at'))
    .addColumn(...time('updated_at'))
    .addPrimaryKeyConstraint('alias_policies_pk', ['id'])
    .execute();
  await db.schema.createIndex('alias_policies_team').on('alias_policies').column('team_id').execute();

  await db.schema
    .createTable('promotions')
    .addColumn(...id())
    .addColumn(...id('team_id'))
    .addColumn(...id('model_id'))
    .addColumn(...id('model_version_id'))
    .addColumn('version_index', 'integer', (c) => c.notNull())
    .addColumn('alias', 'varchar(128)', (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('comment', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn(...id('requested_by'))
    .addColumn('requested_by_name', 'varchar(128)', (c) => c.notNull())
    .addColumn('decided_by_name', 'varchar(128)')
    .addColumn('decision_comment', 'text')
    .addColumn(...time('created_at'))
    .addColumn(...time('updated_at'))
    .addColumn('decided_at', 'bigint')
    .addPrimaryKeyConstraint('promotions_pk', ['id'])
    .execute();
  await db.schema.createIndex('promotions_team_state').on('promotions').columns(['team_id', 'state', 'id']).execute();
  await db.schema.createIndex('promotions_version').on('promotions').columns(['model_version_id', 'state']).execute();

  await db.schema
    .createTable('promotion_votes')
    .addColumn(...id('promotion_id'))
    .addColumn(...id('user_id'))
    .addColumn('user_name', 'varchar(128)', (c) => c.notNull())
    .addColumn('decision', 'varchar(16)', (c) => c.notNull())
    .addColumn('comment', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn(...time('created_at'))
    // One vote per user and request, in the database itself.
    .addPrimaryKeyConstraint('promotion_votes_pk', ['promotion_id', 'user_id'])
    .execute();

  await db.schema
    .createTable('model_version_checks')
    .addColumn(...id('model_version_id'))
    .addColumn('name', 'varchar(128)', (c) => c.notNull())
    .addColumn(...id('team_id'))
    .addColumn(...id('model_id'))
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('details_url', 'text')
    .addColumn('updated_by', 'varchar(128)', (c) => c.notNull())
    .addColumn(...time('created_at'))
    .addColumn(...time('updated_at'))
    .addPrimaryKeyConstraint('model_version_checks_pk', ['model_version_id', 'name'])
    .execute();
  await db.schema.createIndex('model_version_checks_model').on('model_version_checks').column('model_id').execute();

  await db.schema.alterTable('automations').addColumn('condition', 'text').execute();
  await db.schema.alterTable('automations').addColumn('check_name', 'varchar(128)').execute();
  await db.schema.alterTable('action_runs').addColumn('check_name', 'varchar(128)').execute();

  const held = await db
    .selectFrom('model_aliases as ma')
    .innerJoin('model_versions as mv', 'mv.id', 'ma.model_version_id')
    .leftJoin('users as u', 'u.id', 'ma.created_by')
    .select(['ma.model_id', 'ma.alias', 'ma.created_at', 'mv.team_id', 'mv.index', 'u.name'])
    .where('ma.alias', '<>', 'latest')
    .execute();
  for (const row of held) {
    await db
      .insertInto('model_alias_history')
      .values({
        id: newId(),
        team_id: row.team_id,
        model_id: row.model_id,
        alias: row.alias,
        version_index: row.index,
        previous_index: null,
        reason: 'set',
        promotion_id: null,
        comment: '',
        author: row.name ?? '',
        created_at: Number(row.created_at),
      })
      .execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('action_runs').dropColumn('check_name').execute();
  await db.schema.alterTable('automations').dropColumn('check_name').execute();
  await db.schema.alterTable('automations').dropColumn('condition').execute();
  for (const table of ['model_version_checks', 'promotion_votes', 'promotions', 'alias_policies', 'model_alias_history']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
