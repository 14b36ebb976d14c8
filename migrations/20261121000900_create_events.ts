import type {Knex} from 'knex'
import {clientOf, schema} from '../src/engine/store/dialect.js'

// The transactional outbox: every state change writes one row here in the same transaction, and a
// relay publishes rows in id order. relay_offsets records how far each relay got.
export async function up(knex: Knex): Promise<void> {
  const client = clientOf(knex)
  await knex.schema.createTable('events', (t) => {
    t.bigIncrements('id').primary()
    t.string('type', 64).notNullable()
    t.string('entity_type', 32).notNullable()
    t.string('entity_id', 64).notNullable()
    t.string('user_id', 32).nullable()
    t.text('payload').nullable() // JSON
    t.string('source', 16).notNullable().defaultTo('engine')
    schema.createdAt(knex, t, client)
    t.index(['entity_type', 'entity_id', 'id'], 'idx_events_entity')
  })
  await knex.schema.createTable('relay_offsets', (t) => {
    t.string('name', 64).primary()
    t.bigInteger('last_event_id').notNullable().defaultTo(0)
    schema.updatedAt(knex, t, client)
  })
  await schema.addUpdatedAtTrigger(knex, client, 'relay_offsets')
}

export async function down(knex: Knex): Promise<void> {
  await schema.dropUpdatedAtTrigger(knex, clientOf(knex), 'relay_offsets')
  await knex.schema.dropTable('relay_offsets')
  await knex.schema.dropTable('events')
}
