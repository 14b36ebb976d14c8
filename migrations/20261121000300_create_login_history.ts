import type {Knex} from 'knex'
import {clientOf, schema} from '../src/engine/store/dialect.js'

export async function up(knex: Knex): Promise<void> {
  const client = clientOf(knex)
  await knex.schema.createTable('login_history', (t) => {
    t.bigIncrements('id').primary()
    t.string('user_id', 32).notNullable().references('user_id').inTable('users').onDelete('CASCADE')
    schema.createdAt(knex, t, client, 'at')
    t.string('ip', 64).nullable()
    t.string('device', 255).nullable()
    t.boolean('success').notNullable().defaultTo(true)
    t.string('reason', 255).nullable()
    t.index(['user_id', 'id'], 'idx_login_history_user')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('login_history')
}
