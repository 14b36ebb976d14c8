import type {Knex} from 'knex'
import {clientOf, schema} from '../src/engine/store/dialect.js'

// The order's history: replaying its rows in id order must give the order's current state.
export async function up(knex: Knex): Promise<void> {
  const client = clientOf(knex)
  await knex.schema.createTable('order_logs', (t) => {
    t.bigIncrements('id').primary()
    t.string('order_id', 40).notNullable().references('order_id').inTable('orders').onDelete('CASCADE')
    t.string('from_status', 20).nullable()
    t.string('to_status', 20).notNullable()
    t.decimal('filled_delta', 24, 8).notNullable().defaultTo(0)
    t.decimal('price', 24, 8).nullable()
    t.decimal('quantity', 24, 8).nullable()
    t.string('reason', 255).nullable()
    t.enu('source', ['engine', 'cli', 'api', 'sql']).notNullable().defaultTo('engine')
    t.string('actor', 128).nullable()
    schema.createdAt(knex, t, client, 'at')
    t.index(['order_id', 'id'], 'idx_order_logs_order')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('order_logs')
}
