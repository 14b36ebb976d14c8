import type {Knex} from 'knex'
import {clientOf, schema} from '../src/engine/store/dialect.js'

// Heartbeats of running engines: status, failover and "a second engine on this database" checks.
export async function up(knex: Knex): Promise<void> {
  const client = clientOf(knex)
  await knex.schema.createTable('engine_instances', (t) => {
    t.string('instance_id', 64).primary()
    t.string('hostname', 255).notNullable()
    t.integer('pid').notNullable()
    t.string('version', 32).notNullable()
    t.string('backend', 16).notNullable()
    t.enu('status', ['starting', 'running', 'stopping', 'stopped', 'failed']).notNullable().defaultTo('starting')
    t.text('info').nullable() // JSON: counts, rates
    schema.createdAt(knex, t, client, 'started_at')
    schema.nullableTime(t, client, 'heartbeat_at')
    schema.updatedAt(knex, t, client)
  })
  await schema.addUpdatedAtTrigger(knex, client, 'engine_instances')
}

export async function down(knex: Knex): Promise<void> {
  await schema.dropUpdatedAtTrigger(knex, clientOf(knex), 'engine_instances')
  await knex.schema.dropTable('engine_instances')
}
