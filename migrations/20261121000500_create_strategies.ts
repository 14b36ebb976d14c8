import type {Knex} from 'knex'
import {clientOf, schema} from '../src/engine/store/dialect.js'

export async function up(knex: Knex): Promise<void> {
  const client = clientOf(knex)
  await knex.schema.createTable('strategies', (t) => {
    t.increments('id').primary()
    t.string('strategy_id', 32).notNullable().unique()
    t.string('user_id', 32).notNullable().references('user_id').inTable('users').onDelete('CASCADE')
    t.string('name', 128).notNullable()
    t.enu('type', ['momentum', 'arbitrage', 'grid', 'custom']).notNullable()
    t.enu('status', ['running', 'paused', 'stopped', 'error']).notNullable().defaultTo('stopped')
    t.text('parameters').nullable() // JSON, shape per type (see the manual's strategy_config.json)
    t.text('risk_management').nullable() // JSON
    t.text('schedule').nullable() // JSON: start_time, end_time, timezone
    t.string('module_path', 1024).nullable() // custom strategies: where the module lives
    t.string('status_reason', 255).nullable()
    t.integer('version').notNullable().defaultTo(1)
    schema.createdAt(knex, t, client)
    schema.updatedAt(knex, t, client)
    schema.nullableTime(t, client, 'started_at')
    schema.nullableTime(t, client, 'stopped_at')
    t.index(['user_id', 'status'], 'idx_strategies_user_status')
    t.index(['status'], 'idx_strategies_status')
    t.index(['updated_at', 'id'], 'idx_strategies_updated')
  })
  await schema.addUpdatedAtTrigger(knex, client, 'strategies')
}

export async function down(knex: Knex): Promise<void> {
  await schema.dropUpdatedAtTrigger(knex, clientOf(knex), 'strategies')
  await knex.schema.dropTable('strategies')
}
