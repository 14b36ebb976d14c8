import type {Knex} from 'knex'
import {clientOf, schema} from '../src/engine/store/dialect.js'

export async function up(knex: Knex): Promise<void> {
  const client = clientOf(knex)
  await knex.schema.createTable('users', (t) => {
    t.increments('id').primary()
    t.string('user_id', 32).notNullable().unique()
    t.string('username', 64).notNullable().unique()
    t.string('password_hash', 255).notNullable()
    t.string('name', 128).nullable()
    t.string('email', 254).nullable()
    t.string('phone', 32).nullable()
    t.enu('type', ['personal', 'professional', 'institutional']).notNullable().defaultTo('personal')
    t.enu('role', ['admin', 'trader', 'analyst', 'guest']).notNullable().defaultTo('trader')
    t.text('permissions').nullable() // JSON array of permission names
    t.string('group_name', 64).nullable()
    t.enu('status', ['active', 'suspended', 'locked']).notNullable().defaultTo('active')
    schema.createdAt(knex, t, client)
    schema.updatedAt(knex, t, client)
    schema.nullableTime(t, client, 'last_login_at')
    t.index(['status'], 'idx_users_status')
    t.index(['updated_at', 'id'], 'idx_users_updated')
    t.index(['group_name'], 'idx_users_group')
  })
  await schema.addUpdatedAtTrigger(knex, client, 'users')
}

export async function down(knex: Knex): Promise<void> {
  await schema.dropUpdatedAtTrigger(knex, clientOf(knex), 'users')
  await knex.schema.dropTable('users')
}
