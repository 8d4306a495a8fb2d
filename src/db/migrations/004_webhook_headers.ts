// Custom request headers per webhook (`X-API-Key: ${VENDOR_KEY}`): a JSON list of { name, value } on the webhook row,
// values as the admin wrote them (secret placeholders unfilled; core/webhook-headers.ts has the rules). One column
// rather than a table: the list is small, always read and written whole, and the delivery claim reads it with the
// rest of the webhook in the same scalar subqueries (delivery/store/base.ts). Existing webhooks get an empty list.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('webhooks')
    .addColumn('headers', 'text', (column) => column.notNull().defaultTo('[]'))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('webhooks').dropColumn('headers').execute();
}
