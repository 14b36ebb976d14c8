import type {Knex} from 'knex'
import {clientOf, schema} from '../src/engine/store/dialect.js'

export async function up(knex: Knex): Promise<void> {
  const client = clientOf(knex)
  await knex.schema.createTable('fills', (t) => {
    t.bigIncrements('id').primary()
    t.string('order_id', 40).notNullable().references('order_id').inTable('orders').onDelete('CASCADE')
    t.string('user_id', 32).notNullable()
    t.string('strategy_id', 32).nullable()
    t.string('symbol', 32).notNullable()
    t.enu('side', ['buy', 'sell']).notNullable()
    t.decimal('quantity', 24, 8).notNullable()
    t.decimal('price', 24, 8).notNullable()
    t.decimal('fee', 24, 8).notNullable().defaultTo(0)
    schema.createdAt(knex, t, client, 'at')
    t.index(['order_id'], 'idx_fills_order')
    t.index(['user_id', 'at'], 'idx_fills_user')
    t.index(['strategy_id', 'at'], 'idx_fills_strategy')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('fills')
}
