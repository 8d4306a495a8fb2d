// Ordered, superseding delivery per subject (docs/automations.md, "Ordered delivery"; src/core/delivery-order.ts).
//
//   automations.delivery_order      'none' (the default) or 'per_subject'.
//   automations.delivery_supersede  1: a newer event for a subject ends the older runs not yet sent as `superseded`.
//   action_runs.subject             the run's subject ("<model id>" or "<model id>:<alias>") when its automation orders
//                                   deliveries; null for every other run, which is all ordering costs them: no column of
//                                   the claim's index changes, and the index below holds ordered runs only.
//   action_runs.sequence            the run's number among its automation's runs for the subject (${sequence}); set for
//                                   ordered runs and for runs whose template uses ${sequence}.
//   action_runs.not_before          a waiting ordered run held by cooldown folding: once activated it is due no earlier.
//   action_runs.superseded_by       the run that replaced a `superseded` one.
//   delivery_subjects               one row per (automation, subject): the last sequence given out and the active run —
//                                   the one run of the subject that may be due or in flight; the others wait with no
//                                   due time (outside the claim's range) until the active one finishes. The row is the
//                                   lock both sides take (the event's transaction and the recording of the active run),
//                                   so a run created while the active one finishes is never left waiting.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('automations').addColumn('delivery_order', 'varchar(16)', (c) => c.notNull().defaultTo('none')).execute();
  await db.schema.alterTable('automations').addColumn('delivery_supersede', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('action_runs').addColumn('subject', 'varchar(200)').execute();
  await db.schema.alterTable('action_runs').addColumn('sequence', 'bigint').execute();
  await db.schema.alterTable('action_runs').addColumn('not_before', 'bigint').execute();
  await db.schema.alterTable('action_runs').addColumn('superseded_by', 'varchar(64)').execute();
  // The next waiting run of a subject (lowest sequence) and the runs a newer event supersedes: a seek to
  // (automation, subject, 'pending'), whatever the subject's history holds. Partial: unordered runs are not in it.
  await db.schema
    .createIndex('action_runs_subject')
    .on('action_runs')
    .columns(['automation_id', 'subject', 'state', 'sequence'])
    .where(sql.ref('subject'), 'is not', null)
    .execute();
  await db.schema
    .createTable('delivery_subjects')
    .addColumn('automation_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('subject', 'varchar(200)', (c) => c.notNull())
    .addColumn('sequence', 'bigint', (c) => c.notNull())
    .addColumn('active_run_id', 'varchar(64)')
    .addPrimaryKeyConstraint('delivery_subjects_pk', ['automation_id', 'subject'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('delivery_subjects').execute();
  await db.schema.dropIndex('action_runs_subject').execute();
  for (const column of ['superseded_by', 'not_before', 'sequence', 'subject']) await db.schema.alterTable('action_runs').dropColumn(column).execute();
  for (const column of ['delivery_supersede', 'delivery_order']) await db.schema.alterTable('automations').dropColumn(column).execute();
}
