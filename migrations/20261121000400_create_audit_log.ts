import type {Knex} from 'knex'
import {clientOf, schema} from '../src/engine/store/dialect.js'

// Who did what to which entity. No foreign keys: the trail must outlive the users it mentions.
export async function up(knex: Knex): Promise<void> {
  const client = clientOf(knex)
  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id').primary()
    schema.createdAt(knex, t, client, 'at')
    t.string('actor', 128).notNullable()
    t.string('action', 64).notNullable()
    t.string('target_type', 32).notNullable()
    t.string('target', 128).nullable()
    t.text('details').nullable() // JSON
    t.enu('result', ['ok', 'error']).notNullable().defaultTo('ok')
    t.index(['target_type', 'target', 'id'], 'idx_audit_target')
    t.index(['actor', 'id'], 'idx_audit_actor')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_log')
}
