import type {Knex} from 'knex'
import {clientOf, schema} from '../src/engine/store/dialect.js'

export async function up(knex: Knex): Promise<void> {
  const client = clientOf(knex)
  await knex.schema.createTable('orders', (t) => {
    t.bigIncrements('id').primary()
    t.string('order_id', 40).notNullable().unique()
    t.string('client_order_id', 64).nullable()
    t.string('user_id', 32).notNullable().references('user_id').inTable('users').onDelete('CASCADE')
    t.string('strategy_id', 32).nullable().references('strategy_id').inTable('strategies').onDelete('SET NULL')
    t.string('symbol', 32).notNullable()
    t.enu('side', ['buy', 'sell']).notNullable()
    t.enu('order_type', ['market', 'limit', 'stop', 'stop_limit']).notNullable()
    t.enu('time_in_force', ['GTC', 'IOC', 'FOK', 'DAY']).notNullable().defaultTo('GTC')
    t.decimal('quantity', 24, 8).notNullable()
    t.decimal('price', 24, 8).nullable()
    t.decimal('stop_price', 24, 8).nullable()
    t.decimal('filled_quantity', 24, 8).notNullable().defaultTo(0)
    t.decimal('avg_fill_price', 24, 8).nullable()
    t.enu('status', ['pending', 'partially_filled', 'filled', 'cancelled', 'rejected', 'expired']).notNullable().defaultTo('pending')
    t.string('status_reason', 255).nullable()
    t.integer('version').notNullable().defaultTo(1)
    schema.createdAt(knex, t, client)
    schema.updatedAt(knex, t, client)
    schema.nullableTime(t, client, 'filled_at')
    t.unique(['user_id', 'client_order_id'], {indexName: 'uq_orders_client_order'})
    t.index(['user_id', 'status'], 'idx_orders_user_status')
    t.index(['status', 'id'], 'idx_orders_status')
    t.index(['updated_at', 'id'], 'idx_orders_updated')
    t.index(['strategy_id', 'status'], 'idx_orders_strategy')
    t.index(['symbol', 'status'], 'idx_orders_symbol')
    t.index(['created_at'], 'idx_orders_created')
  })
  await schema.addUpdatedAtTrigger(knex, client, 'orders')
}

export async function down(knex: Knex): Promise<void> {
  await schema.dropUpdatedAtTrigger(knex, clientOf(knex), 'orders')
  await knex.schema.dropTable('orders')
}
