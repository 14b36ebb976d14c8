import type {Knex} from 'knex'
import {clientOf, schema} from '../src/engine/store/dialect.js'

export async function up(knex: Knex): Promise<void> {
  const client = clientOf(knex)
  await knex.schema.createTable('metrics', (t) => {
    t.bigIncrements('id').primary()
    t.string('name', 64).notNullable()
    t.double('value').notNullable()
    t.text('labels').nullable() // JSON
    t.string('instance_id', 64).nullable()
    schema.createdAt(knex, t, client, 'at')
    t.index(['name', 'at'], 'idx_metrics_name_at')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('metrics')
}
