import type {Knex} from 'knex'

// Metric history is kept at two resolutions: raw samples (step_s = 0, every store_interval) for a
// day or so, then one averaged row per rollup step. Housekeeping finds the oldest raw rows and the
// rolled rows past retention by (step_s, at); range and daily reads use the existing (name, at).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('metrics', (t) => {
    t.integer('step_s').notNullable().defaultTo(0)
    t.index(['step_s', 'at'], 'idx_metrics_step_at')
  })
}

// Rolled-up averages stay behind as ordinary samples at their bucket's start; the `<name>:max`
// companions mean nothing without step_s, so they go.
export async function down(knex: Knex): Promise<void> {
  await knex('metrics').where('step_s', '>', 0).where('name', 'like', '%:max').delete()
  await knex.schema.alterTable('metrics', (t) => {
    t.dropIndex(['step_s', 'at'], 'idx_metrics_step_at')
  })
  await knex.schema.alterTable('metrics', (t) => t.dropColumn('step_s'))
}
