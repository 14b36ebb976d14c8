import type {Knex} from 'knex'
import {clientOf, schema} from '../src/engine/store/dialect.js'

// `ordermon stop --all` / `--instance ID`: a stop asked for through the database, so it reaches an
// engine on any host without signalling a process this host cannot verify. The engine reads it with
// its heartbeat and stops gracefully.
export async function up(knex: Knex): Promise<void> {
  const client = clientOf(knex)
  await knex.schema.alterTable('engine_instances', (t) => {
    schema.nullableTime(t, client, 'stop_requested_at')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('engine_instances', (t) => {
    t.dropColumn('stop_requested_at')
  })
}
