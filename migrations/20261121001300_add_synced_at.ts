import type {Knex} from 'knex'
import {clientOf, schema} from '../src/engine/store/dialect.js'

/**
 * synced_at on the tables the engine watches. Every write ordermon makes sets updated_at and
 * synced_at to the same instant; a raw SQL UPDATE from outside moves only updated_at. So
 * `updated_at <> synced_at` picks out exactly the rows changed behind ordermon's back, however busy
 * the engine is. One logical change over three tables, so it is one migration.
 */
const tables = ['users', 'strategies', 'orders'] as const

export async function up(knex: Knex): Promise<void> {
  const client = clientOf(knex)
  for (const table of tables) {
    if (client === 'mysql') {
      await knex.raw(`ALTER TABLE ?? ADD COLUMN synced_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)`, [table])
      // Assigning updated_at explicitly stops ON UPDATE from moving it.
      await knex.raw('UPDATE ?? SET synced_at = updated_at, updated_at = updated_at', [table])
    } else {
      // SQLite cannot add a column with a non-constant default, and its updated_at trigger would fire
      // on the backfill: add, backfill without the trigger, restore it.
      await knex.raw(`ALTER TABLE ${table} ADD COLUMN synced_at TEXT`)
      await schema.dropUpdatedAtTrigger(knex, client, table)
      await knex.raw(`UPDATE ${table} SET synced_at = updated_at`)
      await schema.addUpdatedAtTrigger(knex, client, table)
    }
  }
}

export async function down(knex: Knex): Promise<void> {
  const client = clientOf(knex)
  for (const table of tables) {
    if (client === 'sqlite') await schema.dropUpdatedAtTrigger(knex, client, table)
    await knex.schema.alterTable(table, (t) => t.dropColumn('synced_at'))
    if (client === 'sqlite') await schema.addUpdatedAtTrigger(knex, client, table)
  }
}
