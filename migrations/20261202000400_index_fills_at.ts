import type {Knex} from 'knex'

// Reports sum fills per day over a period (performance-report, and the daily/weekly/monthly reports
// next): without an index on the fill time alone each of those reads the whole table.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('fills', (t) => {
    t.index(['at'], 'idx_fills_at')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('fills', (t) => {
    t.dropIndex(['at'], 'idx_fills_at')
  })
}
