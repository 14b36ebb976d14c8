import type {Knex} from 'knex'

// The engine now stores metric samples here and prunes them by age; the panel reads the newest
// sample. Both look rows up by time alone, which the (name, at) index cannot serve.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('metrics', (t) => {
    t.index(['at'], 'idx_metrics_at')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('metrics', (t) => {
    t.dropIndex(['at'], 'idx_metrics_at')
  })
}
