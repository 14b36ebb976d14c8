import type {Knex} from 'knex'
import {clientOf, schema} from '../src/engine/store/dialect.js'

// One row per notification and channel: what was sent where, or why not yet. A channel that keeps
// failing shows here (and in `monitor alerts`) instead of only in a log.
export async function up(knex: Knex): Promise<void> {
  const client = clientOf(knex)
  await knex.schema.createTable('alert_notifications', (t) => {
    t.bigIncrements('id').primary()
    t.bigInteger('alert_id').notNullable()
    t.string('kind', 16).notNullable() // raised, repeated, resolved
    t.string('channel', 16).notNullable()
    t.text('recipients').nullable() // JSON array
    t.enu('status', ['pending', 'sent', 'failed']).notNullable().defaultTo('pending')
    t.integer('attempts').notNullable().defaultTo(0)
    t.string('last_error', 512).nullable()
    t.string('claimed_by', 128).nullable()
    schema.nullableTime(t, client, 'next_attempt_at')
    schema.nullableTime(t, client, 'sent_at')
    schema.createdAt(knex, t, client)
    schema.updatedAt(knex, t, client)
    t.index(['status', 'next_attempt_at'], 'idx_alert_notifications_due')
    t.index(['alert_id'], 'idx_alert_notifications_alert')
  })
  await schema.addUpdatedAtTrigger(knex, client, 'alert_notifications')
}

export async function down(knex: Knex): Promise<void> {
  await schema.dropUpdatedAtTrigger(knex, clientOf(knex), 'alert_notifications')
  await knex.schema.dropTable('alert_notifications')
}
