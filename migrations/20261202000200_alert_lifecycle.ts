import type {Knex} from 'knex'
import {clientOf, schema} from '../src/engine/store/dialect.js'

// Alerts are now raised, repeated, acknowledged and resolved by rule. `open_key` holds the rule's
// name while its alert is open and NULL once resolved: a unique index on it makes "one open alert
// per rule" hold even when two processes (the engine, a watcher) raise the same rule at once.
export async function up(knex: Knex): Promise<void> {
  const client = clientOf(knex)
  await knex.schema.alterTable('alerts', (t) => {
    t.string('open_key', 64).nullable()
    t.string('value', 64).nullable()
    t.string('raised_by', 128).nullable()
    t.integer('notify_count').notNullable().defaultTo(0)
    schema.nullableTime(t, client, 'last_notified_at')
    schema.nullableTime(t, client, 'acknowledged_at')
    t.string('acknowledged_by', 128).nullable()
    t.string('note', 512).nullable()
    t.unique(['open_key'], {indexName: 'uq_alerts_open_key'})
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('alerts', (t) => {
    t.dropUnique(['open_key'], 'uq_alerts_open_key')
  })
  for (const column of ['open_key', 'value', 'raised_by', 'notify_count', 'last_notified_at', 'acknowledged_at', 'acknowledged_by', 'note'])
    await knex.schema.alterTable('alerts', (t) => t.dropColumn(column))
}
