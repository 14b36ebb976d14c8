import type {Knex} from 'knex'
import {clientOf, schema} from '../src/engine/store/dialect.js'

/**
 * Makes "changed outside ordermon" a fact the database keeps, so the change detector needs no time
 * window (which could miss a long outside transaction) and no watermark (which a burst could hold):
 *
 * - MySQL: updated_at and synced_at get microsecond precision, so a raw UPDATE right after an
 *   ordermon write always moves updated_at; synced_at is NULL for rows inserted from outside; a
 *   stored generated column `dirty` (updated_at <> synced_at) is indexed.
 * - SQLite: the trigger that stamps updated_at on a raw UPDATE also clears synced_at, so even a change
 *   in the same millisecond is marked; a partial index holds the dirty rows.
 *
 * One logical change over the three watched tables, so one migration.
 */
const tables = ['users', 'strategies', 'orders'] as const
const dirtySql = '(synced_at IS NULL OR updated_at <> synced_at)'

export async function up(knex: Knex): Promise<void> {
  const client = clientOf(knex)
  for (const table of tables) {
    if (client === 'mysql') {
      await knex.raw(
        `ALTER TABLE ?? MODIFY updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), MODIFY synced_at TIMESTAMP(6) NULL DEFAULT NULL`,
        [table],
      )
      await knex.raw(`ALTER TABLE ?? ADD COLUMN dirty TINYINT(1) GENERATED ALWAYS AS ${dirtySql} STORED, ADD INDEX ?? (dirty)`, [table, `idx_${table}_dirty`])
    } else {
      await schema.dropUpdatedAtTrigger(knex, client, table)
      await schema.addWatchedTrigger(knex, table)
      await knex.raw(`CREATE INDEX idx_${table}_dirty ON ${table}(id) WHERE ${dirtySql}`)
    }
  }
}

export async function down(knex: Knex): Promise<void> {
  const client = clientOf(knex)
  for (const table of tables) {
    if (client === 'mysql') {
      await knex.raw('ALTER TABLE ?? DROP INDEX ??, DROP COLUMN dirty', [table, `idx_${table}_dirty`])
      await knex.raw(
        `ALTER TABLE ?? MODIFY updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), MODIFY synced_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)`,
        [table],
      )
    } else {
      await knex.raw(`DROP INDEX IF EXISTS idx_${table}_dirty`)
      await knex.raw(`DROP TRIGGER IF EXISTS trg_${table}_updated_at`)
      await schema.addUpdatedAtTrigger(knex, client, table)
    }
  }
}
