import type {Knex} from 'knex'
import {clientOf, schema} from '../src/engine/store/dialect.js'

export async function up(knex: Knex): Promise<void> {
  const client = clientOf(knex)
  await knex.schema.createTable('alerts', (t) => {
    t.bigIncrements('id').primary()
    t.string('rule', 64).notNullable()
    t.enu('level', ['info', 'warning', 'error', 'critical']).notNullable()
    t.string('category', 32).notNullable() // performance, database, system, business
    t.string('message', 1024).notNullable()
    t.enu('status', ['active', 'acknowledged', 'resolved']).notNullable().defaultTo('active')
    t.text('details').nullable() // JSON
    schema.createdAt(knex, t, client)
    schema.updatedAt(knex, t, client)
    schema.nullableTime(t, client, 'resolved_at')
    t.index(['status', 'level'], 'idx_alerts_status')
    t.index(['created_at'], 'idx_alerts_created')
  })
  await schema.addUpdatedAtTrigger(knex, client, 'alerts')
}

export async function down(knex: Knex): Promise<void> {
  await schema.dropUpdatedAtTrigger(knex, clientOf(knex), 'alerts')
  await knex.schema.dropTable('alerts')
}
