import type {Knex} from 'knex'
import {clientOf, schema} from '../src/engine/store/dialect.js'

// One row per API sign-in. Both of its tokens name it (`sid`), so logging out (revoked_at) refuses
// them in every process on this database; refresh_jti is the one refresh token that may still be
// used, so a refresh token replayed after rotation is recognised (and ends the session).
export async function up(knex: Knex): Promise<void> {
  const client = clientOf(knex)
  await knex.schema.createTable('api_sessions', (t) => {
    t.string('session_id', 36).primary()
    t.string('user_id', 32).notNullable().references('user_id').inTable('users').onDelete('CASCADE')
    t.string('refresh_jti', 36).notNullable()
    schema.nullableTime(t, client, 'expires_at')
    schema.nullableTime(t, client, 'revoked_at')
    t.string('revoked_reason', 64).nullable()
    t.string('ip', 64).nullable()
    t.string('agent', 255).nullable()
    schema.createdAt(knex, t, client)
    schema.updatedAt(knex, t, client)
    t.index(['user_id'], 'idx_api_sessions_user')
    t.index(['expires_at'], 'idx_api_sessions_expiry')
  })
  await schema.addUpdatedAtTrigger(knex, client, 'api_sessions')
}

export async function down(knex: Knex): Promise<void> {
  await schema.dropUpdatedAtTrigger(knex, clientOf(knex), 'api_sessions')
  await knex.schema.dropTable('api_sessions')
}
