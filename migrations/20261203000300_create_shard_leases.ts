import type {Knex} from 'knex'
import {clientOf, schema} from '../src/engine/store/dialect.js'

// Several engines on one database: users are hashed into a fixed number of shards, and each shard
// is handled by the one engine holding its lease. `token` rises by one at every change of owner
// (a fencing token): a write for a shard's user checks it in its own transaction, so an engine that
// lost the lease while frozen cannot write afterwards. Expiry is judged by the database's clock.
export async function up(knex: Knex): Promise<void> {
  const client = clientOf(knex)
  await knex.schema.createTable('shard_leases', (t) => {
    t.integer('shard').primary()
    t.string('owner', 64).nullable()
    t.bigInteger('token').notNullable().defaultTo(0)
    schema.nullableTime(t, client, 'expires_at')
    schema.updatedAt(knex, t, client)
    t.index(['owner'], 'idx_shard_leases_owner')
  })
  await schema.addUpdatedAtTrigger(knex, client, 'shard_leases')
}

export async function down(knex: Knex): Promise<void> {
  await schema.dropUpdatedAtTrigger(knex, clientOf(knex), 'shard_leases')
  await knex.schema.dropTable('shard_leases')
}
