import type {Knex} from 'knex'

// Human-readable ids (U000001, STR001, ORD...) come from named counters, allocated in blocks so a
// batch of orders costs one round trip.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sequences', (t) => {
    t.string('name', 32).primary()
    t.bigInteger('value').notNullable().defaultTo(0)
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('sequences')
}
